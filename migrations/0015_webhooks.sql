-- Webhooks: the endpoints owners register, the events written for them in the transaction of each
-- change, one delivery per event and subscribed endpoint, and the log of every attempt. Owners are
-- opaque text (a merchant id, an app id): the caller decides who may act for an owner. The bounds
-- repeat those in src/limits.ts, where the service checks them first; these are the backstop.

-- An event type, as the API names them: `payment_intent.succeeded`. A function, because a check
-- constraint cannot hold the subquery that looks at every element of an array.
CREATE FUNCTION webhook_event_types_valid(types text[]) RETURNS boolean
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT NOT EXISTS (
      SELECT FROM unnest(types) AS t(type)
       WHERE t.type IS NULL OR char_length(t.type) > 64
          OR t.type !~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'
    )
  $$;

-- status: enabled receives deliveries; disabled was switched off by its owner; failing was
-- switched off by Hebao after every attempt failed for the whole retry window (see webhooks.ts),
-- until its owner enables it again. The secret is sealed with the keyring (encryptField) and bound
-- to '<id>/secret'; after a rotation the previous one ('<id>/previous_secret') keeps signing
-- beside it until it expires.
CREATE TABLE webhook_endpoints (
  id                         hebao_ulid_id PRIMARY KEY CHECK (id LIKE 'whe\_%'),
  owner                      text NOT NULL CHECK (char_length(owner) BETWEEN 1 AND 64),
  url                        text NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2048),
  description                text NOT NULL CHECK (char_length(description) <= 256),
  event_types                text[] NOT NULL CHECK (
                               cardinality(event_types) BETWEEN 1 AND 32
                               AND array_ndims(event_types) = 1
                               AND webhook_event_types_valid(event_types)),
  secret_sealed              text NOT NULL,
  previous_secret_sealed     text,
  previous_secret_expires_at timestamptz,
  status                     text NOT NULL CHECK (status IN ('enabled', 'disabled', 'failing')),
  disabled_reason            text CHECK (char_length(disabled_reason) <= 200),
  -- The last attempt to this endpoint that got a 2xx: the failing rule reads it.
  last_success_at            timestamptz,
  created_at                 timestamptz NOT NULL,
  updated_at                 timestamptz NOT NULL,
  UNIQUE (owner, id),
  CHECK ((previous_secret_sealed IS NULL) = (previous_secret_expires_at IS NULL)),
  CHECK ((status = 'enabled') = (disabled_reason IS NULL))
);

CREATE TABLE webhook_events (
  id         hebao_ulid_id PRIMARY KEY CHECK (id LIKE 'evt\_%'),
  owner      text NOT NULL CHECK (char_length(owner) BETWEEN 1 AND 64),
  type       text NOT NULL CHECK (webhook_event_types_valid(ARRAY[type])),
  data       jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
  created_at timestamptz NOT NULL,
  UNIQUE (owner, id)
);

-- One event to one endpoint. next_attempt_at is set exactly while pending (the worker moves it a
-- lease ahead when it claims the delivery); the owner is the event's and the endpoint's, which
-- the two foreign keys hold to, and is here so that an owner's deliveries list by one index.
-- Deleting an endpoint deletes its deliveries and their attempts; the events stay.
CREATE TABLE webhook_deliveries (
  id              hebao_ulid_id PRIMARY KEY CHECK (id LIKE 'whd\_%'),
  owner           text NOT NULL,
  event_id        text NOT NULL,
  endpoint_id     text NOT NULL,
  state           text NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),
  attempts        integer NOT NULL CHECK (attempts BETWEEN 0 AND 1000),
  next_attempt_at timestamptz,
  last_attempt_at timestamptz,
  last_status     integer CHECK (last_status BETWEEN 100 AND 599),
  last_error      text CHECK (char_length(last_error) <= 500),
  created_at      timestamptz NOT NULL,
  succeeded_at    timestamptz,
  UNIQUE (event_id, endpoint_id),
  FOREIGN KEY (owner, event_id) REFERENCES webhook_events (owner, id),
  FOREIGN KEY (owner, endpoint_id) REFERENCES webhook_endpoints (owner, id) ON DELETE CASCADE,
  CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL)),
  CHECK ((state = 'succeeded') = (succeeded_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
  WHERE state = 'pending';
CREATE INDEX webhook_deliveries_owner ON webhook_deliveries (owner, id);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- The delivery log: every attempt, by the worker (scheduled) or asked for by the owner (resend),
-- with what came back: a status, or an error when none came; the start of the response body.
CREATE TABLE webhook_attempts (
  delivery_id      text NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  number           integer NOT NULL CHECK (number >= 1),
  kind             text NOT NULL CHECK (kind IN ('scheduled', 'resend')),
  attempted_at     timestamptz NOT NULL,
  status           integer CHECK (status BETWEEN 100 AND 599),
  error            text CHECK (char_length(error) <= 500),
  duration_ms      integer NOT NULL CHECK (duration_ms >= 0),
  response_excerpt text CHECK (octet_length(response_excerpt) <= 1024),
  PRIMARY KEY (delivery_id, number),
  CHECK (status IS NOT NULL OR error IS NOT NULL)
);
