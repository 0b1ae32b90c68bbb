-- Idempotency-Key records of the HTTP API (API.md, "Idempotency"): the first response to a key,
-- replayed for the same key and the same request for at least 24 hours. A claim in progress
-- holds the key until its lock expires, so a crashed request does not hold it for ever.
CREATE TABLE idempotency_keys (
  scope           text NOT NULL CHECK (char_length(scope) BETWEEN 1 AND 100),
  key             text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
  fingerprint     bytea NOT NULL CHECK (octet_length(fingerprint) = 32),
  state           text NOT NULL CHECK (state IN ('in_progress', 'done')),
  response_status smallint CHECK (response_status BETWEEN 100 AND 499),
  response_type   text,
  response_body   text,
  created_at      timestamptz NOT NULL,
  locked_until    timestamptz NOT NULL,
  completed_at    timestamptz,
  PRIMARY KEY (scope, key),
  CHECK ((state = 'done') = (response_status IS NOT NULL AND completed_at IS NOT NULL))
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
