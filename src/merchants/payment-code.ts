/**
 * The user payment code (付款码) that a merchant scans: 18 digits made of Hebao's two-digit
 * prefix, a ten-digit token id in disguise and a six-digit time-based code on a 60-second step.
 * The phone makes it offline from the device secret, the token id and its clock; the server finds
 * the device from the code alone, then checks the time-based code with that device's secret.
 *
 * Security rests on the time-based code: RFC 4226 dynamic truncation of HMAC-SHA-256 over the
 * step number (RFC 6238 with a 60-second step), keyed by a device secret of at least 128 bits.
 * A guess is right once in a million, so the server accepts the current and previous step only,
 * each code once, and limits failed attempts per token id.
 *
 * The disguise of the token id is not secrecy. The server has to recover the token id before it
 * knows which device made the code, so the disguise cannot use the device secret, and any other
 * key the phone held for it would be in every copy of the app (and this source is public). It is
 * a format-preserving permutation of the ten-digit space, a Feistel network keyed by the step
 * number and a published constant: to someone reading codes, consecutive token ids do not look
 * consecutive and one device's codes look unrelated from one minute to the next, but anyone who
 * runs this code can recover the token id of any code. So a token id must mean nothing outside
 * the server: it names a device provisioning, which can be revoked and replaced, not a user.
 *
 * Pure functions over Web Crypto, so that the wallet web app and the server share them.
 */
import { failure, type Failure } from '../lib/code-spec.js';

/**
 * Merchant terminals route a scanned code to its wallet by the first two digits: WeChat Pay uses
 * 10 to 15 and Alipay 25 to 30, so Hebao takes a prefix outside both.
 */
export const PAYMENT_CODE_PREFIX = '88';
export const PAYMENT_CODE_LENGTH = 18;
export const PAYMENT_CODE_STEP_SECONDS = 60;

const TOKEN_ID_DIGITS = 10;
/** Token ids are the integers below this bound, so that each fits in ten digits. */
export const TOKEN_ID_LIMIT = 10 ** TOKEN_ID_DIGITS;

/** 128 bits is the least RFC 4226 allows; new secrets get the 160 bits it recommends. */
const SECRET_BYTES_MIN = 16;
const SECRET_BYTES = 20;
const OTP_DIGITS = 6;
const STEP_MS = PAYMENT_CODE_STEP_SECONDS * 1000;

/** The Feistel network splits a token id into two five-digit halves. */
const HALF_LIMIT = 100_000;
/** Twice the four rounds Luby and Rackoff's construction needs; a round costs one HMAC. */
const FEISTEL_ROUNDS = 8;
/** Published on purpose: it separates this use of HMAC from others, it hides nothing. */
const DISGUISE_KEY = new TextEncoder().encode('hebao payment code token id disguise v1');

const CODE_PATTERN = /^[0-9]{18}$/;

/** Named from the global, so the module compiles against the DOM's declarations or Node's. */
type HmacKey = Awaited<ReturnType<typeof globalThis.crypto.subtle.importKey>>;

export type PaymentCodeCode = 'payment_code_malformed' | 'payment_code_unknown_prefix';

export type ParsedPaymentCode =
  | { readonly ok: true; readonly disguisedTokenId: number; readonly otp: string }
  | Failure<PaymentCodeCode>;

export interface PaymentCodeInput {
  readonly secret: Uint8Array;
  readonly tokenId: number | bigint;
  /** A Date or milliseconds since 1970, as the phone's clock tells it. */
  readonly at: Date | number;
}

export interface PaymentCodeCheck {
  readonly code: string;
  readonly secret: Uint8Array;
  readonly tokenId: number | bigint;
  readonly step: number;
}

/** A fresh device secret of 160 bits from the platform's secure random source. */
export function newPaymentCodeSecret(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
}

/** The number of the 60-second step that contains `at`. */
export function paymentCodeStep(at: Date | number): number {
  return Math.floor(millisecondsOf(at) / STEP_MS);
}

/**
 * The steps whose codes the server accepts at `at`, in the order to try them: the current one,
 * then the previous one (which step 0, in 1970, does not have).
 */
export function candidateSteps(at: Date | number): readonly number[] {
  const step = paymentCodeStep(at);
  return step > 0 ? [step, step - 1] : [step];
}

/** Whole seconds until the code on screen changes, from 60 down to 1, for the countdown. */
export function secondsLeftInStep(at: Date | number): number {
  const ms = millisecondsOf(at);
  return Math.ceil((STEP_MS - (ms % STEP_MS)) / 1000);
}

/** The code the phone shows at `at`. */
export async function generatePaymentCode({
  secret,
  tokenId,
  at,
}: PaymentCodeInput): Promise<string> {
  return paymentCodeForStep(secret, tokenIdOf(tokenId), paymentCodeStep(at));
}

/**
 * Splits a scanned code into its parts without any secret. Only the format is checked here: the
 * caller recovers the token id for each candidate step, looks each up and verifies.
 */
export function parsePaymentCode(code: string): ParsedPaymentCode {
  if (!CODE_PATTERN.test(code)) {
    return failure('payment_code_malformed', {
      detail: `a payment code is ${PAYMENT_CODE_LENGTH} digits`,
    });
  }
  if (!code.startsWith(PAYMENT_CODE_PREFIX)) {
    return failure('payment_code_unknown_prefix', {
      detail: `a Hebao payment code starts with ${PAYMENT_CODE_PREFIX}`,
    });
  }
  const prefixEnd = PAYMENT_CODE_PREFIX.length;
  const otpStart = PAYMENT_CODE_LENGTH - OTP_DIGITS;
  return {
    ok: true,
    disguisedTokenId: Number(code.slice(prefixEnd, otpStart)),
    otp: code.slice(otpStart),
  };
}

/**
 * Whether `code` is the code of this device and token id at `step`. The whole code is compared in
 * constant time, so a wrong guess says nothing about which digits were right. Whether `step` is
 * one the server still accepts, and whether the code was used before, are the caller's to check.
 */
export async function verifyPaymentCode({
  code,
  secret,
  tokenId,
  step,
}: PaymentCodeCheck): Promise<boolean> {
  const expected = await paymentCodeForStep(secret, tokenIdOf(tokenId), step);
  return constantTimeEqual(code, expected);
}

/** Disguises a token id for one step: a permutation of [0, TOKEN_ID_LIMIT) for each step. */
export async function disguiseTokenId(tokenId: number | bigint, step: number): Promise<number> {
  const key = await disguiseKey();
  const checkedStep = stepOf(step);
  let [left, right] = halvesOf(tokenIdOf(tokenId));
  for (let round = 0; round < FEISTEL_ROUNDS; round += 1) {
    const mask = await roundValue(key, checkedStep, round, right);
    [left, right] = [right, (left + mask) % HALF_LIMIT];
  }
  return left * HALF_LIMIT + right;
}

/** The token id behind a disguised one, if the code was made at `step`. */
export async function recoverTokenId(disguisedTokenId: number, step: number): Promise<number> {
  const key = await disguiseKey();
  const checkedStep = stepOf(step);
  let [left, right] = halvesOf(tokenIdOf(disguisedTokenId));
  for (let round = FEISTEL_ROUNDS - 1; round >= 0; round -= 1) {
    const mask = await roundValue(key, checkedStep, round, left);
    [left, right] = [(right - mask + HALF_LIMIT) % HALF_LIMIT, left];
  }
  return left * HALF_LIMIT + right;
}

async function paymentCodeForStep(
  secret: Uint8Array,
  tokenId: number,
  step: number,
): Promise<string> {
  if (secret.length < SECRET_BYTES_MIN) {
    throw new RangeError(`a payment code secret has at least ${SECRET_BYTES_MIN} bytes`);
  }
  const disguised = await disguiseTokenId(tokenId, step);
  const otp = await timeBasedCode(secret, stepOf(step));
  return `${PAYMENT_CODE_PREFIX}${String(disguised).padStart(TOKEN_ID_DIGITS, '0')}${otp}`;
}

/** RFC 4226 section 5.3: HMAC over the eight-byte counter, dynamic truncation, six digits. */
async function timeBasedCode(secret: Uint8Array, step: number): Promise<string> {
  const key = await hmacKey(secret);
  const mac = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', key, counterOf(step)));
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = new DataView(mac.buffer).getUint32(offset) & 0x7fffffff;
  return String(binary % 10 ** OTP_DIGITS).padStart(OTP_DIGITS, '0');
}

/** One Feistel round's value: HMAC of (step, round, half), reduced to a five-digit number. */
async function roundValue(
  key: HmacKey,
  step: number,
  round: number,
  half: number,
): Promise<number> {
  const message = new DataView(new ArrayBuffer(13));
  message.setBigUint64(0, BigInt(step));
  message.setUint8(8, round);
  message.setUint32(9, half);
  const mac = await globalThis.crypto.subtle.sign('HMAC', key, message);
  return new DataView(mac).getUint32(0) % HALF_LIMIT;
}

function disguiseKey(): Promise<HmacKey> {
  return hmacKey(DISGUISE_KEY);
}

function hmacKey(raw: Uint8Array): Promise<HmacKey> {
  // A copy on a plain ArrayBuffer: the DOM typings refuse views of a possibly shared buffer.
  const bytes = new Uint8Array(raw);
  return globalThis.crypto.subtle.importKey(
    'raw',
    bytes,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
}

function counterOf(step: number): ArrayBuffer {
  const counter = new DataView(new ArrayBuffer(8));
  counter.setBigUint64(0, BigInt(step));
  return counter.buffer;
}

function halvesOf(value: number): [number, number] {
  return [Math.floor(value / HALF_LIMIT), value % HALF_LIMIT];
}

function tokenIdOf(tokenId: number | bigint): number {
  const value = Number(tokenId);
  if (!Number.isSafeInteger(value) || value < 0 || value >= TOKEN_ID_LIMIT) {
    throw new RangeError(`a token id is an integer in [0, ${TOKEN_ID_LIMIT})`);
  }
  return value;
}

function stepOf(step: number): number {
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new RangeError('a step is a non-negative integer');
  }
  return step;
}

function millisecondsOf(at: Date | number): number {
  const ms = typeof at === 'number' ? at : at.getTime();
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError('a time is after 1970');
  return ms;
}

/** Compares every character whatever the first difference, so timing tells nothing. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i += 1) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
