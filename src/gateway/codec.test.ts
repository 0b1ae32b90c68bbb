import { describe, expect, it } from 'vitest';
import { eventFromWire, movementFromWire, statementFromWire } from './codec.js';

const event = {
  id: 'bev_01J0000000000000000000000A',
  type: 'charge.succeeded',
  object_id: 'bch_01J0000000000000000000000B',
  reference: 'top_1',
  amount: { amount: '12.50', currency: 'CNY' },
  failure_code: null,
  created_at: '2031-03-14T10:00:00.000Z',
  sequence: 2,
};

const movement = {
  id: 'bch_01J0000000000000000000000B',
  object: 'charge',
  status: 'failed',
  failure_code: 'insufficient_funds',
  reference: 'top_1',
  card_token: 'btk_1',
  amount: { amount: '0.05', currency: 'CNY' },
  created_at: '2031-03-14T10:00:00.000Z',
  settled_at: '2031-03-14T10:00:01.000Z',
};

describe('eventFromWire', () => {
  it('decodes an event into the port’s types', () => {
    expect(eventFromWire(event)).toEqual({
      id: event.id,
      type: 'charge.succeeded',
      objectId: event.object_id,
      reference: 'top_1',
      amountMinor: 1250n,
      currency: 'CNY',
      createdAt: new Date('2031-03-14T10:00:00.000Z'),
      sequence: 2,
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ['an unknown type', { type: 'charge.refunded' }],
    ['an extra field', { extra: 1 }],
    ['a sequence of 0', { sequence: 0 }],
    ['an id without prefix', { id: '01J0000000000000000000000A' }],
    ['an amount with too many decimals', { amount: { amount: '12.505', currency: 'CNY' } }],
    ['an unknown currency', { amount: { amount: '12.50', currency: 'ABC' } }],
    ['a time that is no time', { created_at: 'yesterday' }],
    ['a failure code on a success', { failure_code: 'insufficient_funds' }],
    ['a failure without a code', { type: 'charge.failed' }],
  ])('rejects %s', (_what, change) => {
    expect(eventFromWire({ ...event, ...change })).toBeUndefined();
  });
});

describe('movementFromWire', () => {
  it('decodes a failed movement with its failure code', () => {
    expect(movementFromWire(movement)).toMatchObject({
      kind: 'charge',
      status: 'failed',
      failureCode: 'insufficient_funds',
      amountMinor: 5n,
      settledAt: new Date('2031-03-14T10:00:01.000Z'),
    });
  });

  it('rejects a status and failure code that disagree', () => {
    expect(movementFromWire({ ...movement, status: 'succeeded' })).toBeUndefined();
    expect(movementFromWire({ ...movement, failure_code: null })).toBeUndefined();
  });
});

describe('statementFromWire', () => {
  it('rejects totals in an unknown currency', () => {
    const statement = {
      date: '2031-03-14',
      final: true,
      movements: [],
      totals: [{ type: 'charge', currency: 'ABC', count: 1, amount: '1.00' }],
    };
    expect(statementFromWire(statement)).toBeUndefined();
    expect(statementFromWire({ ...statement, totals: [] })).toEqual({
      date: '2031-03-14',
      final: true,
      movements: [],
      totals: [],
    });
  });
});
