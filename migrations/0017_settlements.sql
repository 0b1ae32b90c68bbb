-- Settlements: each day (in the deployment's time zone) a merchant's takings of the day before —
-- payments received, less their fees and the refunds paid that day — are paid out to its
-- settlement card through the gateway (T+1). The payout is a hold on the merchant's account
-- (to bank clearing) while the gateway works, posted when it pays and voided when it fails.
--   empty: nothing to pay (no takings, or refunds ate them);
--   processing: recorded, the hold not yet in the ledger;
--   pending: the hold is in the ledger and the payout asked for (or about to be);
--   paid / failed: the hold posted / voided (failed also when the hold could not be made).
CREATE TABLE settlements (
  id                 text PRIMARY KEY CHECK (id ~ '^stl_[0-9A-HJKMNP-TV-Z]{26}$'),
  merchant_id        text NOT NULL REFERENCES merchants (id),
  day                date NOT NULL,
  currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  gross_minor        bigint NOT NULL CHECK (gross_minor >= 0),
  fees_minor         bigint NOT NULL CHECK (fees_minor >= 0),
  refunds_minor      bigint NOT NULL CHECK (refunds_minor >= 0),
  net_minor          bigint NOT NULL,
  payment_count      integer NOT NULL CHECK (payment_count >= 0),
  refund_count       integer NOT NULL CHECK (refund_count >= 0),
  status             text NOT NULL CHECK (status IN ('empty', 'processing', 'pending', 'paid', 'failed')),
  transfer_id        text UNIQUE,
  payout_id          text CHECK (char_length(payout_id) BETWEEN 1 AND 128),
  failure_code       text CHECK (char_length(failure_code) BETWEEN 1 AND 64),
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  paid_at            timestamptz,
  UNIQUE (merchant_id, day),
  CHECK (net_minor = gross_minor - fees_minor - refunds_minor),
  CHECK ((status = 'failed') = (failure_code IS NOT NULL)),
  CHECK ((status = 'empty') = (transfer_id IS NULL))
);
CREATE INDEX settlements_merchant ON settlements (merchant_id, day DESC);
CREATE INDEX settlements_open ON settlements (updated_at) WHERE status IN ('processing', 'pending');
CREATE INDEX payment_intents_paid ON payment_intents (merchant_id, paid_at) WHERE paid_at IS NOT NULL;
