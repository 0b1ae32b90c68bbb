import type { Executor, Pool, PoolClient } from '../db/index.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';

/**
 * A user's events (incoming money, payment results, balance changes, security alerts): written
 * in the transaction of the change, then pushed to the user's open event streams. The push goes
 * through PostgreSQL's LISTEN/NOTIFY, so every API process learns of events written by any
 * other; a notification only says "look", the event itself is read from the table.
 */
export type UserEventType =
  | 'transfer.received'
  | 'transfer.sent'
  | 'transfer.held'
  | 'transfer.cancelled'
  | 'payment.succeeded'
  | 'payment.requires_confirmation'
  | 'payment.declined'
  | 'refund.received'
  | 'balance.changed'
  | 'topup.succeeded'
  | 'topup.failed'
  | 'withdrawal.succeeded'
  | 'withdrawal.failed'
  | 'request.received'
  | 'request.paid'
  | 'request.declined'
  | 'security.alert';

export interface UserEvent {
  readonly id: string;
  readonly userId: string;
  readonly type: UserEventType;
  readonly data: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
}

const CHANNEL = 'hebao_user_events';

export interface NewUserEvent {
  readonly userId: string;
  readonly type: UserEventType;
  readonly data: object;
}

export async function appendUserEvent(
  tx: Executor,
  event: NewUserEvent,
  now: Date,
): Promise<string> {
  return (await appendUserEvents(tx, [event], now))[0]!;
}

/**
 * Events in one statement, and one notification per user they concern (PostgreSQL delivers a
 * transaction's notifications when it commits, so listeners never see an event that rolls back).
 */
export async function appendUserEvents(
  tx: Executor,
  events: readonly NewUserEvent[],
  now: Date,
): Promise<string[]> {
  const ids = events.map(() => newId('evt', now.getTime()));
  if (events.length === 0) return ids;
  await tx.query({
    name: 'events_append',
    text: `WITH added AS (
       INSERT INTO user_events (id, user_id, type, data, created_at)
       SELECT id, user_id, type, data, $5
         FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[]) AS e(id, user_id, type, data)
     )
     SELECT pg_notify('${CHANNEL}', user_id) FROM (SELECT DISTINCT unnest($2::text[]) AS user_id) u`,
    values: [
      ids,
      events.map((e) => e.userId),
      events.map((e) => e.type),
      events.map((e) => JSON.stringify(e.data)),
      now,
    ],
  });
  return ids;
}

interface Row {
  id: string;
  user_id: string;
  type: UserEventType;
  data: Record<string, unknown>;
  created_at: Date;
}

const eventOf = (r: Row): UserEvent => ({
  id: r.id,
  userId: r.user_id,
  type: r.type,
  data: r.data,
  createdAt: r.created_at,
});

/** A user's events, newest first, before the event `startingAfter` if given. */
export async function listUserEvents(
  db: Executor,
  userId: string,
  page: { readonly limit: number; readonly startingAfter?: string | undefined },
): Promise<{ readonly data: UserEvent[]; readonly hasMore: boolean }> {
  const { rows } = await db.query<Row>(
    `SELECT * FROM user_events WHERE user_id = $1 AND ($2::text IS NULL OR id < $2)
      ORDER BY id DESC LIMIT $3`,
    [userId, page.startingAfter ?? null, page.limit + 1],
  );
  return { data: rows.slice(0, page.limit).map(eventOf), hasMore: rows.length > page.limit };
}

/**
 * The events of a user created at or after `since`, oldest first. A stream reads with a little
 * overlap and skips what it sent already, because ids drawn by transactions that commit out of
 * order do not arrive in id order.
 */
export async function userEventsSince(
  db: Executor,
  userId: string,
  since: Date,
): Promise<UserEvent[]> {
  const { rows } = await db.query<Row>(
    `SELECT * FROM user_events WHERE user_id = $1 AND created_at >= $2
      ORDER BY created_at, id LIMIT $3`,
    [userId, since, limits.eventStreamBatchMax],
  );
  return rows.map(eventOf);
}

export interface EventHub {
  /** Calls `wake` whenever an event for the user may have been written; returns the unsubscribe. */
  subscribe(userId: string, wake: () => void): () => void;
  close(): Promise<void>;
}

/** One listening connection per process, fanned out to the streams open in it. */
export async function createEventHub(pool: Pool): Promise<EventHub> {
  const client: PoolClient = await pool.connect();
  const listeners = new Map<string, Set<() => void>>();
  client.on('notification', (message) => {
    if (message.channel !== CHANNEL || message.payload === undefined) return;
    for (const wake of listeners.get(message.payload) ?? []) wake();
  });
  await client.query(`LISTEN ${CHANNEL}`);
  return {
    subscribe(userId, wake) {
      const set = listeners.get(userId) ?? new Set();
      set.add(wake);
      listeners.set(userId, set);
      return () => {
        set.delete(wake);
        if (set.size === 0) listeners.delete(userId);
      };
    },
    async close() {
      await client.query(`UNLISTEN ${CHANNEL}`).catch(() => undefined);
      client.release();
    },
  };
}
