/**
 * Goal: the audit log is a hash chain that `verify` recomputes, so editing, deleting or
 * inserting an entry with SQL is detected and the entry is named; and concurrent appends from
 * many transactions still form one gapless chain.
 */
import { describe, expect, it } from 'vitest';
import { appendAudit, verifyAuditChain } from '../src/audit/index.js';
import { withTransaction, type Pool } from '../src/db/index.js';
import { createTestDatabase } from './db.js';

const T = new Date(Date.UTC(2026, 10, 23));

function append(pool: Pool, n: number) {
  return withTransaction(pool, (tx) =>
    appendAudit(tx, {
      occurredAt: T,
      actorType: 'user',
      actorId: 'usr_01JD3Z8W6Q2X4T9V5N7M3K1H0G',
      subjectUserId: 'usr_01JD3Z8W6Q2X4T9V5N7M3K1H0G',
      action: 'login.succeeded',
      ip: '127.0.0.1',
      detail: { n, method: 'password', mfa: false },
    }),
  );
}

/** Tampering needs the append-only trigger out of the way, as an attacker with DDL rights would. */
async function tamper(pool: Pool, sql: string, values: unknown[] = []): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
    await client.query(sql, values);
    await client.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

describe('audit chain', () => {
  it('stays one gapless chain under 40 concurrent appenders', async () => {
    const db = await createTestDatabase();
    await Promise.all(Array.from({ length: 40 }, (_, i) => append(db.pool, i)));
    expect(await verifyAuditChain(db.pool)).toEqual({ ok: true, entries: 40n });
  });

  it('refuses UPDATE and DELETE through the trigger', async () => {
    const db = await createTestDatabase();
    await append(db.pool, 1);
    await expect(db.pool.query(`UPDATE audit_log SET action = 'x'`)).rejects.toThrow(/append-only/);
    await expect(db.pool.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
  });

  it.each([
    [
      'an edited detail',
      `UPDATE audit_log SET detail = '{"n": 99}' WHERE seq = 3`,
      3n,
      /match its hash/,
    ],
    [
      'an edited action',
      `UPDATE audit_log SET action = 'login.failed' WHERE seq = 2`,
      2n,
      /match its hash/,
    ],
    ['a deleted entry', 'DELETE FROM audit_log WHERE seq = 3', 4n, /seq 3 is missing/],
    ['a deleted last entry', 'DELETE FROM audit_log WHERE seq = 5', undefined, undefined],
    [
      'a rehashed entry',
      `UPDATE audit_log SET action = 'x', hash = sha256(hash) WHERE seq = 2`,
      2n,
      /match its hash/,
    ],
  ])('detects %s and names the entry', async (_name, sql, seq, message) => {
    const db = await createTestDatabase();
    for (let i = 1; i <= 5; i++) await append(db.pool, i);
    const { rows } = await db.pool.query<{ id: string; seq: bigint }>(
      'SELECT id, seq FROM audit_log',
    );
    await tamper(db.pool, sql);
    const report = await verifyAuditChain(db.pool);
    if (seq === undefined) {
      // Cutting the tail leaves a valid shorter chain: only a published head can catch it.
      expect(report).toEqual({ ok: true, entries: 4n });
      return;
    }
    expect(report.ok).toBe(false);
    if (report.ok) return;
    expect(report.seq).toBe(seq);
    expect(report.message).toMatch(message!);
    expect(report.id).toBe(rows.find((r) => r.seq === seq)!.id);
  });
});
