import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../lib/clock.js';
import type { BankEvent } from './bank-state.js';
import { eventToWire } from './codec.js';
import type { DeliveryPlan } from './faults.js';
import { SIGNATURE_HEADER, signatureHeader } from './signature.js';
import { sleep } from './sleep.js';
import type { CallbackLogWire } from './wire.js';

/**
 * The bank's side of callbacks: POSTs each event to Hebao, signed, and tries again with a growing
 * pause while Hebao answers anything but 2xx, as a real gateway does. The fault plan of each
 * event (lost, late, twice) is decided by the caller and carried out here.
 */

/** Attempts per delivery of one event, the pause after the first failure, and its cap. */
export const CALLBACK_ATTEMPTS_MAX = 5;
export const CALLBACK_RETRY_BASE_MS = 100;
export const CALLBACK_RETRY_MAX_MS = 5_000;
/** How long one attempt may take before it counts as failed. */
export const CALLBACK_TIMEOUT_MS = 5_000;
/** The pause between the two copies of a duplicated callback. */
export const CALLBACK_DUPLICATE_GAP_MS = 20;
/** Deliveries kept in the log that `GET /bank/v1/sandbox/callbacks` shows; older ones drop. */
export const CALLBACK_LOG_MAX = 1_000;

type LogEntry = {
  -readonly [
    K in keyof CallbackLogWire['deliveries'][number]
  ]: CallbackLogWire['deliveries'][number][K];
};

export interface CallbackSender {
  /**
   * Carries out one event's plan `delayMs` after `after` has settled (at once without it), and
   * resolves once the event is delivered, given up or lost; it never rejects. It counts as
   * pending from the call.
   */
  send(event: BankEvent, plan: DeliveryPlan, delayMs: number, after?: Promise<void>): Promise<void>;
  /** Deliveries not finished yet, counting those still waiting for their delay. */
  pending(): number;
  log(): CallbackLogWire['deliveries'];
}

export interface CallbackSenderDeps {
  readonly url: string;
  readonly secret: string;
  readonly clock: Clock;
  readonly log: FastifyBaseLogger;
  readonly fetch: typeof fetch;
  readonly retryBaseMs: number;
  /** Aborted when the bank closes: waits end early and requests in flight are cancelled. */
  readonly closing: AbortSignal;
}

export function createCallbackSender(deps: CallbackSenderDeps): CallbackSender {
  const entries: LogEntry[] = [];
  let pending = 0;

  const record = (event: BankEvent, copy: number, status: LogEntry['status']): LogEntry => {
    const entry: LogEntry = {
      event_id: event.id,
      type: event.type,
      object_id: event.objectId,
      sequence: event.sequence,
      copy,
      status,
      attempts: 0,
      last_status_code: null,
    };
    entries.push(entry);
    if (entries.length > CALLBACK_LOG_MAX) entries.shift();
    return entry;
  };

  async function deliver(event: BankEvent, entry: LogEntry): Promise<void> {
    const body = JSON.stringify(eventToWire(event));
    for (let attempt = 1; attempt <= CALLBACK_ATTEMPTS_MAX; attempt++) {
      if (attempt > 1 && !(await sleep(backoffMs(attempt, deps.retryBaseMs), deps.closing))) return;
      entry.attempts = attempt;
      const status = await post(deps, body);
      entry.last_status_code = status ?? null;
      if (status !== undefined && status >= 200 && status < 300) {
        entry.status = 'delivered';
        return;
      }
      if (deps.closing.aborted) return;
      deps.log.info({ event_id: event.id, attempt, status: status ?? null }, 'callback refused');
    }
    entry.status = 'failed';
    deps.log.warn({ event_id: event.id, attempts: CALLBACK_ATTEMPTS_MAX }, 'callback given up');
  }

  return {
    async send(event, plan, delayMs, after) {
      if (plan.lost) {
        record(event, 1, 'lost');
        deps.log.info({ event_id: event.id, type: event.type }, 'callback lost (fault)');
        return;
      }
      const copies = Array.from({ length: plan.copies }, (_, i) =>
        record(event, i + 1, 'scheduled'),
      );
      pending += 1;
      try {
        await after;
        if (!(await sleep(delayMs + plan.extraDelayMs, deps.closing))) return;
        for (const [i, entry] of copies.entries()) {
          if (i > 0 && !(await sleep(CALLBACK_DUPLICATE_GAP_MS, deps.closing))) return;
          await deliver(event, entry);
        }
      } catch (error) {
        // Callers fire and forget, so a fault here must end in the log, not as a rejection.
        deps.log.error({ err: error, event_id: event.id }, 'callback delivery crashed');
      } finally {
        pending -= 1;
      }
    },
    pending: () => pending,
    log: () => entries.map((entry) => ({ ...entry })),
  };
}

/** The pause before attempt `attempt` (2, 3, …): doubling from the base, capped. */
export function backoffMs(attempt: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** (attempt - 2), CALLBACK_RETRY_MAX_MS);
}

/** One attempt: the HTTP status, or undefined when no answer came (refused, timed out). */
async function post(deps: CallbackSenderDeps, body: string): Promise<number | undefined> {
  try {
    const response = await deps.fetch(deps.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'hebao-sandbox-bank',
        // Signed at each attempt, so that a retry hours later still has a fresh timestamp.
        [SIGNATURE_HEADER]: signatureHeader(deps.secret, body, deps.clock.nowMs()),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.any([deps.closing, AbortSignal.timeout(CALLBACK_TIMEOUT_MS)]),
    });
    await response.body?.cancel();
    return response.status;
  } catch {
    // Refused, unreachable or timed out: the caller logs the attempt and tries again.
    return undefined;
  }
}
