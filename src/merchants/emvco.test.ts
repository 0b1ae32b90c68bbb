import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  crc16CcittFalse,
  decodeMpm,
  emvcoErrorCodes,
  encodeMpm,
  validateHebaoMpm,
  type DecodedMpm,
  type EmvcoErrorCode,
  type MpmInput,
} from './emvco.js';

const HEBAO_ID = 'cn.hebao';

/** Closes a payload body with tag 63 and its CRC, as a third party's generator would. */
const withCrc = (body: string): string => body + '6304' + crc16CcittFalse(body + '6304');

/**
 * A Thai PromptPay code, parsed by hand:
 *   00 02 01                  payload format indicator
 *   01 02 11                  static (although it carries an amount)
 *   29 37                     merchant account template (PromptPay)
 *     00 16 A000000677010111  globally unique id (PromptPay's AID)
 *     01 13 0066924531775     mobile number of the payee
 *   58 02 TH                  country
 *   54 07 6000.00             amount
 *   53 03 764                 currency (THB)
 *   63 04 9B3B                CRC
 * It has no 52 (MCC), 59 (name) or 60 (city), which EMVCo calls mandatory, and 54 comes before 53.
 * It is static with an amount, which EMVCo allows and Hebao's own codes do not.
 */
const PROMPTPAY =
  '00020101021129370016A000000677010111011300669245317755802TH54076000.0053037646304';
const PROMPTPAY_QR = PROMPTPAY + '9B3B';

const noodles: MpmInput = {
  initiation: 'static',
  merchantAccounts: [{ tag: '26', globallyUniqueId: HEBAO_ID, fields: { '01': 'M123' } }],
  mcc: '5812',
  currencyNumeric: '156',
  country: 'CN',
  merchantName: 'Lanzhou Noodles',
  merchantCity: 'Beijing',
  alternateLanguage: { language: 'zh', name: '兰州拉面', city: '北京' },
};

/** Written out by hand, with the CRC from Python's binascii.crc_hqx over the UTF-8 bytes. */
const NOODLES_QR =
  '000201010211' +
  '26200008cn.hebao0104M123' +
  '520458125303156' +
  '5802CN5915Lanzhou Noodles6007Beijing' +
  '64200002zh0104兰州拉面0202北京' +
  '6304DAC6';

const dynamicInput: MpmInput = {
  ...noodles,
  initiation: 'dynamic',
  amount: '38.00',
  additionalData: { referenceLabel: 'R0001', terminalLabel: 'T1' },
};

function decoded(text: string): DecodedMpm {
  const result = decodeMpm(text);
  if (!result.ok) throw new Error(`${result.code}: ${result.detail}`);
  return result.payload;
}

/** The decoded payload as encoder input again; fails when a tag the encoder needs is missing. */
function asInput(payload: DecodedMpm): MpmInput {
  const { initiation, mcc, merchantName, merchantCity, ...rest } = payload;
  if (mcc === undefined || merchantName === undefined || merchantCity === undefined) {
    throw new Error('the payload lacks 52, 59 or 60');
  }
  return { ...rest, mcc, merchantName, merchantCity, ...(initiation && { initiation }) };
}

describe('crc16CcittFalse', () => {
  it.each([
    ['123456789', '29B1'],
    ['', 'FFFF'],
    ['é', '7ACB'],
    ['荷包', 'FF25'],
    [PROMPTPAY, '9B3B'],
  ])('gives the known answer for %j', (text, crc) => {
    expect(crc16CcittFalse(text)).toBe(crc);
  });
});

describe('decodeMpm on third-party codes', () => {
  it('accepts the PromptPay vector although it lacks 52, 59 and 60', () => {
    expect(decodeMpm(PROMPTPAY_QR)).toEqual({
      ok: true,
      payload: {
        formatIndicator: '01',
        initiation: 'static',
        merchantAccounts: [
          { tag: '29', globallyUniqueId: 'A000000677010111', fields: { '01': '0066924531775' } },
        ],
        currencyNumeric: '764',
        amount: '6000.00',
        country: 'TH',
        unreservedTemplates: [],
        raw: {
          '00': '01',
          '01': '11',
          '29': '0016A00000067701011101130066924531775',
          '58': 'TH',
          '54': '6000.00',
          '53': '764',
          '63': '9B3B',
        },
      },
    });
  });

  it('accepts a lower-case CRC', () => {
    expect(decodeMpm(PROMPTPAY + '9b3b').ok).toBe(true);
  });

  it('does not take the PromptPay code for a Hebao code', () => {
    expect(validateHebaoMpm(decoded(PROMPTPAY_QR), HEBAO_ID)).toMatchObject({
      ok: false,
      code: 'qr_missing_field',
      param: '52',
    });
  });

  it('keeps primitive and unknown tags raw and parses 80-99 as templates', () => {
    const text = withCrc(
      '000201' + '0204VISA' + '5303156' + '5802CN' + '6504ABCD' + '81160006cn.foo0102xy',
    );
    const payload = decoded(text);
    expect(payload.raw['02']).toBe('VISA');
    expect(payload.raw['65']).toBe('ABCD');
    expect(payload.merchantAccounts).toEqual([]);
    expect(payload.unreservedTemplates).toEqual([
      { tag: '81', globallyUniqueId: 'cn.foo', fields: { '01': 'xy' } },
    ]);
  });

  it('reads every sub-field of tag 62 and the tip fields', () => {
    const data =
      '0101B' + '0202MO' + '0303STO' + '0401L' + '0501R' + '0601C' + '0701T' + '0801P' + '0902AM';
    const text = withCrc(
      '000201' + '5303156' + '5802CN' + '550202' + '56031.5' + '6255' + data + '1002zz',
    );
    const payload = decoded(text);
    expect(payload.tip).toEqual({ kind: 'fixed_fee', fee: '1.5' });
    expect(payload.additionalData).toEqual({
      billNumber: 'B',
      mobileNumber: 'MO',
      storeLabel: 'STO',
      loyaltyNumber: 'L',
      referenceLabel: 'R',
      customerLabel: 'C',
      terminalLabel: 'T',
      purpose: 'P',
      consumerDataRequest: 'AM',
    });
  });
});

describe('encodeMpm', () => {
  it('writes the payload worked out by hand, counting Chinese characters, not bytes', () => {
    expect(encodeMpm(noodles)).toBe(NOODLES_QR);
  });

  it('round-trips Hebao static and dynamic codes that pass Hebao validation', () => {
    for (const input of [noodles, dynamicInput]) {
      const payload = decoded(encodeMpm(input));
      expect(payload).toMatchObject(input);
      const hebao = validateHebaoMpm(payload, HEBAO_ID);
      expect(hebao.ok && hebao.payload.hebaoAccount.fields['01']).toBe('M123');
    }
  });

  it.each<readonly [string, MpmInput, RegExp]>([
    [
      'a value over 99 characters',
      { ...noodles, merchantAccounts: [{ tag: '26', fields: { '01': 'x'.repeat(100) } }] },
      /26\.01 must be 1 to 99 characters, not 100/,
    ],
    [
      'a template over 99 characters',
      {
        ...noodles,
        merchantAccounts: [{ tag: '26', fields: { '01': 'x'.repeat(60), '02': 'y'.repeat(60) } }],
      },
      /tag 26 must be 1 to 99/,
    ],
    ['an empty value', { ...noodles, merchantCity: '' }, /tag 60 must be 1 to 99/],
    ['Chinese outside tag 64', { ...noodles, merchantName: '兰州拉面' }, /59 must be printable/],
    [
      'a control character in tag 64',
      { ...noodles, alternateLanguage: { language: 'zh', name: '兰\n州' } },
      /64\.01 must be printable/,
    ],
    ['a name over 25 characters', { ...noodles, merchantName: 'N'.repeat(26) }, /tag 59 must/],
    ['an invalid MCC', { ...noodles, mcc: '58A2' }, /tag 52 must be 4 digits/],
    ['a zero amount', { ...noodles, amount: '0.00' }, /tag 54 must be a positive amount/],
    ['a lower-case country', { ...noodles, country: 'cn' }, /tag 58/],
    ['no merchant account', { ...noodles, merchantAccounts: [] }, /at least one/],
    [
      'a merchant account tag outside 26-51',
      { ...noodles, merchantAccounts: [{ tag: '25', globallyUniqueId: HEBAO_ID, fields: {} }] },
      /tag 25 is out of its range/,
    ],
    [
      'an unreserved template tag outside 80-99',
      { ...noodles, unreservedTemplates: [{ tag: '79', fields: { '01': 'x' } }] },
      /tag 79 is out of its range/,
    ],
    [
      'a sub-field id 00 in fields',
      { ...noodles, merchantAccounts: [{ tag: '26', fields: { '00': HEBAO_ID } }] },
      /outside 01-99/,
    ],
    [
      'a duplicate merchant account tag',
      {
        ...noodles,
        merchantAccounts: [
          { tag: '26', globallyUniqueId: 'a', fields: {} },
          { tag: '26', globallyUniqueId: 'b', fields: {} },
        ],
      },
      /tag 26 appears more than once/,
    ],
    [
      'a payload over 512 characters',
      {
        ...noodles,
        merchantAccounts: ['26', '27', '28', '29', '30', '31'].map((tag) => ({
          tag,
          fields: { '01': 'x'.repeat(90) },
        })),
      },
      /longer than 512/,
    ],
  ])('refuses %s with a RangeError', (_, input, message) => {
    expect(() => encodeMpm(input)).toThrow(RangeError);
    expect(() => encodeMpm(input)).toThrow(message);
  });
});

describe('decodeMpm rejections', () => {
  const ok = '000201' + '5303156' + '5802CN';
  const cases: ReadonlyArray<readonly [string, string, EmvcoErrorCode, string?]> = [
    ['an empty string', '', 'qr_malformed'],
    ['text without a CRC', 'hello', 'qr_malformed'],
    ['a payload cut short', PROMPTPAY_QR.slice(0, -10), 'qr_malformed'],
    ['a wrong CRC', PROMPTPAY + '9B3C', 'qr_crc_mismatch', '63'],
    ['a TLV that runs past the end', withCrc('000201' + '2937' + '0016A000'), 'qr_malformed'],
    ['a non-numeric length', withCrc('00020101AB12'), 'qr_malformed'],
    ['a non-numeric id', withCrc('000201AB0212'), 'qr_malformed'],
    ['a duplicate tag', withCrc(ok + '5303156'), 'qr_malformed'],
    ['tag 00 not first', withCrc('5303156' + '000201' + '5802CN'), 'qr_malformed'],
    ['tag 63 swallowed by another', withCrc(ok + '6208'), 'qr_malformed'],
    ['tag 63 longer than 4', withCrc(ok + '6308'), 'qr_malformed'],
    ['a template that is not TLVs', withCrc(ok + '2604abcd'), 'qr_malformed', '26'],
    ['a byte-counted Chinese length', withCrc(ok + '64120002zh0106荷包'), 'qr_malformed', '64'],
    ['no tag 00', withCrc('5303156' + '5802CN'), 'qr_missing_field', '00'],
    ['no currency', withCrc('000201' + '5802CN'), 'qr_missing_field', '53'],
    ['no country', withCrc('000201' + '5303156'), 'qr_missing_field', '58'],
    ['64 without a language', withCrc(ok + '64060102荷包'), 'qr_missing_field', '64.00'],
    ['64 without a name', withCrc(ok + '64060002zh'), 'qr_missing_field', '64.01'],
    ['55=02 without 56', withCrc(ok + '550202'), 'qr_missing_field', '56'],
    ['55=03 without 57', withCrc(ok + '550203'), 'qr_missing_field', '57'],
    ['format indicator 02', withCrc('000202' + '5303156' + '5802CN'), 'qr_invalid_field', '00'],
    ['initiation 13', withCrc(ok + '010213'), 'qr_invalid_field', '01'],
    ['a 2-digit currency', withCrc('000201' + '530215' + '5802CN'), 'qr_invalid_field', '53'],
    ['an MCC with a letter', withCrc(ok + '520458A2'), 'qr_invalid_field', '52'],
    ['a lower-case country', withCrc('000201' + '5303156' + '5802cn'), 'qr_invalid_field', '58'],
    ['a 26-character name', withCrc(ok + '5926' + 'N'.repeat(26)), 'qr_invalid_field', '59'],
    ['a 16-character city', withCrc(ok + '6016' + 'C'.repeat(16)), 'qr_invalid_field', '60'],
    ['an 11-character postcode', withCrc(ok + '6111' + '1'.repeat(11)), 'qr_invalid_field', '61'],
    [
      'a 26-character reference',
      withCrc(ok + '6230' + '0526' + 'R'.repeat(26)),
      'qr_invalid_field',
      '62.05',
    ],
    ['a bad data request', withCrc(ok + '62050901X'), 'qr_invalid_field', '62.09'],
    ['an upper-case language', withCrc(ok + '64120002ZH0102荷包'), 'qr_invalid_field', '64.00'],
    ['tip indicator 04', withCrc(ok + '550204'), 'qr_invalid_field', '55'],
    ['56 when 55 is 01', withCrc(ok + '550201' + '56011'), 'qr_invalid_field', '56'],
    ['57 without 55', withCrc(ok + '57015'), 'qr_invalid_field', '57'],
    ['a 100% fee', withCrc(ok + '550203' + '5703100'), 'qr_invalid_field', '57'],
  ];

  for (const [name, text, code, param] of cases) {
    it(`rejects ${name}`, () => {
      const result = decodeMpm(text);
      expect(result).toMatchObject({ ok: false, code });
      if (param !== undefined) expect(result).toMatchObject({ param });
      expect(result.ok || result.detail.length > 0).toBe(true);
    });
  }

  it('produces every error code', () => {
    expect(new Set(cases.map(([, , code]) => code))).toEqual(new Set(emvcoErrorCodes));
  });

  it('checks the CRC before the structure', () => {
    const broken = withCrc('000201' + '2937' + '0016A000');
    expect(decodeMpm(broken.slice(0, -1) + (broken.endsWith('0') ? '1' : '0'))).toMatchObject({
      code: 'qr_crc_mismatch',
    });
  });

  it('counts characters, not UTF-16 units, in tag 64', () => {
    const payload = decoded(withCrc(ok + '64140002zh0104荷包🍜🍜'));
    expect(payload.alternateLanguage).toEqual({ language: 'zh', name: '荷包🍜🍜' });
  });

  it.each([
    ['0', false],
    ['0.00', false],
    ['-1', false],
    ['+1', false],
    ['1,00', false],
    ['1e3', false],
    ['.5', false],
    ['5.', false],
    ['12345678901234', false],
    ['1', true],
    ['0.01', true],
    ['1.234', true],
    ['6000.00', true],
    ['1234567890.12', true],
  ])('treats amount %j as valid: %s', (amount, valid) => {
    const result = decodeMpm(
      withCrc(`000201010212530315654${amount.length.toString().padStart(2, '0')}${amount}5802CN`),
    );
    expect(result.ok ? true : result.code === 'qr_invalid_field' && result.param === '54').toBe(
      true,
    );
    expect(result.ok).toBe(valid);
  });
});

describe('validateHebaoMpm', () => {
  const dynamic = decoded(encodeMpm(dynamicInput));

  it('accepts Hebao static and dynamic codes', () => {
    expect(validateHebaoMpm(decoded(NOODLES_QR), HEBAO_ID).ok).toBe(true);
    expect(validateHebaoMpm(dynamic, HEBAO_ID)).toMatchObject({
      ok: true,
      payload: { initiation: 'dynamic', amount: '38.00', hebaoAccount: { tag: '26' } },
    });
  });

  const { initiation: _i, ...noInitiation } = dynamic;
  const { mcc: _m, ...noMcc } = dynamic;
  const { merchantName: _n, ...noName } = dynamic;
  const { merchantCity: _c, ...noCity } = dynamic;
  const { amount: _a, ...noAmount } = dynamic;
  it.each<readonly [string, DecodedMpm, EmvcoErrorCode, string | undefined]>([
    ['no initiation', { ...noInitiation, initiation: undefined }, 'qr_missing_field', '01'],
    ['no MCC', noMcc, 'qr_missing_field', '52'],
    ['no name', noName, 'qr_missing_field', '59'],
    ['no city', noCity, 'qr_missing_field', '60'],
    ['a dynamic code without an amount', noAmount, 'qr_missing_field', '54'],
    [
      'a dynamic code without a reference',
      { ...dynamic, additionalData: { terminalLabel: 'T1' } },
      'qr_missing_field',
      '62.05',
    ],
    [
      'a static code with an amount',
      { ...dynamic, initiation: 'static' },
      'qr_invalid_field',
      '54',
    ],
    [
      "another wallet's template only",
      { ...dynamic, merchantAccounts: [{ tag: '26', globallyUniqueId: 'cn.other', fields: {} }] },
      'qr_missing_field',
      undefined,
    ],
  ])('rejects %s', (_, payload, code, param) => {
    const result = validateHebaoMpm(payload, HEBAO_ID);
    expect(result).toMatchObject({ ok: false, code });
    expect(result.ok ? undefined : result.param).toBe(param);
  });
});

const asciiChar = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
const ascii = (minLength: number, maxLength: number) =>
  fc.string({ unit: asciiChar, minLength, maxLength });
const oneOf = (chars: string) => fc.constantFrom(...Array.from(chars));
const digits = (length: number) =>
  fc.string({ unit: oneOf('0123456789'), minLength: length, maxLength: length });
/** Mixed scripts, with astral characters that are two UTF-16 units but one character. */
const anyScript = (maxLength: number) =>
  fc.string({ unit: fc.oneof(asciiChar, oneOf('荷包兰州拉面北京é🍜😀')), minLength: 1, maxLength });
const subId = (min: number) => fc.integer({ min, max: 99 }).map((n) => String(n).padStart(2, '0'));

/** Positive decimal text of at most 13 characters, with 0 to 3 decimals. */
const amountArb = fc
  .tuple(fc.bigInt({ min: 1n, max: 999_999_999_999n }), fc.integer({ min: 0, max: 3 }))
  .map(([n, scale]) => {
    if (scale === 0) return String(n);
    const text = String(n).padStart(scale + 1, '0');
    return `${text.slice(0, -scale)}.${text.slice(-scale)}`;
  });

/** Up to `max` templates in ascending tag order, as the decoder lists them. */
const templatesArb = (tags: { min: number; max: number }, max: number, size: number) =>
  fc
    .uniqueArray(
      fc
        .record(
          {
            tag: fc.integer(tags).map(String),
            globallyUniqueId: ascii(1, size + 12),
            fields: fc
              .uniqueArray(fc.tuple(subId(1), ascii(1, size)), {
                maxLength: 2,
                selector: ([id]) => id,
              })
              .map((entries) => Object.fromEntries(entries)),
          },
          { requiredKeys: ['tag', 'fields'] },
        )
        .filter((t) => t.globallyUniqueId !== undefined || Object.keys(t.fields).length > 0),
      { maxLength: max, selector: (t) => t.tag },
    )
    .map((templates) => [...templates].sort((a, b) => Number(a.tag) - Number(b.tag)));

/**
 * Valid encoder input. The sizes are chosen so that even the largest input stays within 512
 * characters and each template within 99.
 */
const inputArb: fc.Arbitrary<MpmInput> = fc.record(
  {
    initiation: fc.constantFrom('static' as const, 'dynamic' as const),
    merchantAccounts: templatesArb({ min: 26, max: 51 }, 2, 20).filter((a) => a.length > 0),
    mcc: digits(4),
    currencyNumeric: digits(3),
    amount: amountArb,
    tip: fc.oneof(
      fc.constant({ kind: 'prompt' as const }),
      amountArb.map((fee) => ({ kind: 'fixed_fee' as const, fee })),
      fc.integer({ min: 1, max: 9999 }).map((n) => ({
        kind: 'percentage_fee' as const,
        percentage: `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`,
      })),
    ),
    country: fc.string({ unit: oneOf('ABCDEFGHIJKLMNOPQRSTUVWXYZ'), minLength: 2, maxLength: 2 }),
    merchantName: ascii(1, 25),
    merchantCity: ascii(1, 15),
    postalCode: ascii(1, 10),
    additionalData: fc
      .record(
        {
          billNumber: ascii(1, 7),
          mobileNumber: ascii(1, 7),
          storeLabel: ascii(1, 7),
          loyaltyNumber: ascii(1, 7),
          referenceLabel: ascii(1, 7),
          customerLabel: ascii(1, 7),
          terminalLabel: ascii(1, 7),
          purpose: ascii(1, 7),
          consumerDataRequest: fc.constantFrom('A', 'M', 'E', 'AM', 'ME', 'AME'),
        },
        { requiredKeys: [] },
      )
      .filter((data) => Object.keys(data).length > 0),
    alternateLanguage: fc.record(
      {
        language: fc.string({
          unit: oneOf('abcdefghijklmnopqrstuvwxyz'),
          minLength: 2,
          maxLength: 2,
        }),
        name: anyScript(25),
        city: anyScript(15),
      },
      { requiredKeys: ['language', 'name'] },
    ),
    unreservedTemplates: templatesArb({ min: 80, max: 99 }, 1, 10),
  },
  {
    requiredKeys: [
      'merchantAccounts',
      'mcc',
      'currencyNumeric',
      'country',
      'merchantName',
      'merchantCity',
    ],
  },
);

describe('properties', () => {
  it('decodes what it encodes, and encodes the decoded payload to the same text', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const text = encodeMpm(input);
        const payload = decoded(text);
        expect(payload).toMatchObject(input);
        expect(encodeMpm(asInput(payload))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('detects any single-character change as a CRC mismatch', () => {
    const mutationArb = inputArb.chain((input) => {
      const text = encodeMpm(input);
      const chars = Array.from(text);
      const asciiPositions = chars.flatMap((c, i) =>
        i < chars.length - 8 && c < '\x7f' ? [i] : [],
      );
      return fc.tuple(fc.constant(chars), fc.constantFrom(...asciiPositions), asciiChar);
    });
    fc.assert(
      fc.property(mutationArb, ([chars, at, replacement]) => {
        fc.pre(chars[at] !== replacement);
        const mutated = chars.with(at, replacement).join('');
        expect(decodeMpm(mutated)).toMatchObject({ ok: false, code: 'qr_crc_mismatch' });
      }),
      { numRuns: 500 },
    );
  });

  it('detects a changed CRC digit', () => {
    const mutationArb = fc.tuple(
      inputArb,
      fc.integer({ min: 1, max: 4 }),
      oneOf('0123456789ABCDEF'),
    );
    fc.assert(
      fc.property(mutationArb, ([input, fromEnd, digit]) => {
        const text = encodeMpm(input);
        fc.pre(text.at(-fromEnd) !== digit);
        const mutated =
          text.slice(0, -fromEnd) + digit.toLowerCase() + text.slice(text.length - fromEnd + 1);
        expect(decodeMpm(mutated)).toMatchObject({ ok: false, code: 'qr_crc_mismatch' });
      }),
    );
  });

  const neverThrows = (text: string) => {
    const result = decodeMpm(text);
    expect(result.ok || emvcoErrorCodes.includes(result.code)).toBe(true);
  };

  it('never throws on arbitrary text, lone surrogates included', () => {
    const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 600 }),
          fc.string({ unit: anyUnit, maxLength: 80 }),
          fc.string({ unit: anyUnit, maxLength: 80 }).map(withCrc),
        ),
        neverThrows,
      ),
      { numRuns: 1000 },
    );
  });

  it('never throws on TLV-like text with a valid CRC', () => {
    const tlv = fc
      .tuple(
        digits(2),
        fc.integer({ min: 0, max: 99 }),
        fc.string({ unit: oneOf('0123456789AZ.荷'), maxLength: 30 }),
      )
      .map(([id, length, value]) => id + String(length).padStart(2, '0') + value);
    fc.assert(
      fc.property(fc.array(tlv, { maxLength: 12 }), (tlvs) => neverThrows(withCrc(tlvs.join('')))),
      { numRuns: 1000 },
    );
  });

  it('never throws on edited valid payloads, whether or not the CRC is fixed up', () => {
    const edit = fc.tuple(
      fc.constantFrom('insert', 'delete', 'replace'),
      fc.nat(),
      oneOf('0123456789AZ. 荷🍜'),
    );
    fc.assert(
      fc.property(
        inputArb,
        fc.array(edit, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        (input, edits, fixCrc) => {
          const chars = Array.from(encodeMpm(input)).slice(0, -8);
          for (const [kind, position, char] of edits) {
            const at = position % (chars.length + 1);
            chars.splice(at, kind === 'insert' ? 0 : 1, ...(kind === 'delete' ? [] : [char]));
          }
          const body = chars.join('');
          neverThrows(fixCrc ? withCrc(body) : body + '6304' + '0000');
        },
      ),
      { numRuns: 1000 },
    );
  });
});
