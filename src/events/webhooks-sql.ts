import type { Executor } from '../db/index.js';
import { limits } from '../limits.js';
import type {
  AfterAttempt,
  WebhookAttempt,
  WebhookAttemptKind,
  WebhookDelivery,
  WebhookDeliveryState,
  WebhookEndpoint,
  WebhookEndpointStatus,
} from './webhooks-core.js';

/**
 * The webhook tables (webhook_endpoints, webhook_events, webhook_deliveries, webhook_attempts), by
 * hand; every function takes the executor first.
 */

// ---- Endpoints ----------------------------------------------------------------------------------

export interface EndpointRow {
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

export const endpointOf = (r: EndpointRow): WebhookEndpoint => ({
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

export async function selectEndpoint(
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

/** An owner's endpoints, newest first; at most `webhookEndpointsPerOwnerMax`. */
export async function selectEndpoints(db: Executor, owner: string): Promise<EndpointRow[]> {
  const { rows } = await db.query<EndpointRow>(
    `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE owner = $1
          ORDER BY id DESC LIMIT $2`,
    [owner, limits.webhookEndpointsPerOwnerMax],
  );
  return rows;
}

/** Takes a lock on one owner's endpoints until the transaction ends. */
export async function lockOwnerEndpoints(tx: Executor, owner: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
    `webhook_endpoints:${owner}`,
  ]);
}

export async function countEndpoints(tx: Executor, owner: string): Promise<number> {
  const { rows } = await tx.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM webhook_endpoints WHERE owner = $1',
    [owner],
  );
  return rows[0]!.n;
}

export async function insertEndpoint(
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

export async function updateEndpointFields(
  tx: Executor,
  owner: string,
  id: string,
  e: {
    url: string;
    description: string;
    eventTypes: readonly string[];
    status: WebhookEndpointStatus;
    reason: string | null;
    now: Date;
  },
): Promise<EndpointRow> {
  const { rows } = await tx.query<EndpointRow>(
    `UPDATE webhook_endpoints
              SET url = $3, description = $4, event_types = $5, status = $6, disabled_reason = $7,
                  updated_at = $8
            WHERE owner = $1 AND id = $2
            RETURNING ${ENDPOINT_COLUMNS}`,
    [owner, id, e.url, e.description, e.eventTypes, e.status, e.reason, e.now],
  );
  return rows[0]!;
}

/** The endpoint's id, or undefined when the owner has no such endpoint. */
export async function deleteEndpointRow(
  db: Executor,
  owner: string,
  id: string,
): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    'DELETE FROM webhook_endpoints WHERE owner = $1 AND id = $2 RETURNING id',
    [owner, id],
  );
  return rows[0]?.id;
}

/** The endpoint's sealed secret, the endpoint locked; undefined when there is no such endpoint. */
export async function selectSecretForUpdate(
  tx: Executor,
  owner: string,
  id: string,
): Promise<string | undefined> {
  const { rows } = await tx.query<{ secret_sealed: string }>(
    `SELECT secret_sealed FROM webhook_endpoints WHERE owner = $1 AND id = $2
             FOR NO KEY UPDATE`,
    [owner, id],
  );
  return rows[0]?.secret_sealed;
}

export async function updateEndpointSecrets(
  tx: Executor,
  owner: string,
  id: string,
  e: {
    secretSealed: string;
    previousSecretSealed: string | null;
    previousSecretExpiresAt: Date | null;
    now: Date;
  },
): Promise<EndpointRow> {
  const { rows } = await tx.query<EndpointRow>(
    `UPDATE webhook_endpoints
              SET secret_sealed = $3, previous_secret_sealed = $4, previous_secret_expires_at = $5,
                  updated_at = $6
            WHERE owner = $1 AND id = $2
            RETURNING ${ENDPOINT_COLUMNS}`,
    [owner, id, e.secretSealed, e.previousSecretSealed, e.previousSecretExpiresAt, e.now],
  );
  return rows[0]!;
}

export async function noteEndpointSuccess(
  tx: Executor,
  endpointId: string,
  attemptedAt: Date,
): Promise<void> {
  await tx.query(
    'UPDATE webhook_endpoints SET last_success_at = GREATEST(last_success_at, $2) WHERE id = $1',
    [endpointId, attemptedAt],
  );
}

// ---- Events -------------------------------------------------------------------------------------

/**
 * Writes events and, in the same statement, one pending delivery for each enabled endpoint of
 * an event's owner subscribed to its type, due at once. `deliveryIds` holds, for each event in
 * order, `idsPerEvent` ids: one for each endpoint an owner may have.
 */
export async function insertEventsWithDeliveries(
  tx: Executor,
  events: ReadonlyArray<{ id: string; owner: string; type: string; data: string }>,
  now: Date,
  deliveryIds: readonly string[],
  idsPerEvent: number,
): Promise<void> {
  await tx.query({
    name: 'webhook_events_enqueue',
    text: `WITH given AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
                WITH ORDINALITY AS g(id, owner, type, data, n)
     ), event AS (
       INSERT INTO webhook_events (id, owner, type, data, created_at)
       SELECT id, owner, type, data::jsonb, $5 FROM given
       RETURNING id, owner, type, created_at
     )
     INSERT INTO webhook_deliveries (id, owner, event_id, endpoint_id, state, attempts,
       next_attempt_at, created_at)
     SELECT ($6::text[])[(g.n - 1) * $7 + row_number() OVER (PARTITION BY ev.id ORDER BY e.id)],
            ev.owner, ev.id, e.id, 'pending', 0, ev.created_at, ev.created_at
       FROM event ev
       JOIN given g ON g.id = ev.id
       JOIN webhook_endpoints e
         ON e.owner = ev.owner AND e.status = 'enabled' AND ev.type = ANY (e.event_types)`,
    values: [
      events.map((e) => e.id),
      events.map((e) => e.owner),
      events.map((e) => e.type),
      events.map((e) => e.data),
      now,
      deliveryIds,
      idsPerEvent,
    ],
  });
}

// ---- Deliveries and attempts --------------------------------------------------------------------

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
export async function selectDeliveries(
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

/** Deliveries parked while their endpoint was off are due again at once. */
export async function makePendingDeliveriesDue(
  tx: Executor,
  endpointId: string,
  now: Date,
): Promise<void> {
  await tx.query(
    `UPDATE webhook_deliveries SET next_attempt_at = $2
              WHERE endpoint_id = $1 AND state = 'pending'`,
    [endpointId, now],
  );
}

export interface TargetRow {
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

/** One delivery of an owner, as an attempt needs it. */
export async function selectTarget(
  db: Executor,
  owner: string,
  deliveryId: string,
): Promise<TargetRow | undefined> {
  const { rows } = await db.query<TargetRow>(`${TARGET_SELECT} WHERE d.owner = $1 AND d.id = $2`, [
    owner,
    deliveryId,
  ]);
  return rows[0];
}

/** The pending deliveries due at `now`, soonest first, locked; those other workers hold skipped. */
export async function selectDueTargets(tx: Executor, now: Date): Promise<TargetRow[]> {
  const { rows } = await tx.query<TargetRow>(
    `${TARGET_SELECT}
      WHERE d.state = 'pending' AND d.next_attempt_at <= $1
      ORDER BY d.next_attempt_at LIMIT $2
        FOR UPDATE OF d SKIP LOCKED`,
    [now, limits.webhookDeliveryBatchSizeMax],
  );
  return rows;
}

/** Moves the deliveries' due time to `until`, the end of the lease of the worker claiming them. */
export async function leaseDeliveries(
  tx: Executor,
  ids: readonly string[],
  until: Date,
): Promise<void> {
  await tx.query('UPDATE webhook_deliveries SET next_attempt_at = $2 WHERE id = ANY ($1::text[])', [
    ids,
    until,
  ]);
}

/** Sets each delivery's state and due time, and its error when one is given. */
export async function updateParkedDeliveries(
  tx: Executor,
  plans: readonly {
    readonly id: string;
    readonly state: string;
    readonly next: Date | null;
    readonly error: string | null;
  }[],
): Promise<void> {
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

/**
 * Locks the endpoint before the delivery, the order every writer of both follows (updateEndpoint,
 * deleteEndpoint), so that they cannot deadlock; FOR NO KEY UPDATE leaves callers that enqueue
 * events unblocked. Answers the delivery's state and attempts, or undefined when it is gone.
 */
export async function lockForAttempt(
  tx: Executor,
  target: TargetRow,
): Promise<{ state: WebhookDeliveryState; attempts: number } | undefined> {
  await tx.query('SELECT 1 FROM webhook_endpoints WHERE id = $1 FOR NO KEY UPDATE', [
    target.endpoint_id,
  ]);
  const { rows } = await tx.query<{ state: WebhookDeliveryState; attempts: number }>(
    'SELECT state, attempts FROM webhook_deliveries WHERE id = $1 FOR NO KEY UPDATE',
    [target.id],
  );
  return rows[0];
}

/** Records an attempt on its delivery, and what the delivery became after it. */
export async function updateDeliveryAttempted(
  tx: Executor,
  deliveryId: string,
  attempt: WebhookAttempt,
  next: AfterAttempt,
): Promise<void> {
  await tx.query(
    `UPDATE webhook_deliveries
        SET state = $2, attempts = $3, next_attempt_at = $4, last_attempt_at = $5,
            last_status = $6, last_error = $7,
            succeeded_at = CASE WHEN $2 = 'succeeded' THEN COALESCE(succeeded_at, $5) END
      WHERE id = $1`,
    [
      deliveryId,
      next.state,
      attempt.number,
      next.nextAttemptAtMs === null ? null : new Date(next.nextAttemptAtMs),
      attempt.attemptedAt,
      attempt.status,
      attempt.error,
    ],
  );
}

export async function insertAttempt(
  tx: Executor,
  deliveryId: string,
  attempt: WebhookAttempt,
): Promise<void> {
  await tx.query(
    `INSERT INTO webhook_attempts (delivery_id, number, kind, attempted_at, status, error,
       duration_ms, response_excerpt)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      deliveryId,
      attempt.number,
      attempt.kind,
      attempt.attemptedAt,
      attempt.status,
      attempt.error,
      attempt.durationMs,
      attempt.responseExcerpt,
    ],
  );
}

/** The failing rule: no attempt to the endpoint succeeded since the given-up event was created. */
export async function markFailing(tx: Executor, target: TargetRow, now: Date): Promise<void> {
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

/** Finished (succeeded or failed) deliveries created before `before`; attempts go with them. */
export async function deleteFinishedDeliveries(
  db: Executor,
  before: Date,
  limit: number,
): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM webhook_deliveries WHERE id = ANY (ARRAY(
       SELECT id FROM webhook_deliveries
        WHERE state <> 'pending' AND created_at < $1 LIMIT $2))`,
    [before, limit],
  );
  return rowCount ?? 0;
}

/** Events created before `before` that no delivery refers to any more. */
export async function deleteBareEvents(db: Executor, before: Date, limit: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM webhook_events WHERE id = ANY (ARRAY(
       SELECT e.id FROM webhook_events e
        WHERE e.created_at < $1
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
        LIMIT $2))`,
    [before, limit],
  );
  return rowCount ?? 0;
}
