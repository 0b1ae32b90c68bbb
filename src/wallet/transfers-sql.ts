import type { Executor } from '../db/index.js';

/** The wallet_transfers table, by hand; every function takes the executor first. */
export type Arrival = 'instant' | 'delay_2h' | 'delay_24h';
export type TransferStatus =
  'processing' | 'held' | 'releasing' | 'cancelling' | 'completed' | 'cancelled' | 'failed';

export interface WalletTransfer {
  readonly id: string;
  readonly payerId: string;
  readonly payeeId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly note: string | null;
  readonly arrival: Arrival;
  readonly status: TransferStatus;
  readonly failureCode: string | null;
  readonly holdReason: 'delay_2h' | 'delay_24h' | 'risk' | null;
  readonly releaseAt: Date | null;
  readonly confirmation: 'pin' | 'passkey' | 'exempt';
  readonly limitReservedAt: Date;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly completedAt: Date | null;
}

interface Row {
  id: string;
  payer_id: string;
  payee_id: string;
  amount_minor: bigint;
  currency: string;
  note: string | null;
  arrival: Arrival;
  status: TransferStatus;
  failure_code: string | null;
  hold_reason: WalletTransfer['holdReason'];
  release_at: Date | null;
  confirmation: WalletTransfer['confirmation'];
  limit_reserved_at: Date;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

function transferOf(r: Row): WalletTransfer {
  return {
    id: r.id,
    payerId: r.payer_id,
    payeeId: r.payee_id,
    amountMinor: r.amount_minor,
    currency: r.currency,
    note: r.note,
    arrival: r.arrival,
    status: r.status,
    failureCode: r.failure_code,
    holdReason: r.hold_reason,
    releaseAt: r.release_at,
    confirmation: r.confirmation,
    limitReservedAt: r.limit_reserved_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    completedAt: r.completed_at,
  };
}

export async function insertTransfer(
  tx: Executor,
  t: Omit<WalletTransfer, 'updatedAt' | 'completedAt' | 'failureCode'> & {
    readonly idempotencyKey: string;
  },
): Promise<void> {
  await tx.query({
    name: 'wallet_insert_transfer',
    text: `INSERT INTO wallet_transfers (id, payer_id, payee_id, amount_minor, currency, note, arrival,
       status, hold_reason, release_at, confirmation, idempotency_key, limit_reserved_at,
       created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)`,
    values: [
      t.id,
      t.payerId,
      t.payeeId,
      t.amountMinor,
      t.currency,
      t.note,
      t.arrival,
      t.status,
      t.holdReason,
      t.releaseAt,
      t.confirmation,
      t.idempotencyKey,
      t.limitReservedAt,
      t.createdAt,
    ],
  });
}

export async function selectTransfer(
  db: Executor,
  id: string,
): Promise<WalletTransfer | undefined> {
  const { rows } = await db.query<Row>({
    name: 'wallet_transfer',
    text: 'SELECT * FROM wallet_transfers WHERE id = $1',
    values: [id],
  });
  return rows[0] === undefined ? undefined : transferOf(rows[0]);
}

export async function selectByKey(
  db: Executor,
  payerId: string,
  key: string,
): Promise<WalletTransfer | undefined> {
  const { rows } = await db.query<Row>({
    name: 'wallet_transfer_by_key',
    text: 'SELECT * FROM wallet_transfers WHERE payer_id = $1 AND idempotency_key = $2',
    values: [payerId, key],
  });
  return rows[0] === undefined ? undefined : transferOf(rows[0]);
}

export async function hasPaidBefore(
  db: Executor,
  payerId: string,
  payeeId: string,
): Promise<boolean> {
  const { rows } = await db.query({
    name: 'wallet_has_paid',
    text: `SELECT 1 FROM wallet_transfers
      WHERE payer_id = $1 AND payee_id = $2 AND status = 'completed' LIMIT 1`,
    values: [payerId, payeeId],
  });
  return rows.length > 0;
}

/** Moves a transfer from one status to the next; false when it was not in `from` any more. */
export async function moveStatus(
  db: Executor,
  id: string,
  from: readonly TransferStatus[],
  to: TransferStatus,
  now: Date,
  extra: { readonly failureCode?: string } = {},
): Promise<boolean> {
  const moved = await moveStatuses(db, [{ id, to, failureCode: extra.failureCode }], from, now);
  return moved.size === 1;
}

/** Many transfers in one statement (a ledger batch's); returns the ids that were in `from`. */
export async function moveStatuses(
  db: Executor,
  moves: ReadonlyArray<{
    readonly id: string;
    readonly to: TransferStatus;
    readonly failureCode?: string | undefined;
  }>,
  from: readonly TransferStatus[],
  now: Date,
): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>({
    name: 'wallet_move_statuses',
    text: `UPDATE wallet_transfers t
        SET status = m.status, updated_at = $4, failure_code = m.failure_code,
            completed_at = CASE WHEN m.status IN ('completed', 'cancelled', 'failed') THEN $4
                                ELSE t.completed_at END
       FROM unnest($1::text[], $2::text[], $3::text[]) AS m(id, status, failure_code)
      WHERE t.id = m.id AND t.status = ANY($5)
      RETURNING t.id`,
    values: [
      moves.map((m) => m.id),
      moves.map((m) => m.to),
      moves.map((m) => m.failureCode ?? null),
      now,
      from,
    ],
  });
  return new Set(rows.map((r) => r.id));
}

export async function selectDue(db: Executor, now: Date, limit: number): Promise<WalletTransfer[]> {
  const { rows } = await db.query<Row>(
    `SELECT * FROM wallet_transfers WHERE status = 'held' AND release_at <= $1
      ORDER BY release_at LIMIT $2`,
    [now, limit],
  );
  return rows.map(transferOf);
}

export async function selectUnsettled(
  db: Executor,
  olderThan: Date,
  limit: number,
): Promise<WalletTransfer[]> {
  const { rows } = await db.query<Row>(
    `SELECT * FROM wallet_transfers
      WHERE status IN ('processing', 'releasing', 'cancelling') AND updated_at < $1
      ORDER BY updated_at LIMIT $2`,
    [olderThan, limit],
  );
  return rows.map(transferOf);
}
