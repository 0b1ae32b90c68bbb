import { describe, expect, it } from 'vitest';
import type { MovementRecord } from './bank-state.js';
import { buildStatement, csvField, dayBounds, statementCsv } from './statement.js';

const DAY = Date.UTC(2031, 2, 14);
const HOUR = 3_600_000;

function record(id: string, change: Partial<MovementRecord>): MovementRecord {
  return {
    id,
    kind: 'charge',
    reference: `ref_${id}`,
    cardToken: 'btk_1',
    amountMinor: 100n,
    currency: 'CNY',
    createdAtMs: DAY,
    outcome: 'succeeded',
    holdAnswer: false,
    status: 'succeeded',
    failureCode: undefined,
    settledAtMs: DAY + HOUR,
    sequence: 2,
    ...change,
  };
}

describe('dayBounds', () => {
  it('is the UTC day as [start, end)', () => {
    expect(dayBounds('2031-03-14')).toEqual({ startMs: DAY, endMs: DAY + 24 * HOUR });
    expect(dayBounds('2032-02-29')).toBeDefined();
  });

  it.each(['2031-02-30', '2031-13-01', '2031-3-14', '20310314', '2031-03-14T00:00:00Z', ''])(
    'rejects %s',
    (text) => {
      expect(dayBounds(text)).toBeUndefined();
    },
  );
});

describe('buildStatement', () => {
  const records = [
    record('b', { amountMinor: 250n, settledAtMs: DAY + 2 * HOUR }),
    record('a', { amountMinor: 1250n, settledAtMs: DAY + 2 * HOUR }),
    record('first', { amountMinor: 1n, settledAtMs: DAY }),
    record('last', { amountMinor: 2n, settledAtMs: DAY + 24 * HOUR - 1 }),
    record('next-day', { settledAtMs: DAY + 24 * HOUR }),
    record('day-before', { settledAtMs: DAY - 1 }),
    record('failed', { status: 'failed', failureCode: 'insufficient_funds' }),
    record('pending', { status: 'pending', settledAtMs: undefined }),
    record('payout', { kind: 'payout', amountMinor: 500n }),
    record('usd', { currency: 'USD', amountMinor: 99n }),
  ];

  it('lists exactly the succeeded movements settled that day, in time then id order', () => {
    const statement = buildStatement(records, '2031-03-14', DAY + 30 * HOUR);
    expect(statement?.movements.map((m) => m.id)).toEqual([
      'first',
      'payout',
      'usd',
      'a',
      'b',
      'last',
    ]);
    expect(statement?.final).toBe(true);
  });

  it('totals by kind and currency', () => {
    const statement = buildStatement(records, '2031-03-14', DAY + 30 * HOUR);
    expect(statement?.totals).toEqual([
      { kind: 'charge', currency: 'CNY', count: 4, amountMinor: 1503n },
      { kind: 'charge', currency: 'USD', count: 1, amountMinor: 99n },
      { kind: 'payout', currency: 'CNY', count: 1, amountMinor: 500n },
    ]);
  });

  it('is not final until the day is over, and empty for a quiet day', () => {
    expect(buildStatement(records, '2031-03-14', DAY + 24 * HOUR - 1)?.final).toBe(false);
    expect(buildStatement(records, '2031-03-16', DAY)).toEqual({
      date: '2031-03-16',
      final: false,
      movements: [],
      totals: [],
    });
  });

  it('answers undefined for a date that does not exist', () => {
    expect(buildStatement(records, '2031-02-30', DAY)).toBeUndefined();
  });
});

describe('statementCsv', () => {
  it('writes movement rows, then total rows, with CRLF line ends', () => {
    const statement = buildStatement(
      [
        record('bch_1', { amountMinor: 1250n }),
        record('bpo_1', { kind: 'payout', amountMinor: 5n, settledAtMs: DAY + 2 * HOUR }),
      ],
      '2031-03-14',
      DAY,
    );
    expect(statementCsv(statement!)).toBe(
      [
        'record,id,type,reference,amount,currency,settled_at,count',
        'movement,bch_1,charge,ref_bch_1,12.50,CNY,2031-03-14T01:00:00.000Z,',
        'movement,bpo_1,payout,ref_bpo_1,0.05,CNY,2031-03-14T02:00:00.000Z,',
        'total,,charge,,12.50,CNY,,1',
        'total,,payout,,0.05,CNY,,1',
        '',
      ].join('\r\n'),
    );
  });
});

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['', ''],
  ])('writes %j as %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });
});
