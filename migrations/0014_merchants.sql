-- Merchants: businesses run by a user, paid by users through QR codes and payment intents. A
-- merchant's money is a ledger account of its own (never negative: a refund it cannot cover is
-- refused); fees go to a system fee-revenue account in the same linked chain as the payment.

-- A merchant. Its names appear in its QR codes (EMVCo tag 59 is at most 25 characters, tag 60 at
-- most 15), so they are bounded here too. fee_rate_bp is the merchant discount rate in basis
-- points (60 = 0.6 %). One settlement currency per merchant: its intents are priced in it.
CREATE TABLE merchants (
  id                 text PRIMARY KEY CHECK (id ~ '^mch_[0-9A-HJKMNP-TV-Z]{26}$'),
  owner_id           text NOT NULL REFERENCES users (id),
  name_zh            text NOT NULL CHECK (char_length(name_zh) BETWEEN 1 AND 25),
  name_en            text NOT NULL CHECK (name_en ~ '^[\x20-\x7e]{1,25}$'),
  mcc                text NOT NULL CHECK (mcc ~ '^[0-9]{4}$'),
  city               text NOT NULL CHECK (city ~ '^[\x20-\x7e]{1,15}$'),
  country            text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  settlement_card_id text NOT NULL REFERENCES cards (id),
  fee_rate_bp        integer NOT NULL CHECK (fee_rate_bp BETWEEN 0 AND 1000),
  status             text NOT NULL CHECK (status IN ('pending_review', 'active', 'suspended')),
  account_id         text NOT NULL UNIQUE,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  activated_at       timestamptz
);
CREATE INDEX merchants_owner ON merchants (owner_id, id);
CREATE INDEX merchants_review ON merchants (id) WHERE status = 'pending_review';

-- A secret key for the merchant's server. Only a SHA-256 of the key is stored (keys are 256-bit
-- random, so a fast hash is enough); the last four characters help people tell keys apart.
CREATE TABLE merchant_api_keys (
  id           text PRIMARY KEY CHECK (id ~ '^key_[0-9A-HJKMNP-TV-Z]{26}$'),
  merchant_id  text NOT NULL REFERENCES merchants (id),
  secret_hash  bytea NOT NULL UNIQUE CHECK (octet_length(secret_hash) = 32),
  mode         text NOT NULL CHECK (mode IN ('test', 'live')),
  last4        text NOT NULL CHECK (char_length(last4) = 4),
  name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
  scopes       text[] NOT NULL CHECK (cardinality(scopes) BETWEEN 1 AND 16),
  created_at   timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX merchant_api_keys_merchant ON merchant_api_keys (merchant_id, id);

-- A payment intent: what a merchant asks to be paid, paid at most once by one user.
--   requires_payment: open until expires_at;
--   processing: a user's confirmation holds it while the money moves (a crash leaves it here
--     for the recovery job, which looks at the ledger);
--   requires_capture: manual capture, the amount is held on the payer's wallet;
--   succeeded / canceled: final (refunds are rows of their own).
-- reference is the one-time reference of its dynamic QR code (EMVCo tag 62, sub-field 05).
-- transfer_id is the payment's ledger transfer; the fee is a second transfer linked to it.
CREATE TABLE payment_intents (
  id                    text PRIMARY KEY CHECK (id ~ '^pi_[0-9A-HJKMNP-TV-Z]{26}$'),
  merchant_id           text NOT NULL REFERENCES merchants (id),
  amount_minor          bigint NOT NULL CHECK (amount_minor > 0),
  currency              text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  description           text CHECK (char_length(description) <= 200),
  metadata              jsonb NOT NULL,
  capture_method        text NOT NULL CHECK (capture_method IN ('automatic', 'manual')),
  status                text NOT NULL CHECK (status IN ('requires_payment', 'processing',
                          'requires_capture', 'succeeded', 'canceled')),
  reference             text NOT NULL UNIQUE CHECK (reference ~ '^[0-9A-Z]{1,25}$'),
  expires_at            timestamptz NOT NULL,
  payer_id              text REFERENCES users (id),
  transfer_id           text UNIQUE,
  fee_minor             bigint NOT NULL DEFAULT 0 CHECK (fee_minor >= 0),
  amount_received_minor bigint NOT NULL DEFAULT 0 CHECK (amount_received_minor >= 0),
  amount_refunded_minor bigint NOT NULL DEFAULT 0
                          CHECK (amount_refunded_minor BETWEEN 0 AND amount_received_minor),
  confirmation          text CHECK (confirmation IN ('pin', 'passkey', 'exempt')),
  -- When the payer's limits counted the payment (to give it back in the same periods).
  limit_reserved_at     timestamptz,
  cancellation_reason   text CHECK (char_length(cancellation_reason) <= 64),
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL,
  paid_at               timestamptz,
  CHECK ((status IN ('requires_payment', 'canceled')) OR payer_id IS NOT NULL)
);
CREATE INDEX payment_intents_merchant ON payment_intents (merchant_id, id);
CREATE INDEX payment_intents_payer ON payment_intents (payer_id, id) WHERE payer_id IS NOT NULL;
CREATE INDEX payment_intents_unsettled ON payment_intents (updated_at) WHERE status = 'processing';

-- A refund of (part of) a paid intent, from the merchant's balance back to the payer's wallet.
-- The intent's amount_refunded_minor is reserved first (so concurrent refunds never add up to
-- more than was paid); a refund the ledger refuses gives its reservation back and fails.
CREATE TABLE refunds (
  id                text PRIMARY KEY CHECK (id ~ '^ref_[0-9A-HJKMNP-TV-Z]{26}$'),
  payment_intent_id text NOT NULL REFERENCES payment_intents (id),
  merchant_id       text NOT NULL REFERENCES merchants (id),
  amount_minor      bigint NOT NULL CHECK (amount_minor > 0),
  currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  reason            text CHECK (char_length(reason) <= 200),
  status            text NOT NULL CHECK (status IN ('processing', 'succeeded', 'failed')),
  failure_code      text CHECK (char_length(failure_code) BETWEEN 1 AND 64),
  transfer_id       text NOT NULL UNIQUE,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  CHECK ((status = 'failed') = (failure_code IS NOT NULL))
);
CREATE INDEX refunds_intent ON refunds (payment_intent_id, id);
CREATE INDEX refunds_merchant ON refunds (merchant_id, id);
CREATE INDEX refunds_unsettled ON refunds (updated_at) WHERE status = 'processing';
