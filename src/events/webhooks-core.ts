import { failure } from '../lib/code-spec.js';
import { limits } from '../limits.js';
import type { WebhookFailure } from './webhook-codes.js';
import type { WebhookResponse } from './webhook-url.js';

/**
 * The pure core of webhooks: the data an owner sees and the decisions over it (event types,
 * descriptions, the retry schedule, what an attempt's response means, what becomes of a delivery).
 * No database, no clock, no network: the service (webhooks.ts) passes in the time and randomness.
 */

export type WebhookEndpointStatus = 'enabled' | 'disabled' | 'failing';
export type WebhookDeliveryState = 'pending' | 'succeeded' | 'failed';
/** `scheduled`: by the worker; `resend`: asked for by the owner. */
export type WebhookAttemptKind = 'scheduled' | 'resend';

/** An endpoint as its owner sees it; the secret is never part of it. */
export interface WebhookEndpoint {
  readonly id: string;
  readonly owner: string;
  readonly url: string;
  readonly description: string;
  readonly eventTypes: readonly string[];
  readonly status: WebhookEndpointStatus;
  readonly disabledReason: string | null;
  readonly lastSuccessAt: Date | null;
  /** Until then deliveries are signed with the secret before the last rotation too. */
  readonly previousSecretExpiresAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewWebhookEndpoint {
  readonly url: string;
  readonly eventTypes: readonly string[];
  readonly description?: string | undefined;
}

export interface WebhookEndpointPatch {
  readonly url?: string | undefined;
  readonly eventTypes?: readonly string[] | undefined;
  readonly description?: string | undefined;
  /** true: enabled (also from failing); false: disabled. */
  readonly enabled?: boolean | undefined;
}

export interface NewWebhookEvent {
  readonly owner: string;
  /** `payment_intent.succeeded`: lower-case words joined by dots. */
  readonly type: string;
  readonly data: object;
}

export interface WebhookAttempt {
  readonly number: number;
  readonly kind: WebhookAttemptKind;
  readonly attemptedAt: Date;
  /** The HTTP status, or null when none came (timeout, network error, refused URL). */
  readonly status: number | null;
  readonly error: string | null;
  readonly durationMs: number;
  readonly responseExcerpt: string | null;
}

export interface WebhookDelivery {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly endpointId: string;
  readonly state: WebhookDeliveryState;
  readonly attemptCount: number;
  readonly nextAttemptAt: Date | null;
  readonly lastAttemptAt: Date | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly succeededAt: Date | null;
  /** The latest attempts, newest first, at most `webhookAttemptsListedMax`. */
  readonly attempts: readonly WebhookAttempt[];
}

const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
/** A delay is shortened by up to this fraction, so that retries of many deliveries spread out. */
const RETRY_JITTER = 0.2;

export function isWebhookEventType(type: unknown): type is string {
  return (
    typeof type === 'string' &&
    type.length <= limits.webhookEventTypeLengthMax &&
    EVENT_TYPE_PATTERN.test(type)
  );
}

/** The subscribed types, sorted and without repeats; `*` and other patterns are refused. */
export function validateEventTypes(
  types: readonly string[],
  catalogue?: ReadonlySet<string>,
): { readonly ok: true; readonly eventTypes: string[] } | WebhookFailure {
  const refuse = (detail: string) =>
    failure('webhook_event_types_invalid', { param: 'event_types', detail });
  const max = limits.webhookEventTypesPerEndpointMax;
  if (!Array.isArray(types) || types.length === 0 || types.length > max) {
    return refuse(`1 to ${max} event types`);
  }
  for (const type of types) {
    if (!isWebhookEventType(type)) {
      return refuse('name each event type, such as payment_intent.succeeded; no wildcards');
    }
    if (catalogue !== undefined && !catalogue.has(type))
      return refuse(`unknown event type ${type}`);
  }
  return { ok: true, eventTypes: [...new Set(types)].sort() };
}

export function validateDescription(
  description: string,
): { readonly ok: true; readonly description: string } | WebhookFailure {
  const max = limits.webhookDescriptionLengthMax;
  if (typeof description !== 'string' || [...description].length > max) {
    return failure('webhook_description_too_long', {
      param: 'description',
      detail: `at most ${max} characters`,
    });
  }
  return { ok: true, description };
}

/**
 * The status and reason an endpoint has after a patch: `enabled` unset keeps both, true enables it
 * (also from failing) and clears the reason, false disables it by its owner.
 */
export function patchedStatus(
  before: { readonly status: WebhookEndpointStatus; readonly disabledReason: string | null },
  enabled: boolean | undefined,
): { readonly status: WebhookEndpointStatus; readonly reason: string | null } {
  const status: WebhookEndpointStatus =
    enabled === undefined ? before.status : enabled ? 'enabled' : 'disabled';
  const reason =
    status === 'enabled'
      ? null
      : enabled === false
        ? 'disabled by its owner'
        : before.disabledReason;
  return { status, reason };
}

/** The delay after the `attemptCount`-th failed attempt; `random` is uniform in [0, 1). */
export function retryDelayMs(attemptCount: number, random: number): number {
  const exponent = Math.max(0, attemptCount - 1);
  const capped = Math.min(limits.webhookRetryBaseMs * 2 ** exponent, limits.webhookRetryMaxMs);
  return Math.round(capped * (1 - RETRY_JITTER * random));
}

export interface AttemptEnd {
  readonly state: WebhookDeliveryState;
  /** Attempts of the delivery, the one that just ended included. */
  readonly attemptCount: number;
  readonly eventCreatedAtMs: number;
  readonly attemptedAtMs: number;
  readonly succeeded: boolean;
}

export interface AfterAttempt {
  readonly state: WebhookDeliveryState;
  readonly nextAttemptAtMs: number | null;
  /** The delivery was pending and is failed now: the endpoint may be failing. */
  readonly gaveUp: boolean;
}

/** What a delivery becomes after an attempt (the rules at the top of webhooks.ts). */
export function afterAttempt(end: AttemptEnd, random: number): AfterAttempt {
  if (end.succeeded) return { state: 'succeeded', nextAttemptAtMs: null, gaveUp: false };
  if (end.state !== 'pending') return { state: end.state, nextAttemptAtMs: null, gaveUp: false };
  const next = end.attemptedAtMs + retryDelayMs(end.attemptCount, random);
  const deadline = end.eventCreatedAtMs + limits.webhookRetryWindowMs;
  if (next > deadline || end.attemptCount >= limits.webhookAttemptsPerDeliveryMax) {
    return { state: 'failed', nextAttemptAtMs: null, gaveUp: true };
  }
  return { state: 'pending', nextAttemptAtMs: next, gaveUp: false };
}

/**
 * What becomes of a pending delivery whose endpoint is not enabled: it waits until its event's
 * window ends, and is failed once it has.
 */
export function parkedDelivery(
  eventCreatedAt: Date,
  endpointStatus: WebhookEndpointStatus,
  now: Date,
): {
  readonly state: 'failed' | 'pending';
  readonly nextAttemptAt: Date | null;
  readonly error: string | null;
} {
  const deadline = new Date(eventCreatedAt.getTime() + limits.webhookRetryWindowMs);
  const over = deadline <= now;
  return {
    state: over ? 'failed' : 'pending',
    nextAttemptAt: over ? null : deadline,
    error: over ? `gave up: the endpoint is ${endpointStatus}` : null,
  };
}

/** The body of a delivery; the same bytes on every attempt, since jsonb prints one way. */
export function webhookEventBody(event: {
  readonly id: string;
  readonly type: string;
  readonly createdAt: Date;
  readonly data: unknown;
}): string {
  const created = event.createdAt.toISOString();
  return JSON.stringify({ id: event.id, type: event.type, created, data: event.data });
}

export interface AttemptOutcome {
  readonly attemptedAt: Date;
  readonly durationMs: number;
  readonly status: number | null;
  readonly error: string | null;
  readonly excerpt: string | null;
}

export const isSuccess = (status: number | null) =>
  status !== null && status >= 200 && status < 300;

/** The attempt numbered `number`, as its log records it. */
export function loggedAttempt(
  number: number,
  kind: WebhookAttemptKind,
  outcome: AttemptOutcome,
): WebhookAttempt {
  return {
    number,
    kind,
    attemptedAt: outcome.attemptedAt,
    status: outcome.status,
    error: outcome.error,
    durationMs: outcome.durationMs,
    responseExcerpt: outcome.excerpt,
  };
}

export function responseOutcome(
  response: WebhookResponse,
): Pick<AttemptOutcome, 'status' | 'error' | 'excerpt'> {
  const { status, excerpt } = response;
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    return { status: null, error: 'the response had no valid HTTP status', excerpt: null };
  }
  const redirect = status >= 300 && status < 400;
  return { status, error: redirect ? 'redirects are not followed' : null, excerpt };
}

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return clip(String(error));
  if (error.name === 'TimeoutError' || error.name === 'AbortError') {
    return `no response within ${limits.webhookRequestTimeoutMs} ms`;
  }
  // fetch fails with "fetch failed" and the socket's error as the cause.
  const inner = error.cause instanceof Error ? error.cause : error;
  const code = (inner as { code?: unknown }).code;
  return clip(typeof code === 'string' ? `${code}: ${inner.message}` : inner.message);
}

export function clip(text: string): string {
  return Array.from(text).slice(0, limits.webhookErrorLengthMax).join('');
}
