-- Identity: users, devices, sessions, one-time codes, sign-in throttles, the message outbox and
-- the hash-chained audit log. Timestamps come from the application's clock (passed as
-- parameters), so that tests can move time; the database never calls now() for them.

CREATE DOMAIN hebao_ulid_id AS text CHECK (VALUE ~ '^[a-z]{2,4}_[0-9A-HJKMNP-TV-Z]{26}$');

CREATE TABLE users (
  id                          hebao_ulid_id PRIMARY KEY CHECK (id LIKE 'usr\_%'),
  -- E.164 (+8613812345678) and lower-case email; one of them is the contact.
  phone                       text UNIQUE CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
  email                       text UNIQUE CHECK (char_length(email) <= 254 AND email = lower(email)),
  contact_verified_at         timestamptz,
  password_hash               text NOT NULL,
  password_changed_at         timestamptz NOT NULL,
  display_name                text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 64),
  locale                      text NOT NULL CHECK (locale IN ('zh-CN', 'en')),
  avatar_url                  text CHECK (char_length(avatar_url) <= 2048),
  consent_marketing           boolean NOT NULL DEFAULT false,
  consent_personalised_offers boolean NOT NULL DEFAULT false,
  kyc_tier                    smallint NOT NULL DEFAULT 1 CHECK (kyc_tier BETWEEN 1 AND 3),
  created_at                  timestamptz NOT NULL,
  updated_at                  timestamptz NOT NULL,
  CHECK (phone IS NOT NULL OR email IS NOT NULL)
);

-- A device is a browser or phone that has signed in; it keeps a long-lived random token (a
-- cookie or an app-stored value) so that the next sign-in from it is recognised.
CREATE TABLE devices (
  id           hebao_ulid_id PRIMARY KEY CHECK (id LIKE 'dev\_%'),
  user_id      text NOT NULL REFERENCES users (id),
  token_hash   bytea NOT NULL UNIQUE,
  name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
  user_agent   text NOT NULL CHECK (char_length(user_agent) <= 512),
  last_ip      text NOT NULL,
  created_at   timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL
);
CREATE INDEX devices_user ON devices (user_id, created_at DESC);

CREATE TABLE sessions (
  id             hebao_ulid_id PRIMARY KEY CHECK (id LIKE 'ses\_%'),
  user_id        text NOT NULL REFERENCES users (id),
  device_id      text NOT NULL REFERENCES devices (id),
  -- SHA-256 of the bearer token; the token itself is never stored.
  token_hash     bytea NOT NULL UNIQUE,
  csrf_token     text NOT NULL,
  method         text NOT NULL CHECK (method IN ('password', 'password+totp', 'password+recovery_code', 'password+passkey', 'passkey')),
  ip             text NOT NULL,
  user_agent     text NOT NULL CHECK (char_length(user_agent) <= 512),
  created_at     timestamptz NOT NULL,
  last_seen_at   timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  revoked_at     timestamptz,
  revoked_reason text CHECK (revoked_reason IN ('logout', 'revoked', 'signed_out_elsewhere', 'password_changed', 'password_reset')),
  CHECK (expires_at > created_at),
  CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
CREATE INDEX sessions_user ON sessions (user_id, created_at DESC);

-- One-time codes sent to a contact (verification, password reset). Only the newest code of a
-- purpose is live; it is stored as a keyed hash and dies after a few wrong tries.
CREATE TABLE one_time_codes (
  id          hebao_ulid_id PRIMARY KEY CHECK (id LIKE 'otc\_%'),
  user_id     text NOT NULL REFERENCES users (id),
  purpose     text NOT NULL CHECK (purpose IN ('verify_contact', 'reset_password')),
  code_hash   bytea NOT NULL,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  failures    integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  consumed_at timestamptz,
  CHECK (expires_at > created_at)
);
CREATE INDEX one_time_codes_user ON one_time_codes (user_id, purpose, created_at DESC);

-- Sign-in half done: the password was right and a second factor is due. The id is a random
-- secret handed to the client, stored hashed like a session token.
CREATE TABLE login_challenges (
  id_hash     bytea PRIMARY KEY,
  user_id     text NOT NULL REFERENCES users (id),
  device_name text,
  device_token_hash bytea,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  failures    integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  consumed_at timestamptz
);

-- Failed-attempt counters with growing delays, keyed by what is being guessed at
-- ('login:<normalized login>', 'ip:<address>').
CREATE TABLE auth_throttles (
  key          text PRIMARY KEY CHECK (char_length(key) <= 300),
  failures     integer NOT NULL CHECK (failures >= 0),
  locked_until timestamptz,
  updated_at   timestamptz NOT NULL
);

-- SMS and email leave through this outbox, written in the transaction of the change that
-- causes them; a worker hands them to the configured sender.
CREATE TABLE outbox_messages (
  id              hebao_ulid_id PRIMARY KEY CHECK (id LIKE 'msg\_%'),
  channel         text NOT NULL CHECK (channel IN ('sms', 'email')),
  recipient       text NOT NULL CHECK (char_length(recipient) <= 254),
  user_id         text REFERENCES users (id),
  template        text NOT NULL,
  locale          text NOT NULL CHECK (locale IN ('zh-CN', 'en')),
  subject         text NOT NULL,
  body            text NOT NULL,
  created_at      timestamptz NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL,
  sent_at         timestamptz,
  last_error      text
);
CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at) WHERE status = 'pending';

-- What the development sender "delivered": read by GET /v1/dev/inbox and by tests.
CREATE TABLE dev_inbox (
  message_id   text PRIMARY KEY REFERENCES outbox_messages (id),
  channel      text NOT NULL,
  recipient    text NOT NULL,
  subject      text NOT NULL,
  body         text NOT NULL,
  delivered_at timestamptz NOT NULL
);
CREATE INDEX dev_inbox_recipient ON dev_inbox (recipient, delivered_at DESC);

-- The audit log: append-only and hash-chained. seq has no gaps: entries are appended under one
-- advisory lock, each hashing the one before it.
CREATE TABLE audit_log (
  seq             bigint PRIMARY KEY CHECK (seq >= 1),
  id              hebao_ulid_id NOT NULL UNIQUE CHECK (id LIKE 'aud\_%'),
  occurred_at     timestamptz NOT NULL,
  actor_type      text NOT NULL CHECK (actor_type IN ('user', 'operator', 'system', 'anonymous')),
  actor_id        text,
  subject_user_id text,
  action          text NOT NULL CHECK (char_length(action) <= 64),
  ip              text,
  detail          jsonb NOT NULL,
  prev_hash       bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
  hash            bytea NOT NULL UNIQUE CHECK (octet_length(hash) = 32)
);
CREATE INDEX audit_log_subject ON audit_log (subject_user_id, seq DESC) WHERE subject_user_id IS NOT NULL;

CREATE TRIGGER audit_log_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
