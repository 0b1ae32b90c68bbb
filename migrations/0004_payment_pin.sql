-- Payment PINs and step-up confirmations of money movement. Timestamps come from the
-- application's clock, as in 0002.

-- One payment PIN per user, stored as HMAC-SHA256 keyed with the server secret over
-- ('payment-pin', user id, PIN): a million possible PINs are too few for a slow hash to help, so
-- the secret outside the database and the lockout below are what protect it. The user id inside
-- the hash means a hash copied onto another user's row does not verify.
CREATE TABLE payment_pins (
  user_id      text PRIMARY KEY REFERENCES users (id),
  pin_hash     bytea NOT NULL CHECK (octet_length(pin_hash) = 32),
  -- Consecutive wrong tries since the last right one, the last lock or the last change.
  failures     integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  -- The end of the newest lock; kept after it has passed, because the lockout history is
  -- forgotten only a day after it.
  locked_until timestamptz,
  -- Locks in the current streak: each one lasts twice as long as the one before.
  lockouts     integer NOT NULL DEFAULT 0 CHECK (lockouts >= 0),
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  CHECK (lockouts = 0 OR locked_until IS NOT NULL)
);

-- A step-up confirmation: proof that the user confirmed one payment (amount, currency, payee)
-- with the PIN or a passkey a moment ago. The token is a random secret handed to the client and
-- stored as its SHA-256; the payment consumes it, once, in the payment's own transaction.
CREATE TABLE step_up_confirmations (
  token_hash   bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
  user_id      text NOT NULL REFERENCES users (id),
  method       text NOT NULL CHECK (method IN ('pin', 'passkey')),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  payee        text NOT NULL CHECK (char_length(payee) BETWEEN 1 AND 64),
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  consumed_at  timestamptz,
  CHECK (expires_at > created_at),
  CHECK (consumed_at IS NULL OR consumed_at < expires_at)
);
-- For a clean-up job that deletes confirmations long expired.
CREATE INDEX step_up_confirmations_expiry ON step_up_confirmations (expires_at);

-- Low-value payments that skipped step-up: one row per user, counting the uses of the calendar
-- day `day` (in the configured time zone). The count is raised by a single upsert that refuses
-- to pass the daily number, so concurrent payments cannot exceed it.
CREATE TABLE step_up_exemptions (
  user_id text PRIMARY KEY REFERENCES users (id),
  day     date NOT NULL,
  used    integer NOT NULL CHECK (used >= 1)
);
