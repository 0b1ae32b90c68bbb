-- Second factors: authenticator apps (TOTP) with their recovery codes, and passkeys (WebAuthn)
-- with the challenges of their ceremonies. Timestamps come from the application's clock, as in
-- 0002.

-- One authenticator app per user. The secret is encrypted (AES-256-GCM, bound to
-- '<user id>/totp_secret'); it is pending until the user proves the app works with a first code.
-- last_used_step is the 30-second step of the newest code accepted: a code is accepted once, so
-- steps at or before it are refused.
CREATE TABLE user_totp (
  user_id          text PRIMARY KEY REFERENCES users (id),
  secret_encrypted text NOT NULL CHECK (secret_encrypted LIKE 'v1.%'),
  created_at       timestamptz NOT NULL,
  confirmed_at     timestamptz,
  last_used_step   bigint CHECK (last_used_step >= 0),
  CHECK (confirmed_at IS NULL OR confirmed_at >= created_at),
  -- Confirming uses the first code, so a confirmed app always has a used step, and only then.
  CHECK ((confirmed_at IS NULL) = (last_used_step IS NULL))
);

-- Single-use codes that stand in for the authenticator app when it is lost. Stored as
-- HMAC-SHA256 keyed with the server secret over ('recovery-code', user id, code): the codes are
-- short enough to type, so the secret outside the database is what protects them.
CREATE TABLE recovery_codes (
  user_id    text NOT NULL REFERENCES users (id),
  code_hash  bytea NOT NULL CHECK (octet_length(code_hash) = 32),
  created_at timestamptz NOT NULL,
  used_at    timestamptz,
  PRIMARY KEY (user_id, code_hash),
  CHECK (used_at IS NULL OR used_at >= created_at)
);

-- Passkeys (WebAuthn credentials). credential_id is the authenticator's id of the key, base64url
-- (at most 1023 bytes); public_key is the COSE key; counter is the authenticator's signature
-- counter, which must grow with every use unless the authenticator keeps none (always 0).
-- user_handle is the opaque user id given to the authenticator, returned with discoverable
-- sign-ins.
CREATE TABLE passkeys (
  id            hebao_ulid_id PRIMARY KEY CHECK (id LIKE 'pky\_%'),
  user_id       text NOT NULL REFERENCES users (id),
  credential_id text NOT NULL UNIQUE
                CHECK (credential_id ~ '^[A-Za-z0-9_-]+$' AND char_length(credential_id) <= 1364),
  public_key    bytea NOT NULL CHECK (octet_length(public_key) BETWEEN 1 AND 2048),
  counter       bigint NOT NULL CHECK (counter BETWEEN 0 AND 4294967295),
  transports    text[] NOT NULL
                CHECK (transports <@ ARRAY['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']),
  user_handle   text NOT NULL CHECK (user_handle ~ '^[A-Za-z0-9_-]{1,86}$'),
  name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
  created_at    timestamptz NOT NULL,
  last_used_at  timestamptz,
  CHECK (last_used_at IS NULL OR last_used_at >= created_at)
);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at);

-- Challenges of WebAuthn ceremonies other than the second factor of a password sign-in (that
-- one lives with its login challenge below). Each is single use and short-lived. A registration
-- is found by its challenge, which comes back signed inside the response; the others by the
-- SHA-256 of a random id handed to the client. A passwordless sign-in does not know its user
-- yet; a step-up confirmation carries what it confirms (the payment binding, as JSON).
CREATE TABLE webauthn_challenges (
  id_hash     bytea PRIMARY KEY CHECK (octet_length(id_hash) = 32),
  purpose     text NOT NULL CHECK (purpose IN ('registration', 'sign_in', 'step_up')),
  user_id     text REFERENCES users (id),
  challenge   text NOT NULL UNIQUE CHECK (challenge ~ '^[A-Za-z0-9_-]{16,128}$'),
  binding     text CHECK (char_length(binding) BETWEEN 2 AND 1024),
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  consumed_at timestamptz,
  CHECK (expires_at > created_at),
  CHECK (consumed_at IS NULL OR consumed_at >= created_at),
  CHECK ((purpose = 'sign_in') = (user_id IS NULL)),
  CHECK ((purpose = 'step_up') = (binding IS NOT NULL))
);
-- For a clean-up job that deletes challenges long expired.
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);

-- The second-factor step of a sign-in: the challenge a passkey must sign, when the user has
-- passkeys, and the invariants 0002 left unstated.
ALTER TABLE login_challenges
  ADD COLUMN webauthn_challenge text CHECK (webauthn_challenge ~ '^[A-Za-z0-9_-]{16,128}$'),
  ADD CHECK (octet_length(id_hash) = 32),
  ADD CHECK (device_name IS NULL OR char_length(device_name) BETWEEN 1 AND 64),
  ADD CHECK (device_token_hash IS NULL OR octet_length(device_token_hash) = 32),
  ADD CHECK (expires_at > created_at),
  ADD CHECK (consumed_at IS NULL OR consumed_at >= created_at);
CREATE INDEX login_challenges_user ON login_challenges (user_id, created_at DESC);
