import type { Executor } from '../db/index.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';
import { GENESIS_HASH, entryHash, type AuditActorType, type AuditEntry } from './chain.js';

/**
 * The append-only, hash-chained log of security events and operator actions. Entries are
 * appended inside the caller's transaction, so an event is recorded if and only if the change it
 * describes commits.
 */

/** What a caller records; the log assigns the sequence number, id and hashes. */
export interface AuditRecord {
  readonly occurredAt: Date;
  readonly actorType: AuditActorType;
  readonly actorId: string | null;
  readonly subjectUserId: string | null;
  readonly action: string;
  readonly ip: string | null;
  readonly detail?: AuditEntry['detail'];
}

export interface StoredAuditEntry extends AuditEntry {
  readonly hash: Buffer;
}

/**
 * One chain needs one writer at a time: the transaction-scoped advisory lock makes appends take
 * turns, and the lock is released at commit, so the next appender reads the entry just written.
 * Callers append last in their transaction to hold the lock as briefly as possible.
 */
const AUDIT_LOCK_KEY = 0x4845_4241; // 'HEBA'

export async function appendAudit(tx: Executor, record: AuditRecord): Promise<StoredAuditEntry> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK_KEY]);
  const { rows } = await tx.query<{ seq: bigint; hash: Buffer }>(
    'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1',
  );
  const last = rows[0];
  const entry: AuditEntry = {
    seq: last === undefined ? 1n : last.seq + 1n,
    id: newId('aud', record.occurredAt.getTime()),
    occurredAt: record.occurredAt,
    actorType: record.actorType,
    actorId: record.actorId,
    subjectUserId: record.subjectUserId,
    action: record.action,
    ip: record.ip,
    detail: record.detail ?? {},
  };
  const prevHash = last?.hash ?? GENESIS_HASH;
  const hash = entryHash(prevHash, entry);
  await tx.query(
    `INSERT INTO audit_log (seq, id, occurred_at, actor_type, actor_id, subject_user_id, action,
       ip, detail, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      entry.seq,
      entry.id,
      entry.occurredAt,
      entry.actorType,
      entry.actorId,
      entry.subjectUserId,
      entry.action,
      entry.ip,
      JSON.stringify(entry.detail),
      prevHash,
      hash,
    ],
  );
  return { ...entry, hash };
}

interface AuditRow {
  seq: bigint;
  id: string;
  occurred_at: Date;
  actor_type: AuditActorType;
  actor_id: string | null;
  subject_user_id: string | null;
  action: string;
  ip: string | null;
  detail: AuditEntry['detail'];
  prev_hash: Buffer;
  hash: Buffer;
}

function entryOf(row: AuditRow): StoredAuditEntry {
  return {
    seq: row.seq,
    id: row.id,
    occurredAt: row.occurred_at,
    actorType: row.actor_type,
    actorId: row.actor_id,
    subjectUserId: row.subject_user_id,
    action: row.action,
    ip: row.ip,
    detail: row.detail,
    hash: row.hash,
  };
}

/** A user's own entries, newest first, before the entry with id `startingAfter` if given. */
export async function listAuditForUser(
  db: Executor,
  userId: string,
  page: { readonly limit: number; readonly startingAfter?: string },
): Promise<{ readonly data: StoredAuditEntry[]; readonly hasMore: boolean }> {
  const { rows } = await db.query<AuditRow>(
    `SELECT * FROM audit_log
      WHERE subject_user_id = $1
        AND ($2::text IS NULL OR seq < (SELECT seq FROM audit_log WHERE id = $2 AND subject_user_id = $1))
      ORDER BY seq DESC LIMIT $3`,
    [userId, page.startingAfter ?? null, page.limit + 1],
  );
  return { data: rows.slice(0, page.limit).map(entryOf), hasMore: rows.length > page.limit };
}

export type AuditVerifyReport =
  | { readonly ok: true; readonly entries: bigint }
  | { readonly ok: false; readonly seq: bigint; readonly id: string; readonly message: string };

/**
 * Recomputes the chain from the first entry: every seq present once and in order, every
 * prev_hash the hash before it, every hash the hash of its fields. Reads in bounded pages.
 */
export async function verifyAuditChain(db: Executor): Promise<AuditVerifyReport> {
  let prevHash: Buffer = GENESIS_HASH;
  let expectedSeq = 1n;
  for (;;) {
    const { rows } = await db.query<AuditRow>(
      'SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2',
      [expectedSeq, limits.auditVerifyPageSize],
    );
    for (const row of rows) {
      const problem = checkRow(row, expectedSeq, prevHash);
      if (problem !== undefined) return { ok: false, seq: row.seq, id: row.id, message: problem };
      prevHash = row.hash;
      expectedSeq += 1n;
    }
    if (rows.length < limits.auditVerifyPageSize) break;
  }
  const { rows: after } = await db.query<{ n: bigint }>(
    'SELECT count(*)::int8 AS n FROM audit_log WHERE seq < 1 OR seq >= $1',
    [expectedSeq],
  );
  if ((after[0]?.n ?? 0n) > 0n) {
    return { ok: false, seq: expectedSeq, id: '', message: 'audit entries beyond a gap in seq' };
  }
  return { ok: true, entries: expectedSeq - 1n };
}

function checkRow(row: AuditRow, expectedSeq: bigint, prevHash: Buffer): string | undefined {
  if (row.seq !== expectedSeq) return `audit seq ${expectedSeq} is missing`;
  if (!row.prev_hash.equals(prevHash))
    return `audit entry ${row.id} does not follow its predecessor`;
  if (!row.hash.equals(entryHash(prevHash, entryOf(row)))) {
    return `audit entry ${row.id} does not match its hash`;
  }
  return undefined;
}
