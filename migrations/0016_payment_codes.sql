-- User payment codes (付款码, the merchant scans the user's phone) and the charges merchants make
-- with them. A phone gets a device secret once, when it is provisioned behind the payment PIN, and
-- makes 18-digit codes offline from it (src/merchants/payment-code.ts); a merchant's server sends
-- a scanned code with an amount, and the charge pays a payment intent of the merchant for the
-- code's user: at once within the user's daily allowance for code payments, otherwise after the
-- user confirms on the phone.

-- A provisioned device. token_id is what a code carries (disguised) to name the device: random,
-- unique, and meaningless outside the server. The secret (20 random bytes, base64url) is sealed
-- with the keyring (encryptField), bound to '<id>/secret'. last_step_used is the 60-second step
-- of the newest code accepted: a code is accepted once, so steps at or before it are refused.
-- failures counts consecutive wrong codes for this device; reaching the limit locks the device's
-- codes until locked_until, so that nobody can try the million codes of a step.
CREATE TABLE payment_code_devices (
  id               hebao_ulid_id PRIMARY KEY CHECK (id LIKE 'pcd\_%'),
  user_id          text NOT NULL REFERENCES users (id),
  name             text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
  token_id         bigint NOT NULL UNIQUE CHECK (token_id BETWEEN 0 AND 9999999999),
  secret_encrypted text NOT NULL CHECK (secret_encrypted LIKE 'v1.%'),
  created_at       timestamptz NOT NULL,
  revoked_at       timestamptz,
  last_step_used   bigint CHECK (last_step_used >= 0),
  last_used_at     timestamptz,
  failures         integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  locked_until     timestamptz,
  CHECK (revoked_at IS NULL OR revoked_at >= created_at),
  CHECK ((last_step_used IS NULL) = (last_used_at IS NULL))
);
CREATE INDEX payment_code_devices_user ON payment_code_devices (user_id, id);

-- A charge: one accepted code, one payment intent of the merchant.
--   processing: paying at once (a crash leaves it here for the recovery job, which looks at the
--     ledger); succeeded / failed: final (failure_code says why, and no money moved);
--   requires_confirmation: the payer confirms the intent in the app; from then on the intent's
--     status is the charge's.
-- allowance_day is the calendar day whose code allowance the charge counts in (null when it
-- needed confirmation); transfer_id is the payment's ledger transfer when paid at once. A code is
-- used by one charge at most: (device_id, code_step) is unique.
CREATE TABLE charges (
  id                hebao_ulid_id PRIMARY KEY CHECK (id LIKE 'chg\_%'),
  merchant_id       text NOT NULL REFERENCES merchants (id),
  payment_intent_id text NOT NULL UNIQUE REFERENCES payment_intents (id),
  device_id         text NOT NULL REFERENCES payment_code_devices (id),
  payer_id          text NOT NULL REFERENCES users (id),
  code_step         bigint NOT NULL CHECK (code_step >= 0),
  amount_minor      bigint NOT NULL CHECK (amount_minor > 0),
  currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status            text NOT NULL CHECK (status IN ('processing', 'requires_confirmation',
                      'succeeded', 'failed')),
  failure_code      text CHECK (char_length(failure_code) BETWEEN 1 AND 64),
  allowance_day     date,
  transfer_id       text UNIQUE,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  UNIQUE (device_id, code_step),
  CHECK ((status = 'failed') = (failure_code IS NOT NULL)),
  CHECK (status <> 'requires_confirmation' OR (allowance_day IS NULL AND transfer_id IS NULL))
);
CREATE INDEX charges_merchant ON charges (merchant_id, id);
CREATE INDEX charges_unsettled ON charges (updated_at) WHERE status = 'processing';

-- What each user has paid by code without confirmation on their current calendar day (in the
-- configured time zone), in CNY minor units. One row per user; a later day starts it again.
CREATE TABLE payment_code_allowances (
  user_id    text PRIMARY KEY REFERENCES users (id),
  day        date NOT NULL,
  used_minor bigint NOT NULL CHECK (used_minor >= 0)
);

-- A payment intent paid by a charge within the allowance was authorized by the code itself.
ALTER TABLE payment_intents DROP CONSTRAINT payment_intents_confirmation_check;
ALTER TABLE payment_intents ADD CONSTRAINT payment_intents_confirmation_check
  CHECK (confirmation IN ('pin', 'passkey', 'exempt', 'payment_code'));
