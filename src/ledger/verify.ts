/**
 * `verify` proves the ledger's invariants from the database alone and reports the first
 * violation with the ids involved. It reads everything, so it is an operator's and a test's tool,
 * not a hot path; each check is one set-based query, and the seal check reads one block at a time.
 */
import type { KeyObject } from 'node:crypto';
import type { Executor } from '../db/index.js';
import { merkleRoot } from './merkle.js';
import {
  blockHash,
  GENESIS_PREV_HASH,
  transferLeafHash,
  verifyBlockSignature,
} from './seal-core.js';
import { blockTransfers, selectBlockAtOrAbove } from './sealer.js';

export interface Violation {
  readonly check: string;
  readonly message: string;
  readonly ids: readonly string[];
}

export type VerifyReport =
  | { readonly ok: true; readonly checked: readonly string[] }
  | { readonly ok: false; readonly violation: Violation };

export interface VerifyOptions {
  /** When given, every block must carry a valid signature by this key. */
  readonly sealPublicKey?: KeyObject | string | undefined;
  /** Called after each check with its name and how long it took. */
  readonly onCheck?: (name: string, ms: number) => void;
}

type Check = (ex: Executor, options: VerifyOptions) => Promise<Violation | undefined>;

const checks: ReadonlyArray<readonly [string, Check]> = [
  // Row-level checks first, so that a tampered row is named rather than only its currency.
  ['references', checkReferences],
  ['journal', checkJournal],
  ['account_balances', checkAccountBalances],
  ['currency_sums', checkCurrencySums],
  ['account_flags', checkAccountFlags],
  ['holds', checkHolds],
  ['seal', checkSeal],
];

export async function verifyLedger(
  ex: Executor,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const checked: string[] = [];
  for (const [name, check] of checks) {
    const startedMs = performance.now();
    const violation = await check(ex, options);
    options.onCheck?.(name, performance.now() - startedMs);
    if (violation) return { ok: false, violation };
    checked.push(name);
  }
  return { ok: true, checked };
}

/**
 * 0. Every reference resolves. These are not foreign keys (a foreign key costs a query per row
 * on the hot path; ADR 0002), so they are proven here instead.
 */
async function checkReferences(ex: Executor): Promise<Violation | undefined> {
  const { rows } = await ex.query<{ id: string; what: string }>(
    `(SELECT t.id, 'names an account that does not exist or is in another currency' AS what
      FROM ledger_transfers t
      LEFT JOIN ledger_accounts d ON d.id = t.debit_account_id
      LEFT JOIN ledger_accounts c ON c.id = t.credit_account_id
      WHERE d.id IS NULL OR c.id IS NULL OR d.currency <> t.currency OR c.currency <> t.currency
      ORDER BY t.seq LIMIT 1)
     UNION ALL
     (SELECT t.id, 'resolves a pending transfer that does not exist' FROM ledger_transfers t
      WHERE t.pending_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ledger_transfers p WHERE p.id = t.pending_id)
      ORDER BY t.seq LIMIT 1)
     UNION ALL
     (SELECT e.account_id, 'has journal entries but does not exist' FROM ledger_entries e
      WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = e.account_id) LIMIT 1)
     LIMIT 1`,
  );
  const r = rows[0];
  return r ? { check: 'references', message: `${r.id} ${r.what}`, ids: [r.id] } : undefined;
}

/** 1. Per currency, debits equal credits, posted and pending alike. */
async function checkCurrencySums(ex: Executor): Promise<Violation | undefined> {
  const { rows } = await ex.query<{
    currency: string;
    dp: string;
    cp: string;
    dpe: string;
    cpe: string;
  }>(
    `SELECT currency, sum(debits_posted)::text AS dp, sum(credits_posted)::text AS cp,
            sum(debits_pending)::text AS dpe, sum(credits_pending)::text AS cpe
     FROM ledger_accounts GROUP BY currency
     HAVING sum(debits_posted) <> sum(credits_posted) OR sum(debits_pending) <> sum(credits_pending)
     ORDER BY currency LIMIT 1`,
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    check: 'currency_sums',
    message: `in ${r.currency} debits do not equal credits: posted ${r.dp} vs ${r.cp}, pending ${r.dpe} vs ${r.cpe}`,
    ids: [r.currency],
  };
}

/**
 * The effect of every transfer on its two accounts, from the transfers alone. A post or void
 * releases the whole pending amount (read from the pending transfer) and a post then posts its
 * own amount.
 */
const EFFECTS = `
  WITH moves AS (
    SELECT t.id, t.debit_account_id, t.credit_account_id,
      CASE WHEN t.kind IN ('single', 'post_pending') THEN t.amount ELSE 0 END AS posted,
      CASE WHEN t.kind = 'pending' THEN t.amount
           WHEN t.kind IN ('post_pending', 'void_pending', 'expire_pending') THEN -p.amount
           ELSE 0 END AS pending
    FROM ledger_transfers t LEFT JOIN ledger_transfers p ON p.id = t.pending_id
  ), effects AS (
    SELECT debit_account_id AS account_id, id AS transfer_id, posted AS dp, 0::numeric AS cp, pending AS dpe, 0::numeric AS cpe FROM moves
    UNION ALL
    SELECT credit_account_id, id, 0, posted, 0, pending FROM moves
  )`;

/** 2. Every account's four balances equal the sum of its transfers' effects. */
async function checkAccountBalances(ex: Executor): Promise<Violation | undefined> {
  const { rows } = await ex.query<{ id: string; what: string }>(
    `${EFFECTS}, sums AS (
       SELECT account_id, sum(dp) AS dp, sum(cp) AS cp, sum(dpe) AS dpe, sum(cpe) AS cpe FROM effects GROUP BY account_id
     )
     SELECT a.id,
       format('stored debits_posted %s credits_posted %s debits_pending %s credits_pending %s; transfers give %s %s %s %s',
         a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending,
         coalesce(s.dp, 0), coalesce(s.cp, 0), coalesce(s.dpe, 0), coalesce(s.cpe, 0)) AS what
     FROM ledger_accounts a LEFT JOIN sums s ON s.account_id = a.id
     WHERE a.debits_posted <> coalesce(s.dp, 0) OR a.credits_posted <> coalesce(s.cp, 0)
        OR a.debits_pending <> coalesce(s.dpe, 0) OR a.credits_pending <> coalesce(s.cpe, 0)
     ORDER BY a.id LIMIT 1`,
  );
  const r = rows[0];
  return r
    ? { check: 'account_balances', message: `account ${r.id}: ${r.what}`, ids: [r.id] }
    : undefined;
}

/**
 * Journal rows that do not follow from their transfers: each entry is joined to its transfer
 * (and, for a post or void, the pending transfer) by the unique index, and its balances are
 * compared with the previous entry's plus the transfer's effect on that side. `filter` narrows
 * the entries checked.
 */
function badEntriesSql(filter: string): string {
  return `
  SELECT e.account_id, e.account_seq::text AS account_seq, e.transfer_id FROM (
    SELECT e.*,
      lag(e.debits_posted, 1, 0::int8) OVER w AS p_dp, lag(e.credits_posted, 1, 0::int8) OVER w AS p_cp,
      lag(e.debits_pending, 1, 0::int8) OVER w AS p_dpe, lag(e.credits_pending, 1, 0::int8) OVER w AS p_cpe,
      row_number() OVER w AS n
    FROM ledger_entries e WHERE ${filter} WINDOW w AS (PARTITION BY e.account_id ORDER BY e.account_seq)
  ) e
  LEFT JOIN ledger_transfers t ON t.id = e.transfer_id
  LEFT JOIN ledger_transfers p ON p.id = t.pending_id
  CROSS JOIN LATERAL (SELECT
    e.account_id = t.debit_account_id AS is_debit,
    CASE WHEN t.kind IN ('single', 'post_pending') THEN t.amount ELSE 0 END AS posted,
    CASE WHEN t.kind = 'pending' THEN t.amount
         WHEN t.kind IN ('post_pending', 'void_pending', 'expire_pending') THEN -p.amount
         ELSE 0 END AS pending) m
  WHERE t.id IS NULL OR e.account_seq <> e.n
     OR (e.account_id <> t.debit_account_id AND e.account_id <> t.credit_account_id)
     OR m.pending IS NULL
     OR e.debits_posted <> e.p_dp + CASE WHEN m.is_debit THEN m.posted ELSE 0 END
     OR e.credits_posted <> e.p_cp + CASE WHEN m.is_debit THEN 0 ELSE m.posted END
     OR e.debits_pending <> e.p_dpe + CASE WHEN m.is_debit THEN m.pending ELSE 0 END
     OR e.credits_pending <> e.p_cpe + CASE WHEN m.is_debit THEN 0 ELSE m.pending END`;
}

/**
 * 3. The journal: each account's entries run 1..journal_seq without gaps, each entry's balances
 * are the previous entry's plus its transfer's effect, and the last entry equals the account.
 */
async function checkJournal(ex: Executor): Promise<Violation | undefined> {
  const chain = await ex.query<{ account_id: string; account_seq: string; transfer_id: string }>(
    `${badEntriesSql('true')} ORDER BY e.account_id, e.account_seq LIMIT 1`,
  );
  const c = chain.rows[0];
  if (c) {
    return {
      check: 'journal',
      message: `journal entry ${c.account_seq} of account ${c.account_id} does not follow from transfer ${c.transfer_id}`,
      ids: [c.account_id, c.transfer_id],
    };
  }
  const tail = await ex.query<{ id: string }>(
    `SELECT a.id FROM ledger_accounts a
     LEFT JOIN ledger_entries e ON e.account_id = a.id AND e.account_seq = a.journal_seq
     WHERE (a.journal_seq = 0 AND EXISTS (SELECT 1 FROM ledger_entries x WHERE x.account_id = a.id))
        OR (a.journal_seq > 0 AND (e.account_id IS NULL
            OR EXISTS (SELECT 1 FROM ledger_entries x WHERE x.account_id = a.id AND x.account_seq > a.journal_seq)
            OR e.debits_posted <> a.debits_posted OR e.credits_posted <> a.credits_posted
            OR e.debits_pending <> a.debits_pending OR e.credits_pending <> a.credits_pending))
     ORDER BY a.id LIMIT 1`,
  );
  const t = tail.rows[0];
  if (t)
    return {
      check: 'journal',
      message: `account ${t.id} does not match its latest journal entry`,
      ids: [t.id],
    };
  const missing = await ex.query<{ id: string; account_id: string }>(
    `SELECT t.id, side.account_id FROM ledger_transfers t
     CROSS JOIN LATERAL (VALUES (t.debit_account_id), (t.credit_account_id)) AS side(account_id)
     WHERE NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transfer_id = t.id AND e.account_id = side.account_id)
     ORDER BY t.seq LIMIT 1`,
  );
  const m = missing.rows[0];
  return m
    ? {
        check: 'journal',
        message: `transfer ${m.id} has no journal entry on account ${m.account_id}`,
        ids: [m.id, m.account_id],
      }
    : undefined;
}

/** 4a. No account breaks its balance flags. */
async function checkAccountFlags(ex: Executor): Promise<Violation | undefined> {
  const { rows } = await ex.query<{ id: string }>(
    `SELECT id FROM ledger_accounts
     WHERE (debits_must_not_exceed_credits AND debits_posted + debits_pending > credits_posted)
        OR (credits_must_not_exceed_debits AND credits_posted + credits_pending > debits_posted)
     ORDER BY id LIMIT 1`,
  );
  const r = rows[0];
  return r
    ? { check: 'account_flags', message: `account ${r.id} breaks its balance flags`, ids: [r.id] }
    : undefined;
}

/**
 * 4b. Every resolution names a pending transfer, resolves it at most once and only by its own
 * accounts; a hold is open exactly when it is not resolved.
 */
async function checkHolds(ex: Executor): Promise<Violation | undefined> {
  const { rows } = await ex.query<{ id: string; what: string }>(
    `SELECT r.id, 'resolves a transfer that is not pending, or with other accounts or currency' AS what
     FROM ledger_transfers r JOIN ledger_transfers p ON p.id = r.pending_id
     WHERE p.kind <> 'pending' OR p.debit_account_id <> r.debit_account_id OR p.credit_account_id <> r.credit_account_id
        OR p.currency <> r.currency OR (r.kind = 'post_pending' AND r.amount > p.amount)
        OR (r.kind IN ('void_pending', 'expire_pending') AND r.amount <> p.amount)
     UNION ALL
     SELECT pending_id, 'is resolved more than once' FROM ledger_transfers WHERE pending_id IS NOT NULL
     GROUP BY pending_id HAVING count(*) > 1
     UNION ALL
     SELECT p.id, 'is unresolved but not in the open holds' FROM ledger_transfers p
     WHERE p.kind = 'pending' AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = p.id)
       AND NOT EXISTS (SELECT 1 FROM ledger_open_holds h WHERE h.transfer_id = p.id)
     UNION ALL
     SELECT h.transfer_id, 'is in the open holds but resolved' FROM ledger_open_holds h
     WHERE EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = h.transfer_id)
     LIMIT 1`,
  );
  const r = rows[0];
  return r ? { check: 'holds', message: `transfer ${r.id} ${r.what}`, ids: [r.id] } : undefined;
}

/**
 * 5. The seal: blocks chain from the genesis hash, each block's root and count match the
 * transfers in its seq range, its hash matches its header, its signature (when a key is given)
 * verifies, and no transfer at or below the sealed horizon is outside every block.
 */
async function checkSeal(ex: Executor, options: VerifyOptions): Promise<Violation | undefined> {
  let prevHash = GENESIS_PREV_HASH;
  let prevLastSeq = 0n;
  for (let height = 0n; ; height++) {
    // The next block at or above the expected height, so that a deleted block is noticed.
    const block = await selectBlockAtOrAbove(ex, height);
    if (!block) break;
    const h = block.header;
    if (h.height !== height) {
      return {
        check: 'seal',
        message: `block ${height} is missing (the next block is ${h.height})`,
        ids: [`block:${height}`],
      };
    }
    const bad = (message: string, ids: string[] = []): Violation => ({
      check: 'seal',
      message: `block ${h.height}: ${message}`,
      ids: [`block:${h.height}`, ...ids],
    });
    if (!h.prevHash.equals(prevHash)) return bad('does not chain to the previous block');
    if (h.firstSeq <= prevLastSeq) return bad('overlaps the previous block');
    if (!blockHash(h).equals(block.hash)) return bad('its hash does not match its header');
    if (options.sealPublicKey !== undefined) {
      if (
        !block.signature ||
        !verifyBlockSignature(options.sealPublicKey, block.hash, block.signature)
      ) {
        return bad('its signature does not verify');
      }
    }
    const transfers = await blockTransfers(ex, h);
    if (transfers.length !== h.transferCount) {
      return bad(
        `holds ${h.transferCount} transfers but seqs ${h.firstSeq}..${h.lastSeq} have ${transfers.length}`,
      );
    }
    if (!merkleRoot(transfers.map(transferLeafHash)).equals(h.merkleRoot)) {
      const culprit = await firstChangedTransfer(ex, transfers);
      return bad(
        'its Merkle root does not match its transfers (a transfer was changed)',
        culprit ? [culprit] : [],
      );
    }
    prevHash = block.hash;
    prevLastSeq = h.lastSeq;
  }
  const gap = await ex.query<{ id: string }>(
    `SELECT t.id FROM ledger_transfers t
     WHERE t.seq <= $1 AND NOT EXISTS (SELECT 1 FROM ledger_seal_blocks b WHERE t.seq BETWEEN b.first_seq AND b.last_seq)
     ORDER BY t.seq LIMIT 1`,
    [prevLastSeq],
  );
  const g = gap.rows[0];
  return g
    ? {
        check: 'seal',
        message: `transfer ${g.id} is below the sealed horizon but in no block`,
        ids: [g.id],
      }
    : undefined;
}

/**
 * Which transfer of a block was changed cannot be read from the root alone; the journal keeps
 * the balances each transfer produced, so the transfer whose effect no longer matches its
 * journal rows is named. Undefined when that cannot tell (e.g. both were edited consistently).
 */
async function firstChangedTransfer(
  ex: Executor,
  transfers: ReadonlyArray<{ id: string }>,
): Promise<string | undefined> {
  const { rows } = await ex.query<{ transfer_id: string }>(
    `SELECT bad.transfer_id FROM (${badEntriesSql(`e.account_id IN (
        SELECT debit_account_id FROM ledger_transfers WHERE id = ANY($1::text[])
        UNION SELECT credit_account_id FROM ledger_transfers WHERE id = ANY($1::text[]))`)}) bad
     WHERE bad.transfer_id = ANY($1::text[]) LIMIT 1`,
    [transfers.map((t) => t.id)],
  );
  return rows[0]?.transfer_id;
}
