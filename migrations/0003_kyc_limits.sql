-- Real-name verification (KYC tiers), operator roles, and the payment limits of each tier with
-- the usage counted against them. Timestamps come from the application's clock, as in 0002.

-- Operators review tier-3 requests in the back office. Most users have no role.
ALTER TABLE users
  ADD COLUMN operator_role text CHECK (operator_role IN ('compliance', 'admin'));

-- A user's verified identity document. The name and number are encrypted (AES-256-GCM, the key
-- id inside each envelope, the row and field bound as additional data); the blind index is an
-- HMAC of the normalized number, so that one document can verify only one user without the number
-- being stored in a form anyone can search.
CREATE TABLE kyc_verifications (
  user_id                   text PRIMARY KEY REFERENCES users (id),
  document_type             text NOT NULL
                            CHECK (document_type IN ('prc_id', 'hk_macao_permit', 'taiwan_permit', 'passport')),
  real_name_encrypted       text NOT NULL CHECK (real_name_encrypted LIKE 'v1.%'),
  document_number_encrypted text NOT NULL CHECK (document_number_encrypted LIKE 'v1.%'),
  document_blind_index      bytea NOT NULL CHECK (octet_length(document_blind_index) = 32),
  verified_at               timestamptz NOT NULL,
  CONSTRAINT kyc_verifications_document_unique UNIQUE (document_blind_index)
);

-- Requests for tier 3, decided by an operator. A user has at most one open request.
CREATE TABLE kyc_reviews (
  id           hebao_ulid_id PRIMARY KEY CHECK (id LIKE 'kyr\_%'),
  user_id      text NOT NULL REFERENCES users (id),
  status       text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  requested_at timestamptz NOT NULL,
  reviewed_at  timestamptz,
  reviewer_id  text REFERENCES users (id),
  reason       text CHECK (char_length(reason) BETWEEN 1 AND 500),
  CHECK ((status = 'pending') = (reviewed_at IS NULL)),
  CHECK ((status = 'pending') = (reviewer_id IS NULL)),
  CHECK (reviewer_id IS DISTINCT FROM user_id),
  CHECK (status <> 'rejected' OR reason IS NOT NULL)
);
CREATE UNIQUE INDEX kyc_reviews_one_open ON kyc_reviews (user_id) WHERE status = 'pending';
CREATE INDEX kyc_reviews_pending ON kyc_reviews (requested_at, id) WHERE status = 'pending';
CREATE INDEX kyc_reviews_user ON kyc_reviews (user_id, requested_at DESC);

-- The caps of each tier in minor units of CNY, kept in a table so that operators can change them
-- without a deploy. Tier 1 counts its period cap over the account's lifetime, tiers 2 and 3 per
-- calendar year.
CREATE TABLE payment_limits (
  tier                  smallint PRIMARY KEY CHECK (tier BETWEEN 1 AND 3),
  per_transaction_minor bigint NOT NULL CHECK (per_transaction_minor > 0),
  daily_minor           bigint NOT NULL CHECK (daily_minor > 0),
  period_minor          bigint NOT NULL CHECK (period_minor > 0),
  period                text NOT NULL CHECK (period IN ('lifetime', 'year')),
  CHECK (per_transaction_minor <= daily_minor AND daily_minor <= period_minor)
);

INSERT INTO payment_limits (tier, per_transaction_minor, daily_minor, period_minor, period) VALUES
  (1,   100000,   100000,   100000, 'lifetime'), --   1,000 CNY each, a day, since opening
  (2,  5000000,  5000000, 10000000, 'year'),     --  50,000 CNY each and a day; 100,000 a year
  (3, 10000000, 10000000, 20000000, 'year');     -- 100,000 CNY each and a day; 200,000 a year

-- What each user has paid per calendar day, per calendar year and over the account's lifetime,
-- in the configured time zone. Every payment is counted in all three rows whatever the tier, so
-- that a change of tier finds the counts it needs. period_key is the first day of the period:
-- the day itself, the 1st of January of the year, and '-infinity' for the lifetime.
-- Reservations lock a user's rows in (period_kind, period_key) order, so they never deadlock.
CREATE TABLE payment_usage (
  user_id     text NOT NULL REFERENCES users (id),
  period_kind text NOT NULL CHECK (period_kind IN ('day', 'year', 'lifetime')),
  period_key  date NOT NULL,
  used_minor  bigint NOT NULL CHECK (used_minor >= 0),
  PRIMARY KEY (user_id, period_kind, period_key),
  CHECK (CASE period_kind
           WHEN 'day' THEN isfinite(period_key)
           WHEN 'year' THEN isfinite(period_key) AND EXTRACT(DOY FROM period_key) = 1
           ELSE period_key = '-infinity'::date
         END)
) WITH (fillfactor = 70); -- room on each page, so that usage updates are HOT
