/**
 * Every limit in the system, in one place, checked against each other at start-up
 * (`assertLimits`). A limit that is not here does not exist.
 */
export const limits = {
  /** The largest amount of one transfer or one API amount, in minor units. */
  amountMinorMax: 999_999_999_999_999n,
  /** Commands in one ledger batch. */
  batchSizeMax: 8190,
  /** Serialized size of a transfer's metadata (canonical JSON bytes). */
  metadataBytesMax: 1024,
  /** Longest timeout of a pending transfer: 400 days, longer than any hold the product needs. */
  pendingTimeoutSecondsMax: 400 * 24 * 3600,
  /** Length of account and transfer codes and of account owners. */
  codeLengthMax: 32,
  ownerLengthMax: 64,
  /** Group-commit batcher: commands waiting, and batches in flight at once. */
  batcherQueueMax: 100_000,
  batcherInFlightMax: 2,
  /** Attempts of a batch that loses a race on a transfer id inserted by another process. */
  batchAttemptsMax: 5,
  /** Expired holds voided per worker pass. */
  expiryBatchSizeMax: 1000,
  /** Transfers in one seal block. */
  sealBlockSizeMax: 10_000,
  /** Statement and list pages. */
  pageSizeDefault: 20,
  pageSizeMax: 100,
  /** HTTP request bodies. */
  bodyBytesMax: 1024 * 1024,
  /** Database pool. */
  poolSizeMax: 20,
  /** Statement timeout for any one SQL statement issued by the API. */
  statementTimeoutMs: 30_000,
} as const;

export type Limits = typeof limits;

export function assertLimits(l: Limits = limits): void {
  const checks: Array<[boolean, string]> = [
    [l.amountMinorMax > 0n && l.amountMinorMax < 2n ** 63n, 'amountMinorMax fits int8'],
    [l.batchSizeMax >= 1 && l.batchSizeMax <= 8190, 'batchSizeMax in 1..8190'],
    [l.expiryBatchSizeMax <= l.batchSizeMax, 'an expiry pass fits in one batch'],
    [l.pageSizeDefault <= l.pageSizeMax, 'default page size within the maximum'],
    [l.batcherInFlightMax < l.poolSizeMax, 'the batcher leaves pool connections for other work'],
    [l.batcherQueueMax >= l.batchSizeMax, 'the batcher queue holds at least one full batch'],
    [l.metadataBytesMax <= 64 * 1024, 'metadata stays small'],
    [l.sealBlockSizeMax >= 1, 'seal blocks hold at least one transfer'],
  ];
  for (const [ok, what] of checks) {
    if (!ok) throw new Error(`limits are inconsistent: ${what}`);
  }
}
