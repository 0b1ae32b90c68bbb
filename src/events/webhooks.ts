import { withTransaction, type Executor, type Pool } from '../db/index.js';
import { assert } from '../lib/assert.js';
import type { Clock } from '../lib/clock.js';
import { failure, type CodeSpec, type Failure } from '../lib/code-spec.js';
import { decryptField, encryptField, type Keyring } from '../lib/encryption.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';
import {
  generateWebhookSecret,
  signWebhook,
  WEBHOOK_EVENT_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
} from './webhook-signature.js';
import {
  checkWebhookUrl,
  postPinned,
  postWithFetch,
  systemResolver,
  type WebhookPost,
  type WebhookResolver,
  type WebhookResponse,
} from './webhook-url.js';

/**
 * Webhooks (API.md, "Webhooks and events"): owners (merchants, apps; opaque ids to this module)
 * register endpoints that subscribe to event types; an event is written in the transaction of the
 * change it reports, with one delivery per subscribed enabled endpoint; the worker POSTs each
 * delivery, signed, and retries until it succeeds or its window ends. Every attempt is logged so
 * that an owner can see what their endpoint answered.
 *
 * Rules, exactly:
 * - Success is any 2xx. A redirect is never followed and counts as a failure, like any other
 *   status, a timeout (`webhookRequestTimeoutMs` for the whole exchange), a network error, or a
 *   URL that fails the policy when re-checked before the attempt (webhook-url.ts).
 * - Backoff: after the n-th failed attempt of a pending delivery (n counts every attempt, resends
 *   included) the next is due `min(30 s · 2^(n−1), 6 h) · (1 − 0.2·r)` later, r uniform in [0, 1):
 *   24–30 s, 48–60 s, 96–120 s, ... then every 4.8–6 h. When that time would fall after the
 *   event's creation + 3 days (`webhookRetryWindowMs`), or n reaches `webhookAttemptsPerDeliveryMax`,
 *   the delivery is `failed` instead: nothing is attempted after the window.
 * - Failing: when a delivery is failed that way, its endpoint is marked `failing` if no attempt to
 *   it has succeeded since that delivery's event was created; so every attempt to the endpoint for
 *   at least the whole 3-day window failed. A failing (or disabled) endpoint gets no deliveries of
 *   new events; its pending deliveries wait until their window ends and are then failed with no
 *   attempt. Re-enabling it makes them due at once.
 * - The event id is the receiver's de-duplication key: a delivery can arrive more than once (a
 *   worker that crashes after the POST, a resend, a claim that ran out), never not at all while
 *   its window lasts.
 *
 * Event data is stored as jsonb and sent as `JSON.stringify` of what PostgreSQL returns: callers
 * put amounts and other large integers in strings, as the API does everywhere.
 */

export const webhookCodes = {
  webhook_endpoint_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such webhook endpoint', 'zh-CN': 'Webhook 端点不存在' },
  },
  webhook_endpoints_too_many: {
    status: 409,
    retryable: false,
    title: {
      en: 'Too many webhook endpoints; delete one first',
      'zh-CN': 'Webhook 端点数量已达上限，请先删除一个',
    },
  },
  webhook_url_invalid: {
    status: 400,
    retryable: false,
    title: { en: 'The webhook URL is not a valid http(s) URL', 'zh-CN': 'Webhook 地址无效' },
  },
  webhook_url_not_https: {
    status: 400,
    retryable: false,
    title: { en: 'Webhook URLs must use https', 'zh-CN': 'Webhook 地址必须使用 HTTPS' },
  },
  webhook_url_forbidden_address: {
    status: 400,
    retryable: false,
    title: {
      en: 'The webhook URL points to a private, loopback or reserved address',
      'zh-CN': 'Webhook 地址指向内网、本机或保留地址',
    },
  },
  webhook_url_unresolvable: {
    status: 400,
    retryable: true,
    title: {
      en: 'The host name of the webhook URL could not be resolved',
      'zh-CN': '无法解析 Webhook 地址的主机名',
    },
  },
  webhook_event_types_invalid: {
    status: 400,
    retryable: false,
    title: {
      en: 'Subscribe to one or more known event types, each named explicitly',
      'zh-CN': '请明确订阅一个或多个有效的事件类型',
    },
  },
  webhook_description_too_long: {
    status: 400,
    retryable: false,
    title: { en: 'The description is too long', 'zh-CN': '描述过长' },
  },
  webhook_delivery_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such webhook delivery', 'zh-CN': 'Webhook 投递记录不存在' },
  },
  webhook_delivery_attempts_exhausted: {
    status: 409,
    retryable: false,
    title: {
      en: 'This delivery has been attempted as often as allowed',
      'zh-CN': '该投递的尝试次数已达上限',
    },
  },
} as const satisfies Record<string, CodeSpec>;

export type WebhookCode = keyof typeof webhookCodes;
export type WebhookFailure = Failure<WebhookCode>;
export type WebhookResult<T> = ({ readonly ok: true } & T) | WebhookFailure;

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

export interface WebhookDeliveryPage {
  readonly endpointId?: string | undefined;
  readonly limit: number;
  readonly startingAfter?: string | undefined;
}

export interface WebhookDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly keyring: Keyring;
  /** Production: https only, and loopback is never allowed. */
  readonly production: boolean;
  /** Development: endpoints on 127.0.0.0/8 and ::1 are allowed, for a local receiver. */
  readonly allowLoopback: boolean;
  /**
   * Sends deliveries through this instead of the built-in transport, which connects to the very
   * address it checked; with `fetch` the address is re-checked before each request but `fetch`
   * looks the name up again itself.
   */
  readonly fetch?: typeof fetch | undefined;
  readonly resolver?: WebhookResolver | undefined;
  /** The event types owners may subscribe to; unset, any well-formed type. */
  readonly eventTypes?: readonly string[] | undefined;
  /** Uniform in [0, 1), for the retry jitter; `Math.random` unless a test fixes it. */
  readonly random?: (() => number) | undefined;
}

export interface Webhooks {
  /** The secret is returned here and by `rotateSecret` only, never again. */
  createEndpoint(
    owner: string,
    input: NewWebhookEndpoint,
  ): Promise<WebhookResult<{ endpoint: WebhookEndpoint; secret: string }>>;
  /** Newest first; at most `webhookEndpointsPerOwnerMax`, so always one page. */
  listEndpoints(owner: string): Promise<WebhookEndpoint[]>;
  getEndpoint(owner: string, id: string): Promise<WebhookResult<{ endpoint: WebhookEndpoint }>>;
  updateEndpoint(
    owner: string,
    id: string,
    patch: WebhookEndpointPatch,
  ): Promise<WebhookResult<{ endpoint: WebhookEndpoint }>>;
  /** Deletes the endpoint with its deliveries and their attempts; events stay. */
  deleteEndpoint(owner: string, id: string): Promise<WebhookResult<{ id: string }>>;
  /**
   * A new secret; the old one keeps signing beside it for `webhookSecretOverlapMs` so receivers
   * can switch without losing deliveries, unless `expirePreviousNow` (a leaked secret).
   */
  rotateSecret(
    owner: string,
    id: string,
    options?: { readonly expirePreviousNow?: boolean | undefined },
  ): Promise<WebhookResult<{ endpoint: WebhookEndpoint; secret: string }>>;
  /** `enqueueWebhookEvent`, also checking the type against the configured catalogue. */
  enqueueWebhookEvent(tx: Executor, event: NewWebhookEvent, now: Date): Promise<string>;
  /** Newest first, with each delivery's latest attempts. */
  listDeliveries(
    owner: string,
    page: WebhookDeliveryPage,
  ): Promise<WebhookResult<{ data: WebhookDelivery[]; hasMore: boolean }>>;
  getDelivery(owner: string, id: string): Promise<WebhookResult<{ delivery: WebhookDelivery }>>;
  /**
   * One attempt now, whatever the delivery's state and its endpoint's status, recorded in its
   * log. A success makes a pending or failed delivery succeeded; a failure of a pending one is
   * scheduled like any other; a succeeded delivery stays succeeded.
   */
  resend(
    owner: string,
    deliveryId: string,
  ): Promise<WebhookResult<{ delivery: WebhookDelivery; attempt: WebhookAttempt }>>;
  /** One worker pass: attempts the due deliveries; returns how many deliveries it handled. */
  deliverDue(): Promise<number>;
}

const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const USER_AGENT = 'Hebao-Webhooks/1';
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

function validateDescription(
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

/** What a delivery becomes after an attempt (the rules at the top of this file). */
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

function assertOwner(owner: string): void {
  assert(
    typeof owner === 'string' && owner.length >= 1 && owner.length <= limits.ownerLengthMax,
    `a webhook owner is 1 to ${limits.ownerLengthMax} characters`,
  );
}

/**
 * Writes an event and, in the same statement, one pending delivery for each enabled endpoint of
 * its owner subscribed to its type, due at once. Call it in the transaction of the change the
 * event reports: a change that rolls back leaves no event and no delivery.
 */
export async function enqueueWebhookEvent(
  tx: Executor,
  event: NewWebhookEvent,
  now: Date,
): Promise<string> {
  assertOwner(event.owner);
  assert(isWebhookEventType(event.type), `malformed webhook event type ${String(event.type)}`);
  assert(
    typeof event.data === 'object' && event.data !== null && !Array.isArray(event.data),
    'webhook event data is an object',
  );
  const data = JSON.stringify(event.data);
  assert(
    Buffer.byteLength(data) <= limits.webhookEventDataBytesMax,
    `webhook event data is at most ${limits.webhookEventDataBytesMax} bytes`,
  );
  const nowMs = now.getTime();
  const id = newId('evt', nowMs);
  // One id for each endpoint the owner may have, since the statement picks the endpoints.
  const deliveryIds = Array.from({ length: limits.webhookEndpointsPerOwnerMax }, () =>
    newId('whd', nowMs),
  );
  await tx.query({
    name: 'webhook_events_enqueue',
    text: `WITH event AS (
       INSERT INTO webhook_events (id, owner, type, data, created_at)
       VALUES ($1, $2, $3, $4::jsonb, $5)
       RETURNING id, owner, type, created_at
     )
     INSERT INTO webhook_deliveries (id, owner, event_id, endpoint_id, state, attempts,
       next_attempt_at, created_at)
     SELECT ($6::text[])[row_number() OVER (ORDER BY e.id)], ev.owner, ev.id, e.id, 'pending', 0,
            ev.created_at, ev.created_at
       FROM event ev
       JOIN webhook_endpoints e
         ON e.owner = ev.owner AND e.status = 'enabled' AND ev.type = ANY (e.event_types)`,
    values: [id, event.owner, event.type, data, now, deliveryIds],
  });
  return id;
}

// ---- SQL ----------------------------------------------------------------------------------------

interface EndpointRow {
  id: string;
  owner: string;
  url: string;
  description: string;
  event_types: string[];
  status: WebhookEndpointStatus;
  disabled_reason: string | null;
  last_success_at: Date | null;
  previous_secret_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** Every column but the sealed secrets, which only signing reads. */
const ENDPOINT_COLUMNS = `id, owner, url, description, event_types, status, disabled_reason,
  last_success_at, previous_secret_expires_at, created_at, updated_at`;

const endpointOf = (r: EndpointRow): WebhookEndpoint => ({
  id: r.id,
  owner: r.owner,
  url: r.url,
  description: r.description,
  eventTypes: r.event_types,
  status: r.status,
  disabledReason: r.disabled_reason,
  lastSuccessAt: r.last_success_at,
  previousSecretExpiresAt: r.previous_secret_expires_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const secretAad = (endpointId: string) => `${endpointId}/secret`;
const previousSecretAad = (endpointId: string) => `${endpointId}/previous_secret`;

async function selectEndpoint(
  db: Executor,
  owner: string,
  id: string,
  lock = false,
): Promise<EndpointRow | undefined> {
  const { rows } = await db.query<EndpointRow>(
    `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE owner = $1 AND id = $2
     ${lock ? 'FOR NO KEY UPDATE' : ''}`,
    [owner, id],
  );
  return rows[0];
}

async function insertEndpoint(
  tx: Executor,
  e: {
    id: string;
    owner: string;
    url: string;
    description: string;
    eventTypes: string[];
    secretSealed: string;
    now: Date;
  },
): Promise<EndpointRow> {
  const { rows } = await tx.query<EndpointRow>(
    `INSERT INTO webhook_endpoints (id, owner, url, description, event_types, secret_sealed,
       status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'enabled', $7, $7)
     RETURNING ${ENDPOINT_COLUMNS}`,
    [e.id, e.owner, e.url, e.description, e.eventTypes, e.secretSealed, e.now],
  );
  return rows[0]!;
}

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  endpoint_id: string;
  state: WebhookDeliveryState;
  attempts: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  succeeded_at: Date | null;
}

interface AttemptRow {
  delivery_id: string;
  number: number;
  kind: WebhookAttemptKind;
  attempted_at: Date;
  status: number | null;
  error: string | null;
  duration_ms: number;
  response_excerpt: string | null;
}

const attemptOf = (r: AttemptRow): WebhookAttempt => ({
  number: r.number,
  kind: r.kind,
  attemptedAt: r.attempted_at,
  status: r.status,
  error: r.error,
  durationMs: r.duration_ms,
  responseExcerpt: r.response_excerpt,
});

/** An owner's deliveries, newest first, with their latest attempts. */
async function selectDeliveries(
  db: Executor,
  owner: string,
  filter: { endpointId?: string | undefined; id?: string | undefined; before?: string | undefined },
  limit: number,
): Promise<WebhookDelivery[]> {
  const { rows } = await db.query<DeliveryRow>(
    `SELECT d.id, d.event_id, ev.type AS event_type, d.endpoint_id, d.state, d.attempts,
            d.next_attempt_at, d.last_attempt_at, d.last_status, d.last_error, d.created_at,
            d.succeeded_at
       FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
      WHERE d.owner = $1 AND ($2::text IS NULL OR d.endpoint_id = $2)
        AND ($3::text IS NULL OR d.id = $3) AND ($4::text IS NULL OR d.id < $4)
      ORDER BY d.id DESC LIMIT $5`,
    [owner, filter.endpointId ?? null, filter.id ?? null, filter.before ?? null, limit],
  );
  const { rows: attempts } = await db.query<AttemptRow>(
    `SELECT a.* FROM unnest($1::text[]) AS d(id)
       CROSS JOIN LATERAL (
         SELECT delivery_id, number, kind, attempted_at, status, error, duration_ms,
                response_excerpt
           FROM webhook_attempts WHERE delivery_id = d.id ORDER BY number DESC LIMIT $2
       ) a`,
    [rows.map((r) => r.id), limits.webhookAttemptsListedMax],
  );
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    eventType: r.event_type,
    endpointId: r.endpoint_id,
    state: r.state,
    attemptCount: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastAttemptAt: r.last_attempt_at,
    lastStatus: r.last_status,
    lastError: r.last_error,
    createdAt: r.created_at,
    succeededAt: r.succeeded_at,
    attempts: attempts.filter((a) => a.delivery_id === r.id).map(attemptOf),
  }));
}

interface TargetRow {
  id: string;
  endpoint_id: string;
  attempts: number;
  endpoint_status: WebhookEndpointStatus;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  event_id: string;
  event_type: string;
  event_data: unknown;
  event_created_at: Date;
}

/** What an attempt needs: the delivery, its endpoint's URL and sealed secrets, its event. */
const TARGET_SELECT = `SELECT d.id, d.endpoint_id, d.attempts, e.status AS endpoint_status, e.url,
         e.secret_sealed, e.previous_secret_sealed, e.previous_secret_expires_at,
         ev.id AS event_id, ev.type AS event_type, ev.data AS event_data,
         ev.created_at AS event_created_at
    FROM webhook_deliveries d
    JOIN webhook_endpoints e ON e.id = d.endpoint_id
    JOIN webhook_events ev ON ev.id = d.event_id`;

/**
 * Claims the due deliveries of one pass. SKIP LOCKED lets several workers share the table; the
 * claim moves each due time a lease ahead and commits, so no transaction stays open over the
 * network and a claim lost with its worker comes due again when the lease ends. Deliveries of an
 * endpoint that is not enabled are parked until their window ends, then failed.
 */
async function claimDue(tx: Executor, now: Date): Promise<{ ready: TargetRow[]; handled: number }> {
  const { rows } = await tx.query<TargetRow>(
    `${TARGET_SELECT}
      WHERE d.state = 'pending' AND d.next_attempt_at <= $1
      ORDER BY d.next_attempt_at LIMIT $2
        FOR UPDATE OF d SKIP LOCKED`,
    [now, limits.webhookDeliveryBatchSizeMax],
  );
  const ready = rows.filter((r) => r.endpoint_status === 'enabled');
  const parked = rows.filter((r) => r.endpoint_status !== 'enabled');
  if (ready.length > 0) {
    await tx.query(
      'UPDATE webhook_deliveries SET next_attempt_at = $2 WHERE id = ANY ($1::text[])',
      [ready.map((r) => r.id), new Date(now.getTime() + limits.webhookDeliveryLeaseMs)],
    );
  }
  if (parked.length > 0) await park(tx, parked, now);
  return { ready, handled: rows.length };
}

async function park(tx: Executor, rows: readonly TargetRow[], now: Date): Promise<void> {
  const plans = rows.map((r) => {
    const deadline = new Date(r.event_created_at.getTime() + limits.webhookRetryWindowMs);
    const over = deadline <= now;
    return {
      id: r.id,
      state: over ? 'failed' : 'pending',
      next: over ? null : deadline,
      error: over ? `gave up: the endpoint is ${r.endpoint_status}` : null,
    };
  });
  await tx.query(
    `UPDATE webhook_deliveries d
        SET state = p.state, next_attempt_at = p.next, last_error = COALESCE(p.error, d.last_error)
       FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) AS p(id, state, next, error)
      WHERE d.id = p.id`,
    [
      plans.map((p) => p.id),
      plans.map((p) => p.state),
      plans.map((p) => p.next),
      plans.map((p) => p.error),
    ],
  );
}

interface AttemptOutcome {
  readonly attemptedAt: Date;
  readonly durationMs: number;
  readonly status: number | null;
  readonly error: string | null;
  readonly excerpt: string | null;
}

const isSuccess = (status: number | null) => status !== null && status >= 200 && status < 300;

/**
 * Writes an attempt and its consequences in one transaction. Locks the endpoint before the
 * delivery, the order every writer of both follows (updateEndpoint, deleteEndpoint), so that
 * they cannot deadlock; FOR NO KEY UPDATE leaves callers that enqueue events unblocked.
 */
async function recordAttempt(
  tx: Executor,
  target: TargetRow,
  outcome: AttemptOutcome,
  kind: WebhookAttemptKind,
  random: number,
): Promise<WebhookAttempt | undefined> {
  await tx.query('SELECT 1 FROM webhook_endpoints WHERE id = $1 FOR NO KEY UPDATE', [
    target.endpoint_id,
  ]);
  const { rows } = await tx.query<{ state: WebhookDeliveryState; attempts: number }>(
    'SELECT state, attempts FROM webhook_deliveries WHERE id = $1 FOR NO KEY UPDATE',
    [target.id],
  );
  const row = rows[0];
  if (row === undefined) return undefined; // deleted with its endpoint meanwhile
  const succeeded = isSuccess(outcome.status);
  const attempt: WebhookAttempt = {
    number: row.attempts + 1,
    kind,
    attemptedAt: outcome.attemptedAt,
    status: outcome.status,
    error: outcome.error,
    durationMs: outcome.durationMs,
    responseExcerpt: outcome.excerpt,
  };
  const next = afterAttempt(
    {
      state: row.state,
      attemptCount: attempt.number,
      eventCreatedAtMs: target.event_created_at.getTime(),
      attemptedAtMs: outcome.attemptedAt.getTime(),
      succeeded,
    },
    random,
  );
  await tx.query(
    `UPDATE webhook_deliveries
        SET state = $2, attempts = $3, next_attempt_at = $4, last_attempt_at = $5,
            last_status = $6, last_error = $7,
            succeeded_at = CASE WHEN $2 = 'succeeded' THEN COALESCE(succeeded_at, $5) END
      WHERE id = $1`,
    [
      target.id,
      next.state,
      attempt.number,
      next.nextAttemptAtMs === null ? null : new Date(next.nextAttemptAtMs),
      attempt.attemptedAt,
      attempt.status,
      attempt.error,
    ],
  );
  await tx.query(
    `INSERT INTO webhook_attempts (delivery_id, number, kind, attempted_at, status, error,
       duration_ms, response_excerpt)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      target.id,
      attempt.number,
      kind,
      attempt.attemptedAt,
      attempt.status,
      attempt.error,
      attempt.durationMs,
      attempt.responseExcerpt,
    ],
  );
  if (succeeded) {
    await tx.query(
      'UPDATE webhook_endpoints SET last_success_at = GREATEST(last_success_at, $2) WHERE id = $1',
      [target.endpoint_id, attempt.attemptedAt],
    );
  }
  if (next.gaveUp) await markFailing(tx, target, attempt.attemptedAt);
  return attempt;
}

/** The failing rule: no attempt to the endpoint succeeded since the given-up event was created. */
async function markFailing(tx: Executor, target: TargetRow, now: Date): Promise<void> {
  const days = limits.webhookRetryWindowMs / 86_400_000;
  const since = target.event_created_at;
  await tx.query(
    `UPDATE webhook_endpoints SET status = 'failing', disabled_reason = $3, updated_at = $4
      WHERE id = $1 AND status = 'enabled' AND (last_success_at IS NULL OR last_success_at < $2)`,
    [
      target.endpoint_id,
      since,
      `no delivery succeeded since ${since.toISOString()}; retried for ${days} days`,
      now,
    ],
  );
}

// ---- Service ------------------------------------------------------------------------------------

export function createWebhooks(deps: WebhookDeps): Webhooks {
  const { pool, clock, keyring } = deps;
  assert(!(deps.production && deps.allowLoopback), 'loopback webhooks are for development only');
  const urlPolicy = {
    production: deps.production,
    allowLoopback: deps.allowLoopback,
    resolver: deps.resolver ?? systemResolver,
  };
  const catalogue = deps.eventTypes === undefined ? undefined : new Set(deps.eventTypes);
  const random = deps.random ?? Math.random;
  const nowDate = () => new Date(clock.nowMs());

  /** Validates the fields that a create or update sets, URL last because it looks up DNS. */
  async function validated(fields: WebhookEndpointPatch) {
    let eventTypes: string[] | undefined;
    if (fields.eventTypes !== undefined) {
      const checked = validateEventTypes(fields.eventTypes, catalogue);
      if (!checked.ok) return checked;
      eventTypes = checked.eventTypes;
    }
    if (fields.description !== undefined) {
      const checked = validateDescription(fields.description);
      if (!checked.ok) return checked;
    }
    let url: string | undefined;
    if (fields.url !== undefined) {
      const checked = await checkWebhookUrl(fields.url, urlPolicy);
      if (!checked.ok) return checked;
      url = checked.url.href;
    }
    return { ok: true as const, url, eventTypes, description: fields.description };
  }

  function signingSecrets(target: TargetRow, atMs: number): string[] {
    const secrets = [decryptField(keyring, target.secret_sealed, secretAad(target.endpoint_id))];
    const expiresAt = target.previous_secret_expires_at;
    if (
      target.previous_secret_sealed !== null &&
      expiresAt !== null &&
      expiresAt.getTime() > atMs
    ) {
      const aad = previousSecretAad(target.endpoint_id);
      secrets.push(decryptField(keyring, target.previous_secret_sealed, aad));
    }
    return secrets;
  }

  async function send(
    target: TargetRow,
    atMs: number,
  ): Promise<Pick<AttemptOutcome, 'status' | 'error' | 'excerpt'>> {
    const checked = await checkWebhookUrl(target.url, urlPolicy);
    if (!checked.ok) {
      return {
        status: null,
        error: clip(`${checked.code}: ${checked.detail ?? ''}`),
        excerpt: null,
      };
    }
    const body = webhookEventBody({
      id: target.event_id,
      type: target.event_type,
      createdAt: target.event_created_at,
      data: target.event_data,
    });
    const post: WebhookPost = {
      target: checked,
      body,
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': USER_AGENT,
        [WEBHOOK_EVENT_ID_HEADER]: target.event_id,
        [WEBHOOK_SIGNATURE_HEADER]: signWebhook(
          signingSecrets(target, atMs),
          body,
          Math.floor(atMs / 1000),
        ),
      },
      timeoutMs: limits.webhookRequestTimeoutMs,
      excerptBytesMax: limits.webhookResponseExcerptBytesMax,
    };
    try {
      const response =
        deps.fetch === undefined ? await postPinned(post) : await postWithFetch(deps.fetch, post);
      return responseOutcome(response);
    } catch (error) {
      return { status: null, error: describeError(error), excerpt: null };
    }
  }

  async function attempt(target: TargetRow): Promise<AttemptOutcome> {
    const atMs = clock.nowMs();
    const started = performance.now();
    const result = await send(target, atMs);
    const durationMs = Math.max(0, Math.round(performance.now() - started));
    return { attemptedAt: new Date(atMs), durationMs, ...result };
  }

  async function attemptAndRecord(target: TargetRow, kind: WebhookAttemptKind) {
    const outcome = await attempt(target);
    return withTransaction(pool, (tx) => recordAttempt(tx, target, outcome, kind, random()));
  }

  async function deliveryOf(owner: string, id: string): Promise<WebhookDelivery | undefined> {
    return (await selectDeliveries(pool, owner, { id }, 1))[0];
  }

  const notFound = () => failure('webhook_endpoint_not_found', { param: 'id' });

  return {
    async createEndpoint(owner, input) {
      assertOwner(owner);
      // Every field is checked, so a missing one is refused like an empty one.
      const fields = await validated({
        url: input.url ?? '',
        eventTypes: input.eventTypes ?? [],
        description: input.description ?? '',
      });
      if (!fields.ok) return fields;
      const now = nowDate();
      const id = newId('whe', now.getTime());
      const secret = generateWebhookSecret();
      return withTransaction(pool, async (tx) => {
        // Serializes the creations of one owner, so that two at once cannot pass the count.
        await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
          `webhook_endpoints:${owner}`,
        ]);
        const { rows } = await tx.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM webhook_endpoints WHERE owner = $1',
          [owner],
        );
        if (rows[0]!.n >= limits.webhookEndpointsPerOwnerMax) {
          return failure('webhook_endpoints_too_many', {
            detail: `at most ${limits.webhookEndpointsPerOwnerMax} endpoints`,
          });
        }
        const row = await insertEndpoint(tx, {
          id,
          owner,
          url: fields.url!,
          description: fields.description!,
          eventTypes: fields.eventTypes!,
          secretSealed: encryptField(keyring, secret, secretAad(id)),
          now,
        });
        return { ok: true as const, endpoint: endpointOf(row), secret };
      });
    },

    async listEndpoints(owner) {
      const { rows } = await pool.query<EndpointRow>(
        `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE owner = $1
          ORDER BY id DESC LIMIT $2`,
        [owner, limits.webhookEndpointsPerOwnerMax],
      );
      return rows.map(endpointOf);
    },

    async getEndpoint(owner, id) {
      const row = await selectEndpoint(pool, owner, id);
      return row === undefined ? notFound() : { ok: true, endpoint: endpointOf(row) };
    },

    async updateEndpoint(owner, id, patch) {
      const fields = await validated(patch);
      if (!fields.ok) return fields;
      return withTransaction(pool, async (tx) => {
        const before = await selectEndpoint(tx, owner, id, true);
        if (before === undefined) return notFound();
        const now = nowDate();
        const status: WebhookEndpointStatus =
          patch.enabled === undefined ? before.status : patch.enabled ? 'enabled' : 'disabled';
        const reason =
          status === 'enabled'
            ? null
            : patch.enabled === false
              ? 'disabled by its owner'
              : before.disabled_reason;
        const { rows } = await tx.query<EndpointRow>(
          `UPDATE webhook_endpoints
              SET url = $3, description = $4, event_types = $5, status = $6, disabled_reason = $7,
                  updated_at = $8
            WHERE owner = $1 AND id = $2
            RETURNING ${ENDPOINT_COLUMNS}`,
          [
            owner,
            id,
            fields.url ?? before.url,
            fields.description ?? before.description,
            fields.eventTypes ?? before.event_types,
            status,
            reason,
            now,
          ],
        );
        if (before.status !== 'enabled' && status === 'enabled') {
          // Deliveries parked while the endpoint was off are due again at once.
          await tx.query(
            `UPDATE webhook_deliveries SET next_attempt_at = $2
              WHERE endpoint_id = $1 AND state = 'pending'`,
            [id, now],
          );
        }
        return { ok: true as const, endpoint: endpointOf(rows[0]!) };
      });
    },

    async deleteEndpoint(owner, id) {
      const { rows } = await pool.query<{ id: string }>(
        'DELETE FROM webhook_endpoints WHERE owner = $1 AND id = $2 RETURNING id',
        [owner, id],
      );
      return rows[0] === undefined ? notFound() : { ok: true, id: rows[0].id };
    },

    async rotateSecret(owner, id, options = {}) {
      return withTransaction(pool, async (tx) => {
        const { rows } = await tx.query<{ secret_sealed: string }>(
          `SELECT secret_sealed FROM webhook_endpoints WHERE owner = $1 AND id = $2
             FOR NO KEY UPDATE`,
          [owner, id],
        );
        if (rows[0] === undefined) return notFound();
        const now = nowDate();
        const current = decryptField(keyring, rows[0].secret_sealed, secretAad(id));
        const keep = options.expirePreviousNow !== true;
        const secret = generateWebhookSecret();
        const { rows: updated } = await tx.query<EndpointRow>(
          `UPDATE webhook_endpoints
              SET secret_sealed = $3, previous_secret_sealed = $4, previous_secret_expires_at = $5,
                  updated_at = $6
            WHERE owner = $1 AND id = $2
            RETURNING ${ENDPOINT_COLUMNS}`,
          [
            owner,
            id,
            encryptField(keyring, secret, secretAad(id)),
            keep ? encryptField(keyring, current, previousSecretAad(id)) : null,
            keep ? new Date(now.getTime() + limits.webhookSecretOverlapMs) : null,
            now,
          ],
        );
        return { ok: true as const, endpoint: endpointOf(updated[0]!), secret };
      });
    },

    enqueueWebhookEvent(tx, event, now) {
      assert(
        catalogue === undefined || catalogue.has(event.type),
        `webhook event type ${event.type} is not in the catalogue`,
      );
      return enqueueWebhookEvent(tx, event, now);
    },

    async listDeliveries(owner, page) {
      assert(
        Number.isInteger(page.limit) && page.limit >= 1 && page.limit <= limits.pageSizeMax,
        `a page holds 1 to ${limits.pageSizeMax} deliveries`,
      );
      if (page.endpointId !== undefined) {
        if ((await selectEndpoint(pool, owner, page.endpointId)) === undefined) {
          return failure('webhook_endpoint_not_found', { param: 'endpoint_id' });
        }
      }
      const data = await selectDeliveries(
        pool,
        owner,
        { endpointId: page.endpointId, before: page.startingAfter },
        page.limit + 1,
      );
      return { ok: true, data: data.slice(0, page.limit), hasMore: data.length > page.limit };
    },

    async getDelivery(owner, id) {
      const delivery = await deliveryOf(owner, id);
      return delivery === undefined
        ? failure('webhook_delivery_not_found', { param: 'id' })
        : { ok: true, delivery };
    },

    async resend(owner, deliveryId) {
      const { rows } = await pool.query<TargetRow>(
        `${TARGET_SELECT} WHERE d.owner = $1 AND d.id = $2`,
        [owner, deliveryId],
      );
      const target = rows[0];
      if (target === undefined) return failure('webhook_delivery_not_found', { param: 'id' });
      if (target.attempts >= limits.webhookAttemptsPerDeliveryMax) {
        return failure('webhook_delivery_attempts_exhausted', {
          detail: `at most ${limits.webhookAttemptsPerDeliveryMax} attempts`,
        });
      }
      const recorded = await attemptAndRecord(target, 'resend');
      const delivery = await deliveryOf(owner, deliveryId);
      if (recorded === undefined || delivery === undefined) {
        return failure('webhook_delivery_not_found', { param: 'id' });
      }
      return { ok: true, delivery, attempt: recorded };
    },

    async deliverDue() {
      const { ready, handled } = await withTransaction(pool, (tx) => claimDue(tx, nowDate()));
      await forEachBounded(ready, limits.webhookDeliveryConcurrencyMax, async (target) => {
        await attemptAndRecord(target, 'scheduled');
      });
      return handled;
    },
  };
}

function responseOutcome(
  response: WebhookResponse,
): Pick<AttemptOutcome, 'status' | 'error' | 'excerpt'> {
  const { status, excerpt } = response;
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    return { status: null, error: 'the response had no valid HTTP status', excerpt: null };
  }
  const redirect = status >= 300 && status < 400;
  return { status, error: redirect ? 'redirects are not followed' : null, excerpt };
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return clip(String(error));
  if (error.name === 'TimeoutError' || error.name === 'AbortError') {
    return `no response within ${limits.webhookRequestTimeoutMs} ms`;
  }
  // fetch fails with "fetch failed" and the socket's error as the cause.
  const inner = error.cause instanceof Error ? error.cause : error;
  const code = (inner as { code?: unknown }).code;
  return clip(typeof code === 'string' ? `${code}: ${inner.message}` : inner.message);
}

function clip(text: string): string {
  return Array.from(text).slice(0, limits.webhookErrorLengthMax).join('');
}

/** Runs `work` over the items, at most `concurrency` at once; throws the first error at the end. */
async function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item).catch((error: unknown) => {
        errors.push(error);
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  if (errors.length > 0) throw errors[0];
}
