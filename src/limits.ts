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

  /** Sign-in: failures allowed before delays start, and the failure count that locks for long. */
  loginFailuresFree: 5,
  loginFailuresLock: 20,
  /** The first delay after the free failures; each further failure doubles it, up to the cap. */
  loginDelayBaseMs: 1000,
  loginDelayMaxMs: 15 * 60_000,
  loginLockMs: 60 * 60_000,
  /** Failed sign-ins from one IP address, across logins, before it is delayed too. */
  ipLoginFailuresFree: 50,
  /** One-time codes (contact verification, password reset). */
  oneTimeCodeTtlMs: 10 * 60_000,
  oneTimeCodeFailuresMax: 5,
  oneTimeCodeResendIntervalMs: 60_000,
  /** Second-factor step of a sign-in. */
  loginChallengeTtlMs: 5 * 60_000,
  loginChallengeFailuresMax: 5,
  /** A session's last-seen time is written at most this often. */
  sessionTouchIntervalMs: 60_000,
  /** Sessions and devices listed per user. */
  sessionsListedMax: 100,
  /** Messages handed to the sender per worker pass, and attempts per message. */
  outboxBatchSizeMax: 100,
  outboxAttemptsMax: 10,
  /** How often the outbox worker looks for messages to send. */
  outboxIntervalMs: 1000,
  /** Messages the development inbox returns. */
  devInboxSizeMax: 50,
  /** Audit entries checked per query by verify. */
  auditVerifyPageSize: 10_000,
  /** Payment PIN: its digits, the wrong tries that lock it, and the growing lock. */
  pinLength: 6,
  pinFailuresLock: 5,
  /** The first lock of a streak; each further lock lasts twice as long, up to the cap. */
  pinLockBaseMs: 15 * 60_000,
  pinLockMaxMs: 24 * 3_600_000,
  /** A streak of locks is forgotten once this long has passed since its last lock ended. */
  pinLockoutForgetMs: 24 * 3_600_000,
  /** Step-up confirmations: lifetime (API.md: at most five minutes) and token size. */
  stepUpConfirmationTtlMs: 5 * 60_000,
  stepUpTokenBytes: 32,
  stepUpTokenLengthMax: 128,
  /** Idempotency-Key records: kept (and replayed) at least this long; a claim's lock. */
  idempotencyRetentionMs: 24 * 3_600_000,
  idempotencyLockMs: 60_000,
  idempotencyPurgeBatchSizeMax: 1000,
  /** Wallet jobs: transfers handled per pass, and when a half-done one is settled by the job. */
  walletJobBatchSizeMax: 500,
  walletUnsettledAfterMs: 10 * 60_000,
  walletJobIntervalMs: 1000,
  /** Wallet accounts a process remembers as existing (each entry ~100 bytes). */
  walletAccountCacheMax: 100_000,
  /** Wallet: cards per user, payers per money request, the FX spread cap, history exports. */
  cardsPerUserMax: 10,
  requestPayersMax: 20,
  fxSpreadBpsMax: 1_000,
  historyExportBatchSize: 250,
  /** FX quotes: how long one holds, how long an unused one is kept, purged per pass. */
  fxQuoteTtlMs: 30_000,
  fxQuoteRetentionMs: 24 * 3_600_000,
  fxQuotePurgeBatchSizeMax: 1_000,
  /** Funding: when a quiet top-up or withdrawal is polled or abandoned, and gateway event ids kept. */
  fundingPollAfterMs: 60_000,
  fundingAbandonAfterMs: 10 * 60_000,
  fundingPollBatchMax: 100,
  fundingPollIntervalMs: 5_000,
  gatewayEventRetentionMs: 7 * 24 * 3_600_000,
  gatewayEventPurgeBatchMax: 1_000,
  /** A P2P transfer's note. */
  transferNoteLengthMax: 140,
  /** Server-Sent Event streams: open per user, events read per wake-up, heartbeat, overlap. */
  eventStreamsPerUserMax: 5,
  eventStreamBatchMax: 100,
  eventStreamHeartbeatMs: 15_000,
  eventStreamOverlapMs: 5_000,
  /** Expired identity rows (challenges, codes, old sessions) deleted per table per pass. */
  identityPurgeBatchSizeMax: 1000,
  identityPurgeIntervalMs: 60_000,
  /** Recovery codes issued with an authenticator app, and passkeys one user may register. */
  recoveryCodeCount: 10,
  passkeysPerUserMax: 20,
  /** An operator's reason for a KYC review decision. */
  kycReviewReasonLengthMax: 500,
  /** Request bodies of identity routes: names, URLs, user agents. */
  displayNameLengthMax: 64,
  userAgentLengthMax: 512,
  /** Merchants: how many one user runs, API keys per merchant, last-used precision. */
  merchantsPerUserMax: 5,
  merchantApiKeysMax: 20,
  apiKeyTouchIntervalMs: 60_000,
  /** Payment intents: lifetime (a dynamic QR lives 5 minutes by default), metadata, refunds. */
  paymentIntentTtlDefaultSeconds: 300,
  paymentIntentTtlMaxSeconds: 24 * 3600,
  paymentIntentMetadataKeysMax: 20,
  paymentIntentMetadataValueLengthMax: 500,
  refundWindowMs: 365 * 24 * 3_600_000,
  /** A payment or refund left processing this long (a crash) is settled by the merchant job. */
  merchantUnsettledAfterMs: 5 * 60_000,
  /** How often the settlement job looks for days to settle and payouts to follow. */
  settlementIntervalMs: 60_000,
  /** How many days one run settles for a merchant whose settlements fell behind. */
  settlementCatchUpDaysMax: 31,
  /** Manual capture: how long a payment's hold on the payer's wallet waits to be captured. */
  paymentAuthorizationTtlSeconds: 7 * 24 * 3600,
  /** User payment codes: active devices per user; wrong codes that lock a device, and how long. */
  paymentCodeDevicesPerUserMax: 5,
  paymentCodeFailuresLock: 5,
  paymentCodeLockMs: 15 * 60_000,
  /** Charges by code paid without confirmation: at most this much each, and a day (CNY fen). */
  paymentCodeConfirmAboveMinor: 20_000n,
  paymentCodeDailyMinor: 100_000n,
  /** How long a charge waits for the payer to confirm it on the phone. */
  paymentCodeConfirmTtlSeconds: 300,
  /** Random token ids drawn for a new device before giving up on finding an unused one. */
  paymentCodeTokenIdAttemptsMax: 8,
  /** Webhooks: endpoints one owner may have, and what one endpoint may hold. */
  webhookEndpointsPerOwnerMax: 16,
  webhookUrlLengthMax: 2048,
  webhookDescriptionLengthMax: 256,
  webhookEventTypesPerEndpointMax: 32,
  webhookEventTypeLengthMax: 64,
  /** An event's data as JSON bytes; an event names what changed, it is no data export. */
  webhookEventDataBytesMax: 64 * 1024,
  /** Deliveries claimed per worker pass, POSTs in flight at once, and how long a claim holds. */
  webhookDeliveryBatchSizeMax: 50,
  webhookDeliveryConcurrencyMax: 8,
  webhookDeliveryLeaseMs: 60_000,
  webhookWorkerIntervalMs: 1000,
  /** One attempt: the DNS lookup of the endpoint's host, then the whole HTTP exchange. */
  webhookDnsTimeoutMs: 5_000,
  webhookRequestTimeoutMs: 10_000,
  /** Retries: the first delay doubles up to the cap, until this long after the event was made. */
  webhookRetryBaseMs: 30_000,
  webhookRetryMaxMs: 6 * 3_600_000,
  webhookRetryWindowMs: 3 * 24 * 3_600_000,
  /** Attempts one delivery may have, scheduled ones and resends together. */
  webhookAttemptsPerDeliveryMax: 50,
  /** The attempt log: response bytes and error characters kept, attempts listed per delivery. */
  webhookResponseExcerptBytesMax: 1024,
  webhookErrorLengthMax: 500,
  webhookAttemptsListedMax: 10,
  /** How long the secret before a rotation keeps signing deliveries beside the new one. */
  webhookSecretOverlapMs: 24 * 3_600_000,
  /** Finished deliveries and their events are kept this long for the log, then purged. */
  webhookRetentionMs: 30 * 24 * 3_600_000,
  webhookPurgeBatchSizeMax: 1000,
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
    [l.loginFailuresFree < l.loginFailuresLock, 'delays start before the lock'],
    [l.loginDelayBaseMs <= l.loginDelayMaxMs, 'the first delay is within the cap'],
    [l.loginDelayMaxMs <= l.loginLockMs, 'no delay is longer than the lock'],
    [l.sessionTouchIntervalMs < 5 * 60_000, 'last-seen is precise enough for the idle timeout'],
    [l.pinLockBaseMs <= l.pinLockMaxMs, 'the first PIN lock is within the cap'],
    [l.stepUpConfirmationTtlMs <= 5 * 60_000, 'a confirmation lives at most five minutes'],
    [l.stepUpTokenBytes >= 16, 'confirmation tokens carry at least 128 bits'],
    [l.fundingPollAfterMs < l.fundingAbandonAfterMs, 'a quiet movement is polled before abandoned'],
    [l.fxQuoteTtlMs < l.fxQuoteRetentionMs, 'quotes are kept past their lifetime'],
    [
      l.paymentAuthorizationTtlSeconds <= l.pendingTimeoutSecondsMax,
      'a payment authorization is a hold the ledger accepts',
    ],
    [l.webhookEndpointsPerOwnerMax >= 1, 'an owner may have a webhook endpoint'],
    [l.webhookRetryBaseMs <= l.webhookRetryMaxMs, 'the first webhook retry is within the cap'],
    [l.webhookRetryMaxMs < l.webhookRetryWindowMs, 'webhook retries fit in their window'],
    [
      l.webhookDnsTimeoutMs + l.webhookRequestTimeoutMs < l.webhookDeliveryLeaseMs,
      'a webhook attempt ends before its claim runs out',
    ],
    [
      l.webhookDeliveryConcurrencyMax <= l.webhookDeliveryBatchSizeMax &&
        l.webhookDeliveryConcurrencyMax < l.poolSizeMax,
      'webhook attempts in flight fit in a batch and leave pool connections',
    ],
    [
      // Jitter shortens a delay by at most a fifth: once capped, attempts come every 0.8 cap.
      l.webhookRetryWindowMs / (0.8 * l.webhookRetryMaxMs) +
        Math.log2(l.webhookRetryMaxMs / l.webhookRetryBaseMs) +
        2 <=
        l.webhookAttemptsPerDeliveryMax,
      'scheduled webhook attempts leave room for resends',
    ],
    [
      l.webhookAttemptsListedMax <= l.webhookAttemptsPerDeliveryMax,
      'listed webhook attempts within the attempts a delivery may have',
    ],
    [l.webhookSecretOverlapMs <= l.webhookRetryWindowMs, 'a rotated secret expires in time'],
    [l.webhookRetentionMs > l.webhookRetryWindowMs, 'deliveries are kept past their retries'],
  ];
  for (const [ok, what] of checks) {
    if (!ok) throw new Error(`limits are inconsistent: ${what}`);
  }
}
