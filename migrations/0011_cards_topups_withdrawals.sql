-- Funding: bank cards bound through the payment gateway, top-ups from them and withdrawals to
-- them. Both movements are asynchronous: a pending ledger transfer (a hold) until the gateway
-- confirms, then posted or voided. Balances are never stored here: they are the ledger's.

-- A bound card. Hebao keeps only what the gateway's tokenization returns (the token, the brand,
-- the last 4 digits and the expiry), never the full number or the CVC. Removing a card keeps the
-- row, because top-ups and withdrawals refer to it.
CREATE TABLE cards (
  id         text PRIMARY KEY CHECK (id ~ '^crd_[0-9A-HJKMNP-TV-Z]{26}$'),
  user_id    text NOT NULL REFERENCES users (id),
  token      text NOT NULL CHECK (char_length(token) BETWEEN 1 AND 128),
  brand      text NOT NULL CHECK (brand IN ('visa', 'mastercard', 'unionpay', 'amex', 'jcb')),
  last4      text NOT NULL CHECK (last4 ~ '^[0-9]{4}$'),
  exp_month  integer NOT NULL CHECK (exp_month BETWEEN 1 AND 12),
  exp_year   integer NOT NULL CHECK (exp_year BETWEEN 2000 AND 9999),
  created_at timestamptz NOT NULL,
  removed_at timestamptz
);
CREATE INDEX cards_user ON cards (user_id, id) WHERE removed_at IS NULL;

-- A top-up: money pulled from a card by a gateway charge. Its id is the pending ledger transfer
-- from the bank clearing account into the user's wallet (`trf_…`), which is also the charge's
-- reference at the gateway.
--   processing: recorded, the hold not yet committed (the hold's transaction moves it on);
--   pending: the hold is in the ledger, the charge asked for or about to be;
--   succeeded / failed: the hold was posted / voided, in the same transaction as the status.
-- gateway_sequence is the highest per-movement event sequence applied (0: none), so that an
-- event older than what was applied (a late `charge.pending`) changes nothing.
CREATE TABLE topups (
  id               text PRIMARY KEY CHECK (id ~ '^trf_[0-9A-HJKMNP-TV-Z]{26}$'),
  user_id          text NOT NULL REFERENCES users (id),
  card_id          text NOT NULL REFERENCES cards (id),
  amount_minor     bigint NOT NULL CHECK (amount_minor > 0),
  currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status           text NOT NULL CHECK (status IN ('processing', 'pending', 'succeeded', 'failed')),
  charge_id        text UNIQUE CHECK (char_length(charge_id) BETWEEN 1 AND 128),
  gateway_sequence integer NOT NULL DEFAULT 0 CHECK (gateway_sequence >= 0),
  failure_code     text CHECK (char_length(failure_code) BETWEEN 1 AND 64),
  idempotency_key  text NOT NULL CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  completed_at     timestamptz,
  UNIQUE (user_id, idempotency_key),
  CHECK ((status = 'failed') = (failure_code IS NOT NULL)),
  CHECK ((status IN ('succeeded', 'failed')) = (completed_at IS NOT NULL))
);
CREATE INDEX topups_user ON topups (user_id, id);
CREATE INDEX topups_unsettled ON topups (updated_at) WHERE status IN ('processing', 'pending');

-- A withdrawal: money pushed to a card by a gateway payout. Its id is the pending ledger transfer
-- from the user's wallet into the bank clearing account, so the money cannot be spent twice
-- while the payout is under way. It needs step-up (`confirmation`) and counts against the
-- payment limits from `limit_reserved_at`; a failed withdrawal gives the reservation back.
CREATE TABLE withdrawals (
  id                text PRIMARY KEY CHECK (id ~ '^trf_[0-9A-HJKMNP-TV-Z]{26}$'),
  user_id           text NOT NULL REFERENCES users (id),
  card_id           text NOT NULL REFERENCES cards (id),
  amount_minor      bigint NOT NULL CHECK (amount_minor > 0),
  currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status            text NOT NULL CHECK (status IN ('processing', 'pending', 'succeeded', 'failed')),
  payout_id         text UNIQUE CHECK (char_length(payout_id) BETWEEN 1 AND 128),
  gateway_sequence  integer NOT NULL DEFAULT 0 CHECK (gateway_sequence >= 0),
  failure_code      text CHECK (char_length(failure_code) BETWEEN 1 AND 64),
  confirmation      text NOT NULL CHECK (confirmation IN ('pin', 'passkey', 'exempt')),
  limit_reserved_at timestamptz NOT NULL,
  idempotency_key   text NOT NULL CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  completed_at      timestamptz,
  UNIQUE (user_id, idempotency_key),
  CHECK ((status = 'failed') = (failure_code IS NOT NULL)),
  CHECK ((status IN ('succeeded', 'failed')) = (completed_at IS NOT NULL))
);
CREATE INDEX withdrawals_user ON withdrawals (user_id, id);
CREATE INDEX withdrawals_unsettled ON withdrawals (updated_at)
  WHERE status IN ('processing', 'pending');

-- Gateway callbacks already handled, by event id: a delivery of the same event again (the
-- gateway delivers at least once) changes nothing. Rows older than the retention are purged.
CREATE TABLE gateway_events (
  event_id     text PRIMARY KEY CHECK (char_length(event_id) BETWEEN 1 AND 128),
  processed_at timestamptz NOT NULL
);
CREATE INDEX gateway_events_processed ON gateway_events (processed_at);
