/**
 * The EMVCo Merchant-Presented Mode (MPM) QR payload: the text inside a merchant collection code
 * (收款码). It is a flat list of TLVs (two-digit id, two-digit length, value), some of which are
 * templates of nested TLVs, closed by a CRC in tag 63. This module is pure and uses only what
 * browsers and Node share (no Buffer), so the server and the web apps read codes the same way.
 *
 * Lengths count characters (Unicode code points), not bytes and not UTF-16 units. Every tag but
 * the alternate-language name and city is ASCII, where the three agree; for tag 64 EMVCo counts
 * characters, so '荷包' has length 02 although it is six bytes of UTF-8. The CRC, on the other
 * hand, runs over the UTF-8 bytes, because that is what a scanner reads out of the QR image.
 *
 * Decoding is lenient about which tags are present, because real third-party codes leave out
 * tags that EMVCo calls mandatory (PromptPay omits 52, 59 and 60), but strict about the form of
 * every tag that is present. `validateHebaoMpm` adds the rules for Hebao's own codes.
 */
import type { Failure } from '../lib/code-spec.js';

export const emvcoErrorCodes = [
  'qr_malformed',
  'qr_crc_mismatch',
  'qr_missing_field',
  'qr_invalid_field',
] as const;

export type EmvcoErrorCode = (typeof emvcoErrorCodes)[number];

/** A rejected payload; `param` is the tag at fault as a dotted path ('54', '62.05') when one is. */
export type EmvcoFailure = Failure<EmvcoErrorCode> & { readonly detail: string };

/** A template (tags 26–51 and 80–99) whose sub-field 00, when present, names who defines it. */
export interface MerchantAccount {
  readonly tag: string;
  readonly globallyUniqueId?: string;
  /** The sub-fields other than 00, by two-digit id. */
  readonly fields: Readonly<Record<string, string>>;
}

/** Tag 55 with its companion 56 or 57: ask the payer for a tip, or add a fixed or percentage fee. */
export type Tip =
  | { readonly kind: 'prompt' }
  | { readonly kind: 'fixed_fee'; readonly fee: string }
  | { readonly kind: 'percentage_fee'; readonly percentage: string };

/** Sub-fields 01–09 of tag 62, the additional data field template, by the names used here. */
const ADDITIONAL_DATA_IDS = {
  billNumber: '01',
  mobileNumber: '02',
  storeLabel: '03',
  loyaltyNumber: '04',
  /** The one-time reference of a dynamic code. */
  referenceLabel: '05',
  customerLabel: '06',
  terminalLabel: '07',
  purpose: '08',
  /** Which of address (A), mobile (M) and email (E) the merchant asks the payer for. */
  consumerDataRequest: '09',
} as const;

/** Tag 62. Other sub-fields (10–99, reserved or payment-system specific) stay in `raw`. */
export type AdditionalData = { readonly [K in keyof typeof ADDITIONAL_DATA_IDS]?: string };

/** Tag 64: the merchant's name, and optionally city, in a second language such as Chinese. */
export interface AlternateLanguage {
  /** ISO 639-1, two lower-case letters: 'zh'. */
  readonly language: string;
  readonly name: string;
  readonly city?: string;
}

/** What a decoded payload and the encoder's input have in common. */
interface MpmFields {
  /** Templates 26–51. Primitive tags 02–25 (card schemes) are left in `raw`. */
  readonly merchantAccounts: readonly MerchantAccount[];
  /** ISO 4217 numeric, three digits: '156' is CNY. */
  readonly currencyNumeric: string;
  /** Decimal text as written; the money module checks its scale against the currency. */
  readonly amount?: string;
  readonly tip?: Tip;
  /** ISO 3166-1 alpha-2, upper case. */
  readonly country: string;
  readonly postalCode?: string;
  readonly additionalData?: AdditionalData;
  readonly alternateLanguage?: AlternateLanguage;
}

/** A payload whose CRC and structure are sound and whose present tags are all well formed. */
export interface DecodedMpm extends MpmFields {
  readonly formatIndicator: '01';
  readonly initiation: 'static' | 'dynamic' | undefined;
  readonly mcc?: string;
  readonly merchantName?: string;
  readonly merchantCity?: string;
  /** Templates 80–99. */
  readonly unreservedTemplates: readonly MerchantAccount[];
  /** Every top-level tag as its raw value, templates included. */
  readonly raw: Readonly<Record<string, string>>;
}

/** A decoded payload that also meets the rules for Hebao's own collection codes. */
export interface HebaoMpm extends DecodedMpm {
  readonly initiation: 'static' | 'dynamic';
  readonly mcc: string;
  readonly merchantName: string;
  readonly merchantCity: string;
  /** The template with Hebao's globally unique id; its sub-field 01 is the merchant id. */
  readonly hebaoAccount: MerchantAccount;
}

/** What `encodeMpm` builds a payload from; tag 00 and the CRC are added by the encoder. */
export interface MpmInput extends MpmFields {
  readonly initiation?: 'static' | 'dynamic';
  readonly mcc: string;
  readonly merchantName: string;
  readonly merchantCity: string;
  readonly unreservedTemplates?: readonly MerchantAccount[];
}

export type DecodeResult = { readonly ok: true; readonly payload: DecodedMpm } | EmvcoFailure;
export type HebaoMpmResult = { readonly ok: true; readonly payload: HebaoMpm } | EmvcoFailure;

/** EMVCo caps a payload at 512 characters; the cap also bounds the work done on hostile input. */
export const MPM_PAYLOAD_LENGTH_MAX = 512;

type Entry = readonly [id: string, value: string];
type Rule = readonly [path: string, form: RegExp, must: string];
type Templates = ReadonlyMap<string, ReadonlyMap<string, string>>;

const MERCHANT_ACCOUNT_TAG = /^(2[6-9]|[34][0-9]|5[01])$/;
const UNRESERVED_TAG = /^[89][0-9]$/;
const TEMPLATE_TAG = /^(2[6-9]|[34][0-9]|5[01]|62|64|[89][0-9])$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** Control characters and lone surrogates cannot travel as UTF-8 in a QR image. */
const PRINTABLE_UNICODE = /^[^\p{Cc}\p{Cs}]*$/u;
/** The alternate-language name and city, and the template holding them, may be in any script. */
const UNICODE_PATHS = new Set(['64', '64.01', '64.02']);
const TIP_CODES = { prompt: '01', fixed_fee: '02', percentage_fee: '03' } as const;

/** With the `u` flag `.` is one code point, so these count characters as the lengths do. */
const chars = (max: number): readonly [RegExp, string] => [
  new RegExp(`^.{1,${max}}$`, 'su'),
  `be 1 to ${max} characters`,
];
const amount = [/^(?=.{1,13}$)(?=.*[1-9])[0-9]+(\.[0-9]+)?$/, 'be a positive amount'] as const;

/**
 * The form of each field by dotted path, in payload order (a list, because an object would put
 * integer-like keys first); the decoder checks every one that is present.
 */
const rules: readonly Rule[] = [
  ['00', /^01$/, 'be 01'],
  ['01', /^1[12]$/, 'be 11 (static) or 12 (dynamic)'],
  ['52', /^[0-9]{4}$/, 'be 4 digits'],
  ['53', /^[0-9]{3}$/, 'be 3 digits'],
  ['54', ...amount],
  ['55', /^0[123]$/, 'be 01, 02 or 03'],
  ['56', ...amount],
  ['57', /^(?=.*[1-9])[0-9]{1,2}(\.[0-9]{1,2})?$/, 'be a percentage from 00.01 to 99.99'],
  ['58', /^[A-Z]{2}$/, 'be 2 upper-case letters'],
  ['59', ...chars(25)],
  ['60', ...chars(15)],
  ['61', ...chars(10)],
  ...['01', '02', '03', '04', '05', '06', '07', '08'].map((id): Rule => [`62.${id}`, ...chars(25)]),
  ['62.09', /^[AME]{1,3}$/, 'be up to 3 of A, M and E'],
  ['64.00', /^[a-z]{2}$/, 'be 2 lower-case letters'],
  ['64.01', ...chars(25)],
  ['64.02', ...chars(15)],
];

/** Tags every payload must carry: without a currency and a country a code cannot be paid. */
const REQUIRED_TAGS = ['00', '53', '58'] as const;

/**
 * CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR) of
 * the UTF-8 bytes of `text`, as four upper-case hex digits.
 */
export function crc16CcittFalse(text: string): string {
  let crc = 0xffff;
  for (const byte of new TextEncoder().encode(text)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Decodes a scanned payload. The CRC is checked before anything is read from the TLVs, so a
 * misread image is reported as `qr_crc_mismatch` rather than as whichever field it garbled. It
 * never throws: every outcome, including text that is not a payload at all, is a result.
 */
export function decodeMpm(text: string): DecodeResult {
  const envelopeProblem = checkEnvelope(text);
  if (envelopeProblem) return envelopeProblem;
  const top = parseTlvs(text);
  if (typeof top === 'string') return fail('qr_malformed', top);
  const ids = [...top.keys()];
  if (top.has('00') && ids[0] !== '00') return fail('qr_malformed', 'tag 00 must come first');
  if (ids.at(-1) !== '63' || top.get('63')?.length !== 4) {
    return fail('qr_malformed', 'tag 63 must come last and hold the 4-digit CRC');
  }
  const templates = new Map<string, ReadonlyMap<string, string>>();
  for (const [id, value] of top) {
    if (!TEMPLATE_TAG.test(id)) continue;
    const subs = parseTlvs(value);
    if (typeof subs === 'string') return fail('qr_malformed', `in template ${id}: ${subs}`, id);
    templates.set(id, subs);
  }
  return findProblem(top, templates) ?? { ok: true, payload: toDecoded(top, templates) };
}

/**
 * Checks a decoded payload against the rules for Hebao's own codes: tags 01, 52, 59 and 60
 * present, a merchant account template with Hebao's `globallyUniqueId`, and an amount and a
 * one-time reference (62.05) exactly when the code is dynamic, since a static code leaves the
 * amount to the payer.
 */
export function validateHebaoMpm(decoded: DecodedMpm, globallyUniqueId: string): HebaoMpmResult {
  const { initiation, mcc, merchantName, merchantCity, amount } = decoded;
  if (initiation === undefined) return missing('01');
  if (mcc === undefined) return missing('52');
  if (merchantName === undefined) return missing('59');
  if (merchantCity === undefined) return missing('60');
  const hebaoAccount = decoded.merchantAccounts.find(
    (a) => a.globallyUniqueId === globallyUniqueId,
  );
  if (hebaoAccount === undefined) {
    return fail('qr_missing_field', `no template in 26-51 has the id ${globallyUniqueId}`);
  }
  if (initiation === 'dynamic' && amount === undefined) return missing('54');
  if (initiation === 'dynamic' && decoded.additionalData?.referenceLabel === undefined) {
    return missing('62.05');
  }
  if (initiation === 'static' && amount !== undefined) {
    return fail('qr_invalid_field', 'tag 54 must be absent from a static code', '54');
  }
  const payload = { ...decoded, initiation, mcc, merchantName, merchantCity, hebaoAccount };
  return { ok: true, payload };
}

/**
 * Builds a payload with its CRC, tags in ascending order. Values must be 1 to 99 characters of
 * printable ASCII (the alternate-language name and city may be in any script). The result is
 * checked with `decodeMpm`, so the encoder and the decoder share one set of rules. It throws
 * RangeError for input that breaks them, which is a programmer error.
 */
export function encodeMpm(input: MpmInput): string {
  if (input.merchantAccounts.length === 0) {
    throw new RangeError('a payload needs at least one merchant account template');
  }
  const { initiation, tip, additionalData: data, alternateLanguage: alt } = input;
  const dataEntries = Object.entries(ADDITIONAL_DATA_IDS).flatMap(([name, id]) =>
    entry(id, data?.[name as keyof AdditionalData]),
  );
  const altEntries: Entry[] | undefined = alt && [
    ['00', alt.language],
    ['01', alt.name],
    ...entry('02', alt.city),
  ];
  const entries: Entry[] = [
    ['00', '01'],
    ...entry('01', initiation && (initiation === 'static' ? '11' : '12')),
    ...templateEntries(input.merchantAccounts, MERCHANT_ACCOUNT_TAG),
    ['52', input.mcc],
    ['53', input.currencyNumeric],
    ...entry('54', input.amount),
    ...entry('55', tip && TIP_CODES[tip.kind]),
    ...entry('56', tip?.kind === 'fixed_fee' ? tip.fee : undefined),
    ...entry('57', tip?.kind === 'percentage_fee' ? tip.percentage : undefined),
    ['58', input.country],
    ['59', input.merchantName],
    ['60', input.merchantCity],
    ...entry('61', input.postalCode),
    ...entry('62', data && joinTlvs('62', dataEntries)),
    ...entry('64', altEntries && joinTlvs('64', altEntries)),
    ...templateEntries(input.unreservedTemplates ?? [], UNRESERVED_TAG),
  ];
  const body = joinTlvs('', entries) + '6304';
  const payload = body + crc16CcittFalse(body);
  const check = decodeMpm(payload);
  if (!check.ok) throw new RangeError(`cannot encode the payload: ${check.detail}`);
  return payload;
}

function checkEnvelope(text: string): EmvcoFailure | undefined {
  if (typeof text !== 'string') return fail('qr_malformed', 'the payload is not text');
  // A character is at most two UTF-16 units, so the first test is a cheap upper bound.
  if (text.length > 2 * MPM_PAYLOAD_LENGTH_MAX || charCount(text) > MPM_PAYLOAD_LENGTH_MAX) {
    return fail('qr_malformed', `the payload is longer than ${MPM_PAYLOAD_LENGTH_MAX} characters`);
  }
  if (!/6304[0-9A-Fa-f]{4}$/.test(text)) return fail('qr_malformed', 'the payload has no CRC');
  const expected = crc16CcittFalse(text.slice(0, -4));
  const written = text.slice(-4).toUpperCase();
  if (written === expected) return undefined;
  return fail('qr_crc_mismatch', `the CRC is ${written} but the payload gives ${expected}`, '63');
}

/** Splits text into TLVs by id, or says what is wrong with it. */
function parseTlvs(text: string): Map<string, string> | string {
  const units = Array.from(text);
  const tlvs = new Map<string, string>();
  for (let at = 0; at < units.length;) {
    const id = units.slice(at, at + 2).join('');
    const lengthText = units.slice(at + 2, at + 4).join('');
    if (!/^[0-9]{2}$/.test(id)) return `the id at character ${at} is not two digits`;
    if (!/^[0-9]{2}$/.test(lengthText)) return `the length of tag ${id} is not two digits`;
    const end = at + 4 + Number(lengthText);
    if (end > units.length) return `tag ${id} runs past the end`;
    if (tlvs.has(id)) return `tag ${id} appears more than once`;
    tlvs.set(id, units.slice(at + 4, end).join(''));
    at = end;
  }
  return tlvs;
}

function findProblem(top: ReadonlyMap<string, string>, templates: Templates) {
  const missingTag = REQUIRED_TAGS.find((id) => !top.has(id));
  if (missingTag) return missing(missingTag);
  const language = templates.get('64');
  if (language && !language.has('00')) return missing('64.00');
  if (language && !language.has('01')) return missing('64.01');
  for (const [path, form, must] of rules) {
    const [id = '', subId] = path.split('.');
    const value = subId === undefined ? top.get(id) : templates.get(id)?.get(subId);
    if (value !== undefined && !form.test(value)) {
      return fail('qr_invalid_field', `tag ${path} must ${must}`, path);
    }
  }
  const tipCode = top.get('55');
  for (const [id, needs] of [
    ['56', TIP_CODES.fixed_fee],
    ['57', TIP_CODES.percentage_fee],
  ] as const) {
    if (tipCode === needs && !top.has(id)) return missing(id);
    if (tipCode !== needs && top.has(id)) {
      return fail('qr_invalid_field', `tag ${id} is allowed only when tag 55 is ${needs}`, id);
    }
  }
  return undefined;
}

function toDecoded(top: ReadonlyMap<string, string>, templates: Templates): DecodedMpm {
  const initiation = top.get('01');
  const data = templates.get('62');
  const alt = templates.get('64');
  return {
    formatIndicator: '01',
    initiation: initiation === undefined ? undefined : initiation === '11' ? 'static' : 'dynamic',
    merchantAccounts: accountsIn(templates, MERCHANT_ACCOUNT_TAG),
    ...optional('mcc', top.get('52')),
    currencyNumeric: top.get('53') ?? '',
    ...optional('amount', top.get('54')),
    ...optional('tip', tipOf(top)),
    country: top.get('58') ?? '',
    ...optional('merchantName', top.get('59')),
    ...optional('merchantCity', top.get('60')),
    ...optional('postalCode', top.get('61')),
    ...optional('additionalData', data && additionalDataOf(data)),
    ...optional('alternateLanguage', alt && alternateLanguageOf(alt)),
    unreservedTemplates: accountsIn(templates, UNRESERVED_TAG),
    raw: Object.fromEntries(top),
  };
}

function accountsIn(templates: Templates, tag: RegExp): MerchantAccount[] {
  return [...templates]
    .filter(([id]) => tag.test(id))
    .map(([id, subs]) => ({
      tag: id,
      ...optional('globallyUniqueId', subs.get('00')),
      fields: Object.fromEntries([...subs].filter(([subId]) => subId !== '00')),
    }));
}

function tipOf(top: ReadonlyMap<string, string>): Tip | undefined {
  const code = top.get('55');
  if (code === TIP_CODES.prompt) return { kind: 'prompt' };
  if (code === TIP_CODES.fixed_fee) return { kind: 'fixed_fee', fee: top.get('56') ?? '' };
  if (code !== TIP_CODES.percentage_fee) return undefined;
  return { kind: 'percentage_fee', percentage: top.get('57') ?? '' };
}

function additionalDataOf(subs: ReadonlyMap<string, string>): AdditionalData {
  const named = Object.entries(ADDITIONAL_DATA_IDS).flatMap(([name, id]) =>
    entry(name, subs.get(id)),
  );
  return Object.fromEntries(named);
}

function alternateLanguageOf(subs: ReadonlyMap<string, string>): AlternateLanguage {
  const city = optional('city', subs.get('02'));
  return { language: subs.get('00') ?? '', name: subs.get('01') ?? '', ...city };
}

function templateEntries(accounts: readonly MerchantAccount[], tag: RegExp): Entry[] {
  return accounts.map((account) => {
    if (!tag.test(account.tag)) throw new RangeError(`tag ${account.tag} is out of its range`);
    const subs = Object.entries(account.fields);
    if (subs.some(([id]) => !/^(0[1-9]|[1-9][0-9])$/.test(id))) {
      throw new RangeError(`template ${account.tag} has a sub-field id outside 01-99`);
    }
    const guid = entry('00', account.globallyUniqueId);
    return [account.tag, joinTlvs(account.tag, [...guid, ...subs])];
  });
}

/** Writes TLVs in ascending id order; `parent` is the enclosing template's tag, '' at the top. */
function joinTlvs(parent: string, entries: readonly Entry[]): string {
  return [...entries]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, value]) => {
      const path = parent === '' ? id : `${parent}.${id}`;
      const text = UNICODE_PATHS.has(path) ? PRINTABLE_UNICODE : PRINTABLE_ASCII;
      if (typeof value !== 'string' || !text.test(value)) {
        throw new RangeError(`tag ${path} must be printable text`);
      }
      const length = charCount(value);
      if (length < 1 || length > 99) {
        throw new RangeError(`tag ${path} must be 1 to 99 characters, not ${length}`);
      }
      return id + String(length).padStart(2, '0') + value;
    })
    .join('');
}

function entry(id: string, value: string | undefined): Entry[] {
  return value === undefined ? [] : [[id, value]];
}

function charCount(text: string): number {
  return Array.from(text).length;
}

/** Spreads `{ [key]: value }` only when there is a value, as exactOptionalPropertyTypes wants. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]: V });
}

function missing(path: string): EmvcoFailure {
  return fail('qr_missing_field', `tag ${path} is required`, path);
}

function fail(code: EmvcoErrorCode, detail: string, param?: string): EmvcoFailure {
  return param === undefined ? { ok: false, code, detail } : { ok: false, code, detail, param };
}
