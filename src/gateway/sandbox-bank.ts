import { createHash, timingSafeEqual } from 'node:crypto';
import type { Static, TSchema } from '@sinclair/typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifySchemaValidationError,
  type FastifyReply,
  type FastifyTypeProvider,
} from 'fastify';
import { systemClock, type Clock } from '../lib/clock.js';
import { bankAdminRoutes } from './bank-admin-routes.js';
import {
  BANK_PROBLEM_TYPE_BASE,
  BankProblemError,
  bankCodes,
  type BankCode,
} from './bank-codes.js';
import { bankRoutes } from './bank-routes.js';
import { createBankState, type BankState, type MovementRecord } from './bank-state.js';
import { CALLBACK_RETRY_BASE_MS, createCallbackSender, type CallbackSender } from './callbacks.js';
import {
  faultSettingsProblem,
  noFaults,
  planDelivery,
  planReorder,
  seededRandom,
  type FaultSettings,
} from './faults.js';
import { sleep } from './sleep.js';
import type { BankProblem } from './wire.js';

/**
 * The sandbox bank: a small Fastify service of its own that behaves like a card gateway, so that
 * Hebao talks to it over HTTP exactly as it would to a real one. Everything is kept in memory;
 * restarting the bank forgets every card, movement and statement. It must never be reachable in
 * production; keeping it out is the job of whoever starts it (the CLI).
 */

/** Request bodies the bank accepts: a card or a movement is a few hundred bytes. */
export const BANK_BODY_BYTES_MAX = 16 * 1024;
/** The longest configurable delay of settlement or callbacks: an hour. */
export const BANK_DELAY_MS_MAX = 3_600_000;
/** How long the answer for a timeout card is held back: longer than any client waits. */
export const HOLD_ANSWER_MS = 30_000;
/** Shortest API key and callback secret accepted, in characters. */
export const BANK_SECRET_LENGTH_MIN = 16;

export interface SandboxBankDelays {
  /** From a movement's creation to its settlement (when its status leaves `pending`). */
  readonly settleMs: number;
  /** From an event (creation or settlement) to its first callback attempt. */
  readonly callbackDelayMs: number;
  /** How long the answer for a timeout card is held back (default `HOLD_ANSWER_MS`). */
  readonly holdAnswerMs?: number;
  /** The pause after a callback's first failed attempt; it doubles after each further one. */
  readonly callbackRetryBaseMs?: number;
}

export interface SandboxBankOptions {
  /** Where the bank POSTs its signed callbacks: Hebao's callback route. */
  readonly callbackUrl: string;
  readonly callbackSecret: string;
  /** Callers authenticate with `Authorization: Bearer <apiKey>`. */
  readonly apiKey: string;
  readonly clock?: Clock;
  readonly delays: SandboxBankDelays;
  /** Fault injection at start; change it at run time with `PUT /bank/v1/sandbox/faults`. */
  readonly faults?: Partial<FaultSettings>;
  /** A pino logger (or any Fastify logger), or false for none. */
  readonly log: FastifyBaseLogger | false;
  /** For the callbacks; the global fetch by default. */
  readonly fetch?: typeof fetch;
}

/** What the routes need from the bank's shell. */
export interface BankContext {
  readonly clock: Clock;
  readonly state: BankState;
  readonly holdAnswerMs: number;
  readonly closing: AbortSignal;
  /** Schedules a new movement's callbacks and settlement. */
  started(movement: MovementRecord): void;
  faults(): FaultSettings;
  setFaults(faults: FaultSettings): void;
  readonly callbacks: CallbackSender;
  pendingSettlements(): number;
}

/** TypeBox schemas as route types, as in `src/http/type-provider.ts`. */
export interface BankTypeProvider extends FastifyTypeProvider {
  readonly validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
  readonly serializer: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
}

export async function buildSandboxBank(options: SandboxBankOptions): Promise<FastifyInstance> {
  checkOptions(options);
  const app = Fastify({
    ...(options.log === false ? { logger: false } : { loggerInstance: options.log }),
    bodyLimit: BANK_BODY_BYTES_MAX,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  // JSON only: a mislabelled body should be a clear 415, not a confusing validation error.
  app.removeContentTypeParser('text/plain');
  const context = createContext(options, app.log);
  app.addHook('preClose', async () => context.close());
  installErrorHandling(app);
  installAuth(app, options.apiKey);
  await app.register(bankRoutes(context));
  await app.register(bankAdminRoutes(context));
  await app.ready();
  return app;
}

function createContext(
  options: SandboxBankOptions,
  log: FastifyBaseLogger,
): BankContext & { close(): void } {
  const clock = options.clock ?? systemClock;
  const closer = new AbortController();
  const state = createBankState({ clock });
  let faults: FaultSettings = { ...noFaults, ...options.faults };
  let random = seededRandom(faults.seed);
  let settlementsPending = 0;
  const callbacks = createCallbackSender({
    url: options.callbackUrl,
    secret: options.callbackSecret,
    clock,
    log,
    fetch: options.fetch ?? globalThis.fetch,
    retryBaseMs: options.delays.callbackRetryBaseMs ?? CALLBACK_RETRY_BASE_MS,
    closing: closer.signal,
  });
  const { settleMs, callbackDelayMs } = options.delays;

  /**
   * The pending event goes out right away, the final one after settlement. When the movement is
   * reordered, the pending event waits until the final one has been delivered, so that the
   * receiver sees sequence 2 before sequence 1.
   */
  async function run(movement: MovementRecord): Promise<void> {
    const reordered = planReorder(faults, random);
    const pending = state.nextEvent(movement, `${movement.kind}.pending`);
    const pendingPlan = planDelivery(faults, random);
    if (!reordered) void callbacks.send(pending, pendingPlan, callbackDelayMs);
    settlementsPending += 1;
    const settled = await sleep(settleMs, closer.signal);
    settlementsPending -= 1;
    if (!settled) return;
    const status = state.settle(movement);
    log.info({ id: movement.id, status }, 'movement settled');
    const final = state.nextEvent(movement, `${movement.kind}.${status}`);
    const finalSent = callbacks.send(final, planDelivery(faults, random), callbackDelayMs);
    if (reordered) void callbacks.send(pending, pendingPlan, callbackDelayMs, finalSent);
    await finalSent;
  }

  return {
    clock,
    state,
    holdAnswerMs: options.delays.holdAnswerMs ?? HOLD_ANSWER_MS,
    closing: closer.signal,
    started(movement) {
      run(movement).catch((error: unknown) => log.error({ err: error }, 'settlement failed'));
    },
    faults: () => faults,
    setFaults(next) {
      faults = next;
      random = seededRandom(next.seed);
    },
    callbacks,
    pendingSettlements: () => settlementsPending,
    close: () => closer.abort(),
  };
}

/** Configuration mistakes are the starter's bug; they stop the bank before it listens. */
function checkOptions(options: SandboxBankOptions): void {
  const url = URL.canParse(options.callbackUrl) ? new URL(options.callbackUrl) : undefined;
  if (url === undefined || !['http:', 'https:'].includes(url.protocol)) {
    throw new RangeError('callbackUrl must be an http(s) URL');
  }
  if (options.apiKey.length < BANK_SECRET_LENGTH_MIN) {
    throw new RangeError(`apiKey needs at least ${BANK_SECRET_LENGTH_MIN} characters`);
  }
  if (options.callbackSecret.length < BANK_SECRET_LENGTH_MIN) {
    throw new RangeError(`callbackSecret needs at least ${BANK_SECRET_LENGTH_MIN} characters`);
  }
  const { settleMs, callbackDelayMs, holdAnswerMs = 0, callbackRetryBaseMs = 1 } = options.delays;
  for (const [name, ms] of Object.entries({
    settleMs,
    callbackDelayMs,
    holdAnswerMs,
    callbackRetryBaseMs,
  })) {
    if (!Number.isInteger(ms) || ms < 0 || ms > BANK_DELAY_MS_MAX) {
      throw new RangeError(`${name} must be a whole number of milliseconds up to an hour`);
    }
  }
  const problem = faultSettingsProblem({ ...noFaults, ...options.faults });
  if (problem !== undefined) throw new RangeError(`faults: ${problem}`);
}

function installAuth(app: FastifyInstance, apiKey: string): void {
  const expected = digest(`Bearer ${apiKey}`);
  app.addHook('onRequest', async (request) => {
    const given = request.headers.authorization;
    // Comparing digests keeps the comparison constant-time whatever the lengths.
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      throw new BankProblemError('unauthenticated', 'Send Authorization: Bearer <api key>.');
    }
  });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

const fastifyCodes: Readonly<Record<string, BankCode>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_VALIDATION: 'validation_failed',
};

function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toBankProblem(error);
    if (bankCodes[problem.code].status >= 500) request.log.error({ err: error }, 'request failed');
    return sendBankProblem(reply, problem);
  });
  app.setNotFoundHandler((_request, reply) =>
    sendBankProblem(reply, new BankProblemError('route_not_found')),
  );
}

function toBankProblem(error: FastifyError): BankProblemError {
  if (error instanceof BankProblemError) return error;
  if (error.validation !== undefined) {
    const param = paramOf(error.validation[0]);
    return new BankProblemError('validation_failed', error.message, param);
  }
  const known = fastifyCodes[error.code];
  if (known !== undefined) return new BankProblemError(known);
  if (error instanceof SyntaxError && error.statusCode === 400)
    return new BankProblemError('malformed_json');
  if (error.statusCode !== undefined && error.statusCode < 500) {
    return new BankProblemError('validation_failed', error.message);
  }
  return new BankProblemError('internal_error', 'The sandbox bank failed; see its log.');
}

/** The offending field as callers wrote it (`amount.currency`), from an Ajv issue. */
function paramOf(issue: FastifySchemaValidationError | undefined): string | undefined {
  if (issue === undefined) return undefined;
  const path = issue.instancePath.split('/').slice(1);
  const child = issue.params['missingProperty'] ?? issue.params['additionalProperty'];
  if (typeof child === 'string') path.push(child);
  return path.length === 0 ? undefined : path.join('.');
}

function sendBankProblem(reply: FastifyReply, problem: BankProblemError): FastifyReply {
  const spec = bankCodes[problem.code];
  const body: BankProblem = {
    type: `${BANK_PROBLEM_TYPE_BASE}${problem.code}`,
    title: spec.title.en,
    status: spec.status,
    code: problem.code,
    ...(problem.detail === undefined ? {} : { detail: problem.detail }),
    ...(problem.param === undefined ? {} : { param: problem.param }),
  };
  if (problem.code === 'unauthenticated') reply.header('www-authenticate', 'Bearer');
  return reply.code(spec.status).type('application/problem+json; charset=utf-8').send(body);
}
