import { Value } from '@sinclair/typebox/value';
import { formatAmount } from '../money/index.js';
import { cardFromWire, eventFromWire, movementFromWire, statementFromWire } from './codec.js';
import {
  GatewayError,
  type CreateMovementResult,
  type GetMovementResult,
  type MovementInput,
  type MovementKind,
  type PaymentGateway,
  type StatementResult,
  type TokenizeCardResult,
  type TransportFailureCode,
  type VerifyCallbackResult,
} from './port.js';
import { checkSignature } from './signature.js';
import { BANK_PATH_PREFIX, BankProblemSchema } from './wire.js';

/**
 * The sandbox bank behind Hebao's payment-gateway port, over HTTP. Every call has a deadline;
 * a call that misses it is a `timeout`, whose effect is unknown until asked again with the same
 * reference. Every answer is checked against the bank's schema before it is believed.
 */

/** Bytes of an answer read at most; a statement of a busy sandbox day is the largest. */
export const GATEWAY_RESPONSE_BYTES_MAX = 64 * 1024 * 1024;

export interface SandboxGatewayOptions {
  /** Where the bank listens, e.g. `http://127.0.0.1:4010`. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** The secret the bank signs its callbacks with. */
  readonly callbackSecret: string;
  /** The deadline of each call, from sending the request to reading the whole answer. */
  readonly timeoutMs: number;
  readonly fetch?: typeof fetch;
}

/** What one call to the bank came back with. */
type Answer =
  | { readonly kind: 'ok'; readonly status: number; readonly body: unknown }
  | { readonly kind: 'problem'; readonly code: string; readonly param: string | undefined }
  | { readonly kind: 'transport'; readonly code: TransportFailureCode };

export function createSandboxGateway(options: SandboxGatewayOptions): PaymentGateway {
  const call = caller(options);

  async function createMovement(
    kind: MovementKind,
    input: MovementInput,
  ): Promise<CreateMovementResult> {
    const answer = await call('POST', `/${kind}s`, {
      reference: input.reference,
      card_token: input.cardToken,
      amount: { amount: formatAmount(input.amountMinor, input.currency), currency: input.currency },
    });
    if (answer.kind === 'transport') return { ok: false, code: answer.code };
    if (answer.kind === 'problem') {
      switch (answer.code) {
        case 'card_token_unknown':
        case 'card_expired':
        case 'amount_invalid':
        case 'reference_reused':
          return { ok: false, code: answer.code };
        default:
          throw unexpected(answer);
      }
    }
    const movement = expectMovement(answer.body, kind);
    return { ok: true, id: movement.id, status: movement.status };
  }

  async function getMovement(kind: MovementKind, id: string): Promise<GetMovementResult> {
    const answer = await call('GET', `/${kind}s/${encodeURIComponent(id)}`);
    if (answer.kind === 'transport') return { ok: false, code: answer.code };
    if (answer.kind === 'problem') {
      // An id the bank cannot even read names nothing it has.
      if (answer.code === 'not_found' || answer.code === 'validation_failed') {
        return { ok: false, code: 'not_found' };
      }
      throw unexpected(answer);
    }
    return { ok: true, ...expectMovement(answer.body, kind) };
  }

  return {
    async tokenizeCard(input): Promise<TokenizeCardResult> {
      const answer = await call('POST', '/cards', {
        number: input.number.replace(/[ -]/g, ''),
        exp_month: input.expMonth,
        exp_year: input.expYear,
        cvc: input.cvc,
        holder_name: input.holderName,
      });
      // Tokenizing moves no money, so a late answer is simply no answer.
      if (answer.kind === 'transport') return { ok: false, code: 'gateway_unavailable' };
      if (answer.kind === 'problem') {
        switch (answer.code) {
          case 'card_number_invalid':
          case 'card_details_invalid':
          case 'card_declined':
          case 'card_expired':
            return { ok: false, code: answer.code };
          case 'validation_failed':
            return {
              ok: false,
              code: answer.param === 'number' ? 'card_number_invalid' : 'card_details_invalid',
            };
          default:
            throw unexpected(answer);
        }
      }
      const card = cardFromWire(answer.body);
      if (card === undefined) throw new GatewayError('the sandbox bank sent a malformed card');
      return { ok: true, ...card };
    },

    createCharge: (input) => createMovement('charge', input),
    getCharge: (id) => getMovement('charge', id),
    createPayout: (input) => createMovement('payout', input),
    getPayout: (id) => getMovement('payout', id),

    async statement(date): Promise<StatementResult> {
      const answer = await call('GET', `/statements/${encodeURIComponent(date)}`);
      if (answer.kind === 'transport') return { ok: false, code: answer.code };
      if (answer.kind === 'problem') {
        if (answer.code === 'date_invalid' || answer.code === 'validation_failed') {
          return { ok: false, code: 'date_invalid' };
        }
        throw unexpected(answer);
      }
      const statement = statementFromWire(answer.body);
      if (statement === undefined || statement.date !== date) {
        throw new GatewayError('the sandbox bank sent a malformed statement');
      }
      return { ok: true, ...statement };
    },

    verifyCallback: (rawBody, header, nowMs) =>
      verifyCallback(options.callbackSecret, rawBody, header, nowMs),
  };
}

/**
 * Checks a callback's signature, then decodes its event. Exported on its own for receivers that
 * need only this and not a whole gateway.
 */
export function verifyCallback(
  secret: string,
  rawBody: string,
  header: string | undefined,
  nowMs: number,
): VerifyCallbackResult {
  const check = checkSignature(secret, rawBody, header, nowMs);
  if (!check.ok) return check;
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const event = eventFromWire(body);
  return event === undefined ? { ok: false, reason: 'malformed' } : { ok: true, event };
}

function caller(options: SandboxGatewayOptions) {
  const base = `${options.baseUrl.replace(/\/+$/, '')}${BANK_PATH_PREFIX}`;
  const doFetch = options.fetch ?? globalThis.fetch;
  return async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> => {
    let status: number;
    let text: string;
    try {
      const response = await doFetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        redirect: 'error',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      status = response.status;
      text = await readCapped(response);
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      return { kind: 'transport', code: timedOut ? 'timeout' : 'gateway_unavailable' };
    }
    return interpret(status, text);
  };
}

function interpret(status: number, text: string): Answer {
  if (status >= 500) return { kind: 'transport', code: 'gateway_unavailable' };
  if (status === 401) throw new GatewayError('the sandbox bank refused the API key');
  const body = parseJson(text);
  if (status >= 200 && status < 300) return { kind: 'ok', status, body };
  if (status >= 400 && Value.Check(BankProblemSchema, body)) {
    return { kind: 'problem', code: body.code, param: body.param };
  }
  throw new GatewayError(`the sandbox bank answered ${status} with no problem body`);
}

/** Reads the answer as text, refusing to hold more than the cap in memory. */
async function readCapped(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > GATEWAY_RESPONSE_BYTES_MAX) {
      await reader.cancel();
      throw new GatewayError(
        `the sandbox bank's answer is over ${GATEWAY_RESPONSE_BYTES_MAX} bytes`,
      );
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function expectMovement(body: unknown, kind: MovementKind) {
  const movement = movementFromWire(body);
  if (movement === undefined || movement.kind !== kind) {
    throw new GatewayError(`the sandbox bank sent a malformed ${kind}`);
  }
  return movement;
}

function unexpected(answer: Extract<Answer, { kind: 'problem' }>): GatewayError {
  const param = answer.param === undefined ? '' : ` (${answer.param})`;
  return new GatewayError(`the sandbox bank refused the request: ${answer.code}${param}`);
}
