import { withTransaction, type Executor, type Pool } from '../db/index.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';
import {
  renderMessage,
  type MessageLocale,
  type MessageTemplate,
  type TemplateVars,
} from './templates.js';

/**
 * The SMS and email outbox. A message is written in the transaction of the change that causes
 * it (a registration, a new-device sign-in), so a rolled-back change sends nothing; the
 * dispatcher hands committed messages to the sender, retrying failures with backoff.
 */
export type MessageChannel = 'sms' | 'email';

export interface NewMessage {
  readonly channel: MessageChannel;
  readonly recipient: string;
  readonly userId: string | null;
  readonly template: MessageTemplate;
  readonly locale: MessageLocale;
  readonly vars: TemplateVars;
}

export interface OutboxMessage {
  readonly id: string;
  readonly channel: MessageChannel;
  readonly recipient: string;
  readonly subject: string;
  readonly body: string;
}

export async function enqueueMessage(
  tx: Executor,
  message: NewMessage,
  now: Date,
): Promise<string> {
  const id = newId('msg', now.getTime());
  const text = renderMessage(message.template, message.locale, message.vars);
  await tx.query(
    `INSERT INTO outbox_messages (id, channel, recipient, user_id, template, locale, subject, body,
       created_at, next_attempt_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
    [
      id,
      message.channel,
      message.recipient,
      message.userId,
      message.template,
      message.locale,
      text.subject,
      text.body,
      now,
    ],
  );
  return id;
}

/**
 * Delivers one message. It runs inside the transaction that marks the message sent, so a sender
 * that records deliveries in the database (the development inbox) records each exactly once; a
 * sender that calls a provider must be idempotent on the message id, because a crash after the
 * provider accepted but before the commit sends it again.
 */
export interface MessageSender {
  send(tx: Executor, message: OutboxMessage, now: Date): Promise<void>;
}

/** The development sender: messages land in the dev inbox table (and the log), never leave. */
export function devInboxSender(log?: (message: OutboxMessage) => void): MessageSender {
  return {
    async send(tx, message, now) {
      await tx.query(
        `INSERT INTO dev_inbox (message_id, channel, recipient, subject, body, delivered_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_id) DO NOTHING`,
        [message.id, message.channel, message.recipient, message.subject, message.body, now],
      );
      log?.(message);
    },
  };
}

/**
 * Production's sender until a provider adapter is configured: the message is written to the log
 * for an operator, so nothing is silently dropped.
 */
export function logSender(log: (message: OutboxMessage) => void): MessageSender {
  return {
    send: async (_tx, message) => {
      log(message);
    },
  };
}

export interface MessageDispatcher {
  /** Sends the messages that are due; returns how many were sent. */
  deliverDue(): Promise<number>;
}

const RETRY_BASE_MS = 5_000;
const RETRY_MAX_MS = 60 * 60_000;

export function createMessageDispatcher(deps: {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly sender: MessageSender;
}): MessageDispatcher {
  return {
    deliverDue: () =>
      withTransaction(deps.pool, async (tx) => {
        const now = new Date(deps.clock.nowMs());
        // SKIP LOCKED lets several workers share the outbox without sending a message twice.
        const { rows } = await tx.query<OutboxMessage & { attempts: number }>(
          `SELECT id, channel, recipient, subject, body, attempts FROM outbox_messages
            WHERE status = 'pending' AND next_attempt_at <= $1
            ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [now, limits.outboxBatchSizeMax],
        );
        let sent = 0;
        for (const message of rows) {
          sent += (await deliverOne(tx, deps.sender, message, now)) ? 1 : 0;
        }
        return sent;
      }),
  };
}

async function deliverOne(
  tx: Executor,
  sender: MessageSender,
  message: OutboxMessage & { attempts: number },
  now: Date,
): Promise<boolean> {
  await tx.query('SAVEPOINT deliver');
  try {
    await sender.send(tx, message, now);
    await tx.query(
      `UPDATE outbox_messages SET status = 'sent', sent_at = $2, attempts = attempts + 1
        WHERE id = $1`,
      [message.id, now],
    );
    return true;
  } catch (error) {
    await tx.query('ROLLBACK TO SAVEPOINT deliver');
    const attempts = message.attempts + 1;
    const delayMs = Math.min(RETRY_BASE_MS * 2 ** (attempts - 1), RETRY_MAX_MS);
    await tx.query(
      `UPDATE outbox_messages
          SET attempts = $2, last_error = $3, next_attempt_at = $4,
              status = CASE WHEN $2 >= $5 THEN 'failed' ELSE 'pending' END
        WHERE id = $1`,
      [
        message.id,
        attempts,
        String((error as Error).message).slice(0, 500),
        new Date(now.getTime() + delayMs),
        limits.outboxAttemptsMax,
      ],
    );
    return false;
  }
}

export interface DevInboxMessage {
  readonly id: string;
  readonly channel: MessageChannel;
  readonly to: string;
  readonly subject: string;
  readonly body: string;
  readonly deliveredAt: Date;
}

/** The development inbox of one recipient, newest first. */
export async function readDevInbox(db: Executor, recipient: string): Promise<DevInboxMessage[]> {
  const { rows } = await db.query<{
    message_id: string;
    channel: MessageChannel;
    recipient: string;
    subject: string;
    body: string;
    delivered_at: Date;
  }>(
    `SELECT message_id, channel, recipient, subject, body, delivered_at FROM dev_inbox
      WHERE recipient = $1 ORDER BY delivered_at DESC, message_id DESC LIMIT $2`,
    [recipient, limits.devInboxSizeMax],
  );
  return rows.map((r) => ({
    id: r.message_id,
    channel: r.channel,
    to: r.recipient,
    subject: r.subject,
    body: r.body,
    deliveredAt: r.delivered_at,
  }));
}
