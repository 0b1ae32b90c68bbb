/**
 * The sealer puts every committed transfer into exactly one hash-chained block, in seq order.
 *
 * Seqs are assigned at insert, not at commit, so a transfer with a smaller seq can commit after
 * one with a larger seq. Sealing past a seq that is still in flight would skip it for ever. The
 * sealer therefore seals only up to a horizon it knows is final: it reads the last seq handed out
 * (L), then has a new transaction id assigned to itself (X) in a transaction of its own. Every
 * batch takes its row locks (and with them its transaction id) before it draws seqs, and ids are
 * assigned in increasing order, so any transaction that drew a seq <= L has an id < X; once the
 * oldest running transaction id is >= X, all of them have committed or rolled back, and every
 * transfer with seq <= L that will ever exist is visible. (The snapshot's xmax would not do: it
 * is one past the latest *finished* id, and an older transaction can still be running above it.)
 */
import type { KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { withTransaction, type Executor, type Pool } from '../db/index.js';
import type { Clock } from '../lib/clock.js';
import { limits } from '../limits.js';
import { inclusionProof, merkleRoot } from './merkle.js';
import {
  buildBlock,
  GENESIS_PREV_HASH,
  signBlockHash,
  transferLeafHash,
  type BlockHeader,
} from './seal-core.js';
import { selectTransfersInSeqRange } from './sql.js';
import type { Transfer } from './types.js';

const SEAL_LOCK_KEY = 7_244_218_002;
const HORIZON_WAIT_MS = 2000;

export interface SealBlock {
  readonly header: BlockHeader;
  readonly hash: Buffer;
  readonly signature: Buffer | null;
}

export interface InclusionProof {
  readonly transfer: Transfer;
  readonly block: SealBlock;
  readonly leafIndex: number;
  readonly leafHash: Buffer;
  readonly path: readonly Buffer[];
}

export interface Sealer {
  /** Seals everything that is final; returns the number of transfers sealed. */
  sealOnce(): Promise<number>;
  latestBlock(): Promise<SealBlock | undefined>;
  /** Undefined while the transfer is not sealed yet (or does not exist). */
  proveInclusion(transferId: string): Promise<InclusionProof | undefined>;
}

export interface SealerDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly signingKey?: KeyObject | undefined;
}

interface BlockRow {
  height: bigint;
  first_seq: bigint;
  last_seq: bigint;
  transfer_count: number;
  merkle_root: Buffer;
  prev_hash: Buffer;
  hash: Buffer;
  signature: Buffer | null;
  created_at: Date;
}

function toSealBlock(row: BlockRow): SealBlock {
  return {
    header: {
      height: row.height,
      firstSeq: row.first_seq,
      lastSeq: row.last_seq,
      transferCount: row.transfer_count,
      merkleRoot: row.merkle_root,
      prevHash: row.prev_hash,
      createdAtMs: row.created_at.getTime(),
    },
    hash: row.hash,
    signature: row.signature,
  };
}

export function createSealer(deps: SealerDeps): Sealer {
  return {
    sealOnce: () => sealOnce(deps),
    latestBlock: () => selectLatestBlock(deps.pool),
    proveInclusion: (transferId) => proveInclusion(deps.pool, transferId),
  };
}

async function finalHorizon(pool: Pool): Promise<bigint | undefined> {
  const seqRow = await pool.query<{ last_value: bigint; is_called: boolean }>(
    `SELECT last_value, is_called FROM ledger_transfers_seq_seq`,
  );
  const row = seqRow.rows[0];
  if (!row || !row.is_called) return undefined;
  // A statement of its own (so its own transaction), after the seq bound was read.
  const xmax = (await pool.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x')).rows[0]!
    .x;
  const deadline = Date.now() + HORIZON_WAIT_MS;
  for (;;) {
    const { rows } = await pool.query<{ done: boolean }>(
      'SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8 AS done',
      [xmax],
    );
    if (rows[0]!.done) return row.last_value;
    if (Date.now() > deadline) return undefined;
    await sleep(5);
  }
}

async function sealOnce(deps: SealerDeps): Promise<number> {
  const horizon = await finalHorizon(deps.pool);
  if (horizon === undefined) return 0;
  let sealed = 0;
  for (;;) {
    const count = await withTransaction(deps.pool, async (tx) => {
      const { rows: lock } = await tx.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_xact_lock($1) AS ok',
        [SEAL_LOCK_KEY],
      );
      if (!lock[0]!.ok) return 0; // another process is sealing
      return sealNextBlock(tx, deps, horizon);
    });
    sealed += count;
    if (count < limits.sealBlockSizeMax) return sealed;
  }
}

async function sealNextBlock(tx: Executor, deps: SealerDeps, horizon: bigint): Promise<number> {
  const last = await selectLatestBlock(tx);
  const transfers = await selectTransfersInSeqRange(
    tx,
    last?.header.lastSeq ?? 0n,
    horizon,
    limits.sealBlockSizeMax,
  );
  if (transfers.length === 0) return 0;
  const block = buildBlock({
    height: last ? last.header.height + 1n : 0n,
    prevHash: last ? last.hash : GENESIS_PREV_HASH,
    createdAtMs: deps.clock.nowMs(),
    transfers,
  });
  const signature = deps.signingKey ? signBlockHash(deps.signingKey, block.hash) : null;
  const h = block.header;
  await tx.query(
    `INSERT INTO ledger_seal_blocks (height, first_seq, last_seq, transfer_count, merkle_root, prev_hash, hash, signature, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      h.height,
      h.firstSeq,
      h.lastSeq,
      h.transferCount,
      h.merkleRoot,
      h.prevHash,
      block.hash,
      signature,
      new Date(h.createdAtMs),
    ],
  );
  return transfers.length;
}

/** The transfers a block covers, in seq order. */
export function blockTransfers(ex: Executor, header: BlockHeader): Promise<Transfer[]> {
  // A block holds at most sealBlockSizeMax transfers; one more reveals a transfer slipped in.
  return selectTransfersInSeqRange(
    ex,
    header.firstSeq - 1n,
    header.lastSeq,
    limits.sealBlockSizeMax + 1,
  );
}

async function selectLatestBlock(ex: Executor): Promise<SealBlock | undefined> {
  const { rows } = await ex.query<BlockRow>(
    'SELECT * FROM ledger_seal_blocks ORDER BY height DESC LIMIT 1',
  );
  return rows[0] ? toSealBlock(rows[0]) : undefined;
}

/** The block at `height`, or the next one above it when that height is missing. */
export async function selectBlockAtOrAbove(
  ex: Executor,
  height: bigint,
): Promise<SealBlock | undefined> {
  const { rows } = await ex.query<BlockRow>(
    'SELECT * FROM ledger_seal_blocks WHERE height >= $1 ORDER BY height LIMIT 1',
    [height],
  );
  return rows[0] ? toSealBlock(rows[0]) : undefined;
}

async function proveInclusion(pool: Pool, transferId: string): Promise<InclusionProof | undefined> {
  const { rows } = await pool.query<BlockRow & { seq: bigint }>(
    `SELECT b.*, t.seq AS seq FROM ledger_transfers t
     JOIN ledger_seal_blocks b ON t.seq BETWEEN b.first_seq AND b.last_seq
     WHERE t.id = $1`,
    [transferId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const block = toSealBlock(row);
  const transfers = await blockTransfers(pool, block.header);
  const leaves = transfers.map(transferLeafHash);
  const leafIndex = transfers.findIndex((t) => t.id === transferId);
  if (leafIndex < 0 || !merkleRoot(leaves).equals(block.header.merkleRoot)) return undefined;
  return {
    transfer: transfers[leafIndex]!,
    block,
    leafIndex,
    leafHash: leaves[leafIndex]!,
    path: inclusionProof(leaves, leafIndex),
  };
}
