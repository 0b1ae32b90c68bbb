import { createHash } from 'node:crypto';
import { canonicalJson } from '../lib/canonical-json.js';

/**
 * The audit chain's pure core: how an entry is hashed. `hash = SHA-256(prev_hash || canonical
 * entry)`, where the canonical entry is the canonical JSON of every stored field except the two
 * hashes. Changing any field of any entry, or removing or reordering entries, breaks every hash
 * after it.
 */
export interface AuditEntry {
  readonly seq: bigint;
  readonly id: string;
  readonly occurredAt: Date;
  readonly actorType: AuditActorType;
  readonly actorId: string | null;
  readonly subjectUserId: string | null;
  readonly action: string;
  readonly ip: string | null;
  readonly detail: Readonly<Record<string, string | number | boolean | null>>;
}

export type AuditActorType = 'user' | 'operator' | 'system' | 'anonymous';

/** The hash before the first entry. */
export const GENESIS_HASH = Buffer.alloc(32);

export function canonicalEntry(entry: AuditEntry): string {
  return canonicalJson({
    seq: entry.seq,
    id: entry.id,
    occurred_at: entry.occurredAt.toISOString(),
    actor_type: entry.actorType,
    actor_id: entry.actorId,
    subject_user_id: entry.subjectUserId,
    action: entry.action,
    ip: entry.ip,
    detail: entry.detail,
  });
}

export function entryHash(prevHash: Buffer, entry: AuditEntry): Buffer {
  return createHash('sha256').update(prevHash).update(canonicalEntry(entry)).digest();
}
