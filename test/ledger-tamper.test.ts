/**
 * Tamper tests: an attacker who can run SQL with the append-only triggers switched off
 * (`session_replication_role = replica`) changes a transfer, deletes rows, edits a balance or
 * rewrites a block; `verifyLedger` must fail every time and name the tampered row (LEDGER.md,
 * "Invariants and verification" and "Seal").
 *
 * Every case tampers inside a transaction, runs verify on that same transaction (so it sees the
 * tampered rows exactly as a committed attack would leave them) and rolls back; `afterEach`
 * re-verifies, so the cases share one sealed ledger and cannot leak into each other.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PoolClient } from '../src/db/index.js';
import {
  blockHash,
  createSealer,
  parseSigningKey,
  publicKeyPem,
  verifyLedger,
  type Sealer,
  type SealBlock,
  type TransferCommand,
  type Violation,
  type VerifyOptions,
} from '../src/ledger/index.js';
import { selectBlockAtOrAbove } from '../src/ledger/sealer.js';
import { createTestDatabase } from './db.js';
import { accountId, setupLedger, transferId, walletAndFunding } from './ledger-fixtures.js';

const db = await createTestDatabase();
const { clock, ledger } = setupLedger(db.pool);
const signingKey = parseSigningKey(randomBytes(32).toString('base64'));
const sealPublicKey = publicKeyPem(signingKey);
const sealer = createSealer({ pool: db.pool, clock, signingKey });

/** The ledger the cases tamper with: three blocks, a posted hold, a voided hold, a seq gap. */
const ids = {
  wallet: '',
  funding: '',
  merchant: '',
  topup: transferId(),
  payment: transferId(),
  hold: transferId(),
  post: transferId(),
  hold2: transferId(),
  void2: transferId(),
  topup2: transferId(),
  payment2: transferId(),
  /** The last transfer of the ledger, and so the latest journal entry of both its accounts. */
  last: transferId(),
  /** A seq inside block 1 that no transfer holds (drawn and thrown away). */
  gapSeq: 0n,
};

/**
 * Seals until every committed transfer is in a block. A pass gives up while another test file
 * on the same server holds a transaction open, so one pass is not always enough.
 */
async function sealAll(s: Sealer): Promise<void> {
  for (let pass = 0; pass < 30; pass++) {
    await s.sealOnce();
    const { rows } = await db.pool.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ledger_transfers
       WHERE seq > coalesce((SELECT max(last_seq) FROM ledger_seal_blocks), 0)`,
    );
    if (rows[0]!.n === '0') return;
  }
  throw new Error('transfers left unsealed');
}

async function submitOk(commands: readonly TransferCommand[]): Promise<void> {
  const results = await ledger.submit(commands);
  expect(results.map((r) => r.code)).toEqual(commands.map(() => 'ok'));
}

async function block(height: number): Promise<SealBlock> {
  const found = await selectBlockAtOrAbove(db.pool, BigInt(height));
  if (found?.header.height !== BigInt(height)) throw new Error(`no block ${height}`);
  return found;
}

beforeAll(async () => {
  const accounts = await walletAndFunding(ledger);
  ids.wallet = accounts.wallet;
  ids.funding = accounts.funding;
  ids.merchant = accountId();
  const created = await ledger.createAccounts([
    { id: ids.merchant, currency: 'CNY', code: 'merchant_balance', owner: 'mch_test' },
  ]);
  expect(created[0]!.code).toBe('ok');
  const move = (id: string, from: string, to: string, amountMinor: bigint): TransferCommand => ({
    id,
    debitAccountId: from,
    creditAccountId: to,
    amountMinor,
    currency: 'CNY',
    code: 'test_move',
  });

  // Block 0.
  await submitOk([
    move(ids.topup, ids.funding, ids.wallet, 10_000n),
    move(ids.payment, ids.wallet, ids.merchant, 1_500n),
  ]);
  await submitOk([
    {
      ...move(ids.hold, ids.wallet, ids.merchant, 3_000n),
      flags: { pending: true },
      timeoutSeconds: 3600,
    },
  ]);
  await sealAll(sealer);

  // Block 1, with a seq drawn and thrown away in the middle of its range.
  clock.advanceMs(60_000);
  await submitOk([
    { id: ids.post, pendingId: ids.hold, amountMinor: 2_000n, flags: { postPending: true } },
  ]);
  const burnt = await db.pool.query<{ seq: bigint }>(
    `SELECT nextval(pg_get_serial_sequence('ledger_transfers', 'seq')) AS seq`,
  );
  ids.gapSeq = burnt.rows[0]!.seq;
  await submitOk([
    { ...move(ids.hold2, ids.wallet, ids.merchant, 500n), flags: { pending: true } },
    { id: ids.void2, pendingId: ids.hold2, flags: { voidPending: true } },
  ]);
  await sealAll(sealer);

  // Block 2.
  clock.advanceMs(60_000);
  await submitOk([
    move(ids.topup2, ids.funding, ids.wallet, 700n),
    move(ids.payment2, ids.wallet, ids.merchant, 200n),
    move(ids.last, ids.funding, ids.merchant, 50n),
  ]);
  await sealAll(sealer);

  const { rows } = await db.pool.query<{ height: bigint; first_seq: bigint; last_seq: bigint }>(
    'SELECT height, first_seq, last_seq FROM ledger_seal_blocks ORDER BY height',
  );
  expect(rows.map((r) => r.height)).toEqual([0n, 1n, 2n]);
  expect(rows[1]!.first_seq < ids.gapSeq && ids.gapSeq < rows[1]!.last_seq).toBe(true);
  expect(await verifyLedger(db.pool, { sealPublicKey })).toMatchObject({ ok: true });
});

afterEach(async () => {
  // Each case rolled its tampering back: the ledger verifies again, signatures included.
  expect(await verifyLedger(db.pool, { sealPublicKey })).toMatchObject({ ok: true });
});

/**
 * Tampers as an attacker would (triggers and foreign-key checks off), then verifies on the same
 * transaction and rolls everything back. Returns the violation verify reported.
 */
async function verifyAfter(
  tamper: (tx: PoolClient) => Promise<unknown>,
  options: VerifyOptions = {},
): Promise<Violation> {
  const tx = await db.pool.connect();
  try {
    await tx.query('BEGIN');
    await tx.query('SET LOCAL session_replication_role = replica');
    await tamper(tx);
    await tx.query('SET LOCAL session_replication_role = origin');
    const report = await verifyLedger(tx, options);
    if (report.ok) throw new Error('verify passed a tampered ledger');
    return report.violation;
  } finally {
    await tx.query('ROLLBACK');
    tx.release();
  }
}

/** The violation names `id` among its ids and in its message. */
function expectNames(violation: Violation, id: string): void {
  expect(violation.ids).toContain(id);
  const inMessage = id.startsWith('block:') ? `block ${id.slice('block:'.length)}:` : id;
  expect(violation.message).toContain(inMessage);
}

describe('verify catches a changed transfer', () => {
  it('names a single transfer whose amount was changed', async () => {
    const v = await verifyAfter((tx) =>
      tx.query('UPDATE ledger_transfers SET amount = amount + 1 WHERE id = $1', [ids.payment]),
    );
    expectNames(v, ids.payment);
  });

  it('names a pending transfer whose amount was changed after it was posted', async () => {
    const v = await verifyAfter((tx) =>
      tx.query('UPDATE ledger_transfers SET amount = 2500 WHERE id = $1', [ids.hold]),
    );
    expectNames(v, ids.hold);
  });

  it('names a post whose amount was changed', async () => {
    const v = await verifyAfter((tx) =>
      tx.query('UPDATE ledger_transfers SET amount = 1000 WHERE id = $1', [ids.post]),
    );
    expectNames(v, ids.post);
  });

  it('names a transfer moved to another account', async () => {
    const v = await verifyAfter((tx) =>
      tx.query('UPDATE ledger_transfers SET credit_account_id = $2 WHERE id = $1', [
        ids.topup2,
        ids.merchant,
      ]),
    );
    expectNames(v, ids.topup2);
  });

  it('names the block when a transfer field that moves no money (its code) was changed', async () => {
    const v = await verifyAfter((tx) =>
      tx.query(`UPDATE ledger_transfers SET code = 'refund' WHERE id = $1`, [ids.payment2]),
    );
    expect(v.check).toBe('seal');
    expectNames(v, 'block:2');
  });

  it('names the block when a transfer, its journal rows and the balances were all changed consistently', async () => {
    // Only the seal can tell: every balance still follows from the (altered) transfers.
    const v = await verifyAfter(async (tx) => {
      await tx.query('UPDATE ledger_transfers SET amount = amount + 5 WHERE id = $1', [ids.last]);
      await tx.query(
        `UPDATE ledger_entries SET debits_posted = debits_posted + 5
         WHERE transfer_id = $1 AND account_id = $2`,
        [ids.last, ids.funding],
      );
      await tx.query(
        `UPDATE ledger_entries SET credits_posted = credits_posted + 5
         WHERE transfer_id = $1 AND account_id = $2`,
        [ids.last, ids.merchant],
      );
      await tx.query('UPDATE ledger_accounts SET debits_posted = debits_posted + 5 WHERE id = $1', [
        ids.funding,
      ]);
      await tx.query(
        'UPDATE ledger_accounts SET credits_posted = credits_posted + 5 WHERE id = $1',
        [ids.merchant],
      );
    });
    expect(v.check).toBe('seal');
    expectNames(v, 'block:2');
  });
});

describe('verify catches a deleted transfer', () => {
  it('names the accounts whose journal lost a transfer deleted with its journal rows', async () => {
    const v = await verifyAfter(async (tx) => {
      await tx.query('DELETE FROM ledger_entries WHERE transfer_id = $1', [ids.payment]);
      await tx.query('DELETE FROM ledger_transfers WHERE id = $1', [ids.payment]);
    });
    // The deleted id is gone from the database; the accounts it touched are named instead.
    const named = [ids.wallet, ids.merchant].filter((id) => v.ids.includes(id));
    expect(named.length).toBeGreaterThan(0);
    expect(v.message).toContain(named[0]);
  });

  it('names a transfer whose row alone was deleted (its journal rows still refer to it)', async () => {
    const v = await verifyAfter((tx) =>
      tx.query('DELETE FROM ledger_transfers WHERE id = $1', [ids.payment]),
    );
    expectNames(v, ids.payment);
  });

  it('names a deleted pending transfer that was later posted', async () => {
    const v = await verifyAfter((tx) =>
      tx.query('DELETE FROM ledger_transfers WHERE id = $1', [ids.hold]),
    );
    // The hold's id survives in the post's pending_id: the post (or the hold) is named.
    expect(v.ids.some((id) => id === ids.hold || id === ids.post)).toBe(true);
  });

  it('names the block when the deletion was covered up in the journal and the balances', async () => {
    // `last` is the latest journal entry of both its accounts: removing it and rolling the two
    // accounts back leaves the bookkeeping consistent, and only the seal can tell.
    const v = await verifyAfter(async (tx) => {
      await tx.query('DELETE FROM ledger_entries WHERE transfer_id = $1', [ids.last]);
      await tx.query('DELETE FROM ledger_transfers WHERE id = $1', [ids.last]);
      await tx.query(
        `UPDATE ledger_accounts SET debits_posted = debits_posted - 50, journal_seq = journal_seq - 1 WHERE id = $1`,
        [ids.funding],
      );
      await tx.query(
        `UPDATE ledger_accounts SET credits_posted = credits_posted - 50, journal_seq = journal_seq - 1 WHERE id = $1`,
        [ids.merchant],
      );
    });
    expect(v.check).toBe('seal');
    expectNames(v, 'block:2');
  });
});

describe('verify catches edited balances and journal rows', () => {
  it('names an account whose balance was edited', async () => {
    const v = await verifyAfter((tx) =>
      tx.query('UPDATE ledger_accounts SET credits_posted = credits_posted + 100 WHERE id = $1', [
        ids.wallet,
      ]),
    );
    expectNames(v, ids.wallet);
  });

  it('names an account whose pending balance was edited', async () => {
    const v = await verifyAfter((tx) =>
      tx.query('UPDATE ledger_accounts SET credits_pending = credits_pending + 1 WHERE id = $1', [
        ids.merchant,
      ]),
    );
    expectNames(v, ids.merchant);
  });

  it('names the account and transfer of an edited journal entry', async () => {
    const v = await verifyAfter((tx) =>
      tx.query(
        `UPDATE ledger_entries SET debits_posted = debits_posted + 1 WHERE transfer_id = $1 AND account_id = $2`,
        [ids.payment, ids.wallet],
      ),
    );
    expectNames(v, ids.wallet);
    expectNames(v, ids.payment);
  });

  it('names an account whose latest journal entry and balance were edited together', async () => {
    const v = await verifyAfter(async (tx) => {
      await tx.query(
        `UPDATE ledger_entries SET credits_posted = credits_posted + 9 WHERE transfer_id = $1 AND account_id = $2`,
        [ids.last, ids.merchant],
      );
      await tx.query(
        'UPDATE ledger_accounts SET credits_posted = credits_posted + 9 WHERE id = $1',
        [ids.merchant],
      );
    });
    expectNames(v, ids.merchant);
  });
});

describe('verify catches a rewritten or missing block', () => {
  it('names a block whose Merkle root was rewritten', async () => {
    const v = await verifyAfter((tx) =>
      tx.query('UPDATE ledger_seal_blocks SET merkle_root = $2 WHERE height = $1', [
        1,
        createHash('sha256').update('forged').digest(),
      ]),
    );
    expect(v.check).toBe('seal');
    expectNames(v, 'block:1');
  });

  it('names a block whose Merkle root and hash were rewritten consistently', async () => {
    const b = await block(1);
    const header = { ...b.header, merkleRoot: createHash('sha256').update('forged').digest() };
    const v = await verifyAfter((tx) =>
      tx.query('UPDATE ledger_seal_blocks SET merkle_root = $2, hash = $3 WHERE height = $1', [
        1,
        header.merkleRoot,
        blockHash(header),
      ]),
    );
    expectNames(v, 'block:1');
  });

  it('names the next block when a block header and hash were rewritten consistently', async () => {
    // Block 1 is self-consistent after the rewrite; only block 2's link to it breaks.
    const b = await block(1);
    const header = { ...b.header, createdAtMs: b.header.createdAtMs + 1000 };
    const v = await verifyAfter((tx) =>
      tx.query('UPDATE ledger_seal_blocks SET created_at = $2, hash = $3 WHERE height = $1', [
        1,
        new Date(header.createdAtMs),
        blockHash(header),
      ]),
    );
    expectNames(v, 'block:2');
    expect(v.message).toMatch(/does not chain/);
  });

  it('names a block whose seq range was widened', async () => {
    const b2 = await block(2);
    const v = await verifyAfter((tx) =>
      tx.query('UPDATE ledger_seal_blocks SET last_seq = $1 WHERE height = 1', [
        b2.header.firstSeq,
      ]),
    );
    expectNames(v, 'block:1');
  });

  it('fails when a block in the middle of the chain was deleted', async () => {
    const v = await verifyAfter((tx) =>
      tx.query('DELETE FROM ledger_seal_blocks WHERE height = 1'),
    );
    // Block 1 is gone, so the id named is its height or one of the transfers it sealed.
    const b1 = await block(1);
    const sealedByB1 = await db.pool.query<{ id: string }>(
      'SELECT id FROM ledger_transfers WHERE seq BETWEEN $1 AND $2',
      [b1.header.firstSeq, b1.header.lastSeq],
    );
    const candidates = ['block:1', 'block:2', ...sealedByB1.rows.map((r) => r.id)];
    expect(v.ids.some((id) => candidates.includes(id))).toBe(true);
  });

  it('fails when the first block was deleted', async () => {
    const v = await verifyAfter((tx) =>
      tx.query('DELETE FROM ledger_seal_blocks WHERE height = 0'),
    );
    expect(v.check).toBe('seal');
    expect(
      v.ids.some((id) => ['block:0', 'block:1', ids.topup, ids.payment, ids.hold].includes(id)),
    ).toBe(true);
  });
});

describe('verify catches a transfer slipped into a sealed range', () => {
  /** A new transfer from funding to merchant given the unused seq inside block 1. */
  const insertAtGap = (tx: PoolClient, id: string) =>
    tx.query(
      `INSERT INTO ledger_transfers (seq, id, debit_account_id, credit_account_id, amount, currency, code, kind, linked, created_at)
       OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, 1, 'CNY', 'test_move', 'single', false, now())`,
      [ids.gapSeq, id, ids.funding, ids.merchant],
    );

  it('names a transfer inserted with a seq inside a sealed block', async () => {
    const forged = transferId();
    const v = await verifyAfter((tx) => insertAtGap(tx, forged));
    expectNames(v, forged);
  });

  it('names the block when the inserted transfer was also journaled and booked', async () => {
    const forged = transferId();
    const v = await verifyAfter(async (tx) => {
      await insertAtGap(tx, forged);
      await tx.query(
        `WITH a AS (
           UPDATE ledger_accounts SET debits_posted = debits_posted + 1, journal_seq = journal_seq + 1
           WHERE id = $2 RETURNING *)
         INSERT INTO ledger_entries SELECT a.id, a.journal_seq, $1, a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending FROM a`,
        [forged, ids.funding],
      );
      await tx.query(
        `WITH a AS (
           UPDATE ledger_accounts SET credits_posted = credits_posted + 1, journal_seq = journal_seq + 1
           WHERE id = $2 RETURNING *)
         INSERT INTO ledger_entries SELECT a.id, a.journal_seq, $1, a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending FROM a`,
        [forged, ids.merchant],
      );
    });
    expect(v.check).toBe('seal');
    expectNames(v, 'block:1');
  });
});

describe('verify with the seal public key catches a forged signature', () => {
  it('names a block whose signature was replaced by random bytes', async () => {
    const v = await verifyAfter(
      (tx) =>
        tx.query('UPDATE ledger_seal_blocks SET signature = $2 WHERE height = $1', [
          1,
          randomBytes(64),
        ]),
      { sealPublicKey },
    );
    expectNames(v, 'block:1');
    expect(v.message).toMatch(/signature/);
  });

  it('names a block re-signed with another key, and a block whose signature was removed', async () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    const b2 = await block(2);
    const resigned = await verifyAfter(
      (tx) =>
        tx.query('UPDATE ledger_seal_blocks SET signature = $1 WHERE height = 2', [
          sign(null, b2.hash, other),
        ]),
      { sealPublicKey },
    );
    expectNames(resigned, 'block:2');
    const removed = await verifyAfter(
      (tx) => tx.query('UPDATE ledger_seal_blocks SET signature = NULL WHERE height = 0'),
      { sealPublicKey },
    );
    expectNames(removed, 'block:0');
  });

  it('names a block rewritten consistently (header, hash) when the signature is checked', async () => {
    // Without a key the latest block can be rewritten consistently, as nothing follows it; the
    // signature is what pins it.
    const b = await block(2);
    const header = { ...b.header, createdAtMs: b.header.createdAtMs + 1 };
    const v = await verifyAfter(
      (tx) =>
        tx.query('UPDATE ledger_seal_blocks SET created_at = $1, hash = $2 WHERE height = 2', [
          new Date(header.createdAtMs),
          blockHash(header),
        ]),
      { sealPublicKey },
    );
    expectNames(v, 'block:2');
  });

  it('rejects the chain against a different public key', async () => {
    const otherKey = publicKeyPem(parseSigningKey(randomBytes(32).toString('base64')));
    const report = await verifyLedger(db.pool, { sealPublicKey: otherKey });
    expect(report.ok).toBe(false);
    if (!report.ok) expectNames(report.violation, 'block:0');
  });
});

describe('append-only triggers', () => {
  /** Runs one statement without switching triggers off, in a transaction that is rolled back. */
  async function plainStatement(sql: string): Promise<unknown> {
    const tx = await db.pool.connect();
    try {
      await tx.query('BEGIN');
      return await tx.query(sql);
    } finally {
      await tx.query('ROLLBACK');
      tx.release();
    }
  }

  it('refuse a plain UPDATE or DELETE of transfers, journal rows and blocks', async () => {
    await expect(plainStatement('UPDATE ledger_transfers SET amount = 1')).rejects.toThrow(
      /ledger_transfers is append-only/,
    );
    await expect(plainStatement('DELETE FROM ledger_transfers')).rejects.toThrow(/append-only/);
    await expect(plainStatement('UPDATE ledger_entries SET debits_posted = 0')).rejects.toThrow(
      /ledger_entries is append-only/,
    );
    await expect(plainStatement('TRUNCATE ledger_entries')).rejects.toThrow(/append-only/);
    await expect(plainStatement('UPDATE ledger_seal_blocks SET signature = NULL')).rejects.toThrow(
      /ledger_seal_blocks is append-only/,
    );
    await expect(plainStatement('DELETE FROM ledger_seal_blocks')).rejects.toThrow(/append-only/);
  });
});
