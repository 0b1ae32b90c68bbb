import { withTransaction, type Executor, type Pool } from '../db/index.js';
import { assert } from '../lib/assert.js';
import type { Clock } from '../lib/clock.js';
import { failure } from '../lib/code-spec.js';
import { decryptField, encryptField, type Keyring } from '../lib/encryption.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';
import type { WebhookResult } from './webhook-codes.js';
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
  type WebhookUrlPolicy,
} from './webhook-url.js';
import {
  afterAttempt,
  describeError,
  clip,
  isSuccess,
  isWebhookEventType,
  loggedAttempt,
  parkedDelivery,
  patchedStatus,
  responseOutcome,
  validateDescription,
  validateEventTypes,
  webhookEventBody,
  type AttemptOutcome,
  type NewWebhookEndpoint,
  type NewWebhookEvent,
  type WebhookAttempt,
  type WebhookAttemptKind,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEndpointPatch,
} from './webhooks-core.js';
import {
  countEndpoints,
  deleteBareEvents,
  deleteEndpointRow,
  deleteFinishedDeliveries,
  endpointOf,
  insertAttempt,
  insertEndpoint,
  insertEventsWithDeliveries,
  leaseDeliveries,
  lockForAttempt,
  lockOwnerEndpoints,
  makePendingDeliveriesDue,
  markFailing,
  noteEndpointSuccess,
  selectDeliveries,
  selectDueTargets,
  selectEndpoint,
  selectEndpoints,
  selectSecretForUpdate,
  selectTarget,
  updateDeliveryAttempted,
  updateEndpointFields,
  updateEndpointSecrets,
  updateParkedDeliveries,
  type TargetRow,
} from './webhooks-sql.js';

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
 *
 * This file is the service: the transactions, the clock, randomness and the network. The result
 * codes are in webhook-codes.ts, the pure rules in webhooks-core.ts, the SQL in webhooks-sql.ts.
 */

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
  /**
   * Job: forgets finished deliveries (with their attempts) and then events without deliveries,
   * once they are older than `webhookRetentionMs`; returns how many rows went.
   */
  purgeExpired(): Promise<number>;
}

const USER_AGENT = 'Hebao-Webhooks/1';

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
  return (await enqueueWebhookEvents(tx, [event], now))[0]!;
}

/** Several events in one statement (a ledger batch's payments), each as `enqueueWebhookEvent`. */
export async function enqueueWebhookEvents(
  tx: Executor,
  events: readonly NewWebhookEvent[],
  now: Date,
): Promise<string[]> {
  const nowMs = now.getTime();
  const rows = events.map((event) => {
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
    return { id: newId('evt', nowMs), owner: event.owner, type: event.type, data };
  });
  if (rows.length === 0) return [];
  // One id for each endpoint an owner may have, since the statement picks the endpoints.
  const perEvent = limits.webhookEndpointsPerOwnerMax;
  const deliveryIds = Array.from({ length: rows.length * perEvent }, () => newId('whd', nowMs));
  await insertEventsWithDeliveries(tx, rows, now, deliveryIds, perEvent);
  return rows.map((r) => r.id);
}

// ---- Service ------------------------------------------------------------------------------------

/** What the operations of one service share: its dependencies and what is derived from them. */
interface Context {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly keyring: Keyring;
  readonly fetch: typeof fetch | undefined;
  readonly urlPolicy: WebhookUrlPolicy & { readonly resolver: WebhookResolver };
  readonly catalogue: ReadonlySet<string> | undefined;
  readonly random: () => number;
}

export function createWebhooks(deps: WebhookDeps): Webhooks {
  assert(!(deps.production && deps.allowLoopback), 'loopback webhooks are for development only');
  const ctx = contextOf(deps);
  const { pool, catalogue } = ctx;

  return {
    createEndpoint: (owner, input) => createEndpoint(ctx, owner, input),

    async listEndpoints(owner) {
      return (await selectEndpoints(pool, owner)).map(endpointOf);
    },

    async getEndpoint(owner, id) {
      const row = await selectEndpoint(pool, owner, id);
      return row === undefined ? endpointNotFound() : { ok: true, endpoint: endpointOf(row) };
    },

    updateEndpoint: (owner, id, patch) => updateEndpoint(ctx, owner, id, patch),

    async deleteEndpoint(owner, id) {
      const deleted = await deleteEndpointRow(pool, owner, id);
      return deleted === undefined ? endpointNotFound() : { ok: true, id: deleted };
    },

    rotateSecret: (owner, id, options) => rotateSecret(ctx, owner, id, options),

    enqueueWebhookEvent(tx, event, now) {
      assert(
        catalogue === undefined || catalogue.has(event.type),
        `webhook event type ${event.type} is not in the catalogue`,
      );
      return enqueueWebhookEvent(tx, event, now);
    },

    listDeliveries: (owner, page) => listDeliveries(ctx, owner, page),

    async getDelivery(owner, id) {
      const delivery = await deliveryOf(pool, owner, id);
      return delivery === undefined
        ? failure('webhook_delivery_not_found', { param: 'id' })
        : { ok: true, delivery };
    },

    resend: (owner, deliveryId) => resend(ctx, owner, deliveryId),

    async deliverDue() {
      const { ready, handled } = await withTransaction(pool, (tx) => claimDue(tx, nowDate(ctx)));
      await forEachBounded(ready, limits.webhookDeliveryConcurrencyMax, async (target) => {
        await attemptAndRecord(ctx, target, 'scheduled');
      });
      return handled;
    },

    async purgeExpired() {
      const before = new Date(ctx.clock.nowMs() - limits.webhookRetentionMs);
      const deliveries = await deleteFinishedDeliveries(
        pool,
        before,
        limits.webhookPurgeBatchSizeMax,
      );
      const events = await deleteBareEvents(pool, before, limits.webhookPurgeBatchSizeMax);
      return deliveries + events;
    },
  };
}

function contextOf(deps: WebhookDeps): Context {
  return {
    pool: deps.pool,
    clock: deps.clock,
    keyring: deps.keyring,
    fetch: deps.fetch,
    urlPolicy: {
      production: deps.production,
      allowLoopback: deps.allowLoopback,
      resolver: deps.resolver ?? systemResolver,
    },
    catalogue: deps.eventTypes === undefined ? undefined : new Set(deps.eventTypes),
    random: deps.random ?? Math.random,
  };
}

const nowDate = (ctx: Context) => new Date(ctx.clock.nowMs());

const endpointNotFound = () => failure('webhook_endpoint_not_found', { param: 'id' });

const secretAad = (endpointId: string) => `${endpointId}/secret`;
const previousSecretAad = (endpointId: string) => `${endpointId}/previous_secret`;

/** Validates the fields that a create or update sets, URL last because it looks up DNS. */
async function validated(ctx: Context, fields: WebhookEndpointPatch) {
  let eventTypes: string[] | undefined;
  if (fields.eventTypes !== undefined) {
    const checked = validateEventTypes(fields.eventTypes, ctx.catalogue);
    if (!checked.ok) return checked;
    eventTypes = checked.eventTypes;
  }
  if (fields.description !== undefined) {
    const checked = validateDescription(fields.description);
    if (!checked.ok) return checked;
  }
  let url: string | undefined;
  if (fields.url !== undefined) {
    const checked = await checkWebhookUrl(fields.url, ctx.urlPolicy);
    if (!checked.ok) return checked;
    url = checked.url.href;
  }
  return { ok: true as const, url, eventTypes, description: fields.description };
}

async function createEndpoint(
  ctx: Context,
  owner: string,
  input: NewWebhookEndpoint,
): Promise<WebhookResult<{ endpoint: WebhookEndpoint; secret: string }>> {
  assertOwner(owner);
  // Every field is checked, so a missing one is refused like an empty one.
  const fields = await validated(ctx, {
    url: input.url ?? '',
    eventTypes: input.eventTypes ?? [],
    description: input.description ?? '',
  });
  if (!fields.ok) return fields;
  const now = nowDate(ctx);
  const id = newId('whe', now.getTime());
  const secret = generateWebhookSecret();
  return withTransaction(ctx.pool, async (tx) => {
    // Serializes the creations of one owner, so that two at once cannot pass the count.
    await lockOwnerEndpoints(tx, owner);
    if ((await countEndpoints(tx, owner)) >= limits.webhookEndpointsPerOwnerMax) {
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
      secretSealed: encryptField(ctx.keyring, secret, secretAad(id)),
      now,
    });
    return { ok: true as const, endpoint: endpointOf(row), secret };
  });
}

async function updateEndpoint(
  ctx: Context,
  owner: string,
  id: string,
  patch: WebhookEndpointPatch,
): Promise<WebhookResult<{ endpoint: WebhookEndpoint }>> {
  const fields = await validated(ctx, patch);
  if (!fields.ok) return fields;
  return withTransaction(ctx.pool, async (tx) => {
    const before = await selectEndpoint(tx, owner, id, true);
    if (before === undefined) return endpointNotFound();
    const now = nowDate(ctx);
    const { status, reason } = patchedStatus(
      { status: before.status, disabledReason: before.disabled_reason },
      patch.enabled,
    );
    const row = await updateEndpointFields(tx, owner, id, {
      url: fields.url ?? before.url,
      description: fields.description ?? before.description,
      eventTypes: fields.eventTypes ?? before.event_types,
      status,
      reason,
      now,
    });
    if (before.status !== 'enabled' && status === 'enabled') {
      await makePendingDeliveriesDue(tx, id, now);
    }
    return { ok: true as const, endpoint: endpointOf(row) };
  });
}

async function rotateSecret(
  ctx: Context,
  owner: string,
  id: string,
  options: { readonly expirePreviousNow?: boolean | undefined } = {},
): Promise<WebhookResult<{ endpoint: WebhookEndpoint; secret: string }>> {
  const { keyring } = ctx;
  return withTransaction(ctx.pool, async (tx) => {
    const sealed = await selectSecretForUpdate(tx, owner, id);
    if (sealed === undefined) return endpointNotFound();
    const now = nowDate(ctx);
    const current = decryptField(keyring, sealed, secretAad(id));
    const keep = options.expirePreviousNow !== true;
    const secret = generateWebhookSecret();
    const row = await updateEndpointSecrets(tx, owner, id, {
      secretSealed: encryptField(keyring, secret, secretAad(id)),
      previousSecretSealed: keep ? encryptField(keyring, current, previousSecretAad(id)) : null,
      previousSecretExpiresAt: keep
        ? new Date(now.getTime() + limits.webhookSecretOverlapMs)
        : null,
      now,
    });
    return { ok: true as const, endpoint: endpointOf(row), secret };
  });
}

async function listDeliveries(
  ctx: Context,
  owner: string,
  page: WebhookDeliveryPage,
): Promise<WebhookResult<{ data: WebhookDelivery[]; hasMore: boolean }>> {
  assert(
    Number.isInteger(page.limit) && page.limit >= 1 && page.limit <= limits.pageSizeMax,
    `a page holds 1 to ${limits.pageSizeMax} deliveries`,
  );
  if (page.endpointId !== undefined) {
    if ((await selectEndpoint(ctx.pool, owner, page.endpointId)) === undefined) {
      return failure('webhook_endpoint_not_found', { param: 'endpoint_id' });
    }
  }
  const data = await selectDeliveries(
    ctx.pool,
    owner,
    { endpointId: page.endpointId, before: page.startingAfter },
    page.limit + 1,
  );
  return { ok: true, data: data.slice(0, page.limit), hasMore: data.length > page.limit };
}

async function deliveryOf(
  pool: Pool,
  owner: string,
  id: string,
): Promise<WebhookDelivery | undefined> {
  return (await selectDeliveries(pool, owner, { id }, 1))[0];
}

async function resend(
  ctx: Context,
  owner: string,
  deliveryId: string,
): Promise<WebhookResult<{ delivery: WebhookDelivery; attempt: WebhookAttempt }>> {
  const target = await selectTarget(ctx.pool, owner, deliveryId);
  if (target === undefined) return failure('webhook_delivery_not_found', { param: 'id' });
  if (target.attempts >= limits.webhookAttemptsPerDeliveryMax) {
    return failure('webhook_delivery_attempts_exhausted', {
      detail: `at most ${limits.webhookAttemptsPerDeliveryMax} attempts`,
    });
  }
  const recorded = await attemptAndRecord(ctx, target, 'resend');
  const delivery = await deliveryOf(ctx.pool, owner, deliveryId);
  if (recorded === undefined || delivery === undefined) {
    return failure('webhook_delivery_not_found', { param: 'id' });
  }
  return { ok: true, delivery, attempt: recorded };
}

// ---- Delivery -----------------------------------------------------------------------------------

/**
 * Claims the due deliveries of one pass. SKIP LOCKED lets several workers share the table; the
 * claim moves each due time a lease ahead and commits, so no transaction stays open over the
 * network and a claim lost with its worker comes due again when the lease ends. Deliveries of an
 * endpoint that is not enabled are parked until their window ends, then failed.
 */
async function claimDue(tx: Executor, now: Date): Promise<{ ready: TargetRow[]; handled: number }> {
  const rows = await selectDueTargets(tx, now);
  const ready = rows.filter((r) => r.endpoint_status === 'enabled');
  const parked = rows.filter((r) => r.endpoint_status !== 'enabled');
  if (ready.length > 0) {
    await leaseDeliveries(
      tx,
      ready.map((r) => r.id),
      new Date(now.getTime() + limits.webhookDeliveryLeaseMs),
    );
  }
  if (parked.length > 0) await park(tx, parked, now);
  return { ready, handled: rows.length };
}

async function park(tx: Executor, rows: readonly TargetRow[], now: Date): Promise<void> {
  const plans = rows.map((r) => {
    const plan = parkedDelivery(r.event_created_at, r.endpoint_status, now);
    return { id: r.id, state: plan.state, next: plan.nextAttemptAt, error: plan.error };
  });
  await updateParkedDeliveries(tx, plans);
}

function signingSecrets(keyring: Keyring, target: TargetRow, atMs: number): string[] {
  const secrets = [decryptField(keyring, target.secret_sealed, secretAad(target.endpoint_id))];
  const expiresAt = target.previous_secret_expires_at;
  if (target.previous_secret_sealed !== null && expiresAt !== null && expiresAt.getTime() > atMs) {
    const aad = previousSecretAad(target.endpoint_id);
    secrets.push(decryptField(keyring, target.previous_secret_sealed, aad));
  }
  return secrets;
}

async function send(
  ctx: Context,
  target: TargetRow,
  atMs: number,
): Promise<Pick<AttemptOutcome, 'status' | 'error' | 'excerpt'>> {
  const checked = await checkWebhookUrl(target.url, ctx.urlPolicy);
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
        signingSecrets(ctx.keyring, target, atMs),
        body,
        Math.floor(atMs / 1000),
      ),
    },
    timeoutMs: limits.webhookRequestTimeoutMs,
    excerptBytesMax: limits.webhookResponseExcerptBytesMax,
  };
  try {
    const response =
      ctx.fetch === undefined ? await postPinned(post) : await postWithFetch(ctx.fetch, post);
    return responseOutcome(response);
  } catch (error) {
    return { status: null, error: describeError(error), excerpt: null };
  }
}

async function attempt(ctx: Context, target: TargetRow): Promise<AttemptOutcome> {
  const atMs = ctx.clock.nowMs();
  const started = performance.now();
  const result = await send(ctx, target, atMs);
  const durationMs = Math.max(0, Math.round(performance.now() - started));
  return { attemptedAt: new Date(atMs), durationMs, ...result };
}

async function attemptAndRecord(ctx: Context, target: TargetRow, kind: WebhookAttemptKind) {
  const { pool, random } = ctx;
  const outcome = await attempt(ctx, target);
  return withTransaction(pool, (tx) => recordAttempt(tx, target, outcome, kind, random()));
}

/** Writes an attempt and its consequences in one transaction. */
async function recordAttempt(
  tx: Executor,
  target: TargetRow,
  outcome: AttemptOutcome,
  kind: WebhookAttemptKind,
  random: number,
): Promise<WebhookAttempt | undefined> {
  const row = await lockForAttempt(tx, target);
  if (row === undefined) return undefined; // deleted with its endpoint meanwhile
  const succeeded = isSuccess(outcome.status);
  const attempt = loggedAttempt(row.attempts + 1, kind, outcome);
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
  await updateDeliveryAttempted(tx, target.id, attempt, next);
  await insertAttempt(tx, target.id, attempt);
  if (succeeded) await noteEndpointSuccess(tx, target.endpoint_id, attempt.attemptedAt);
  if (next.gaveUp) await markFailing(tx, target, attempt.attemptedAt);
  return attempt;
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
