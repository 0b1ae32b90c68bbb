-- What happened to a user, for the app: incoming money, payment results, balance changes and
-- security alerts. Written in the transaction of the change; pushed to open event streams
-- (Server-Sent Events) through LISTEN/NOTIFY and listed by GET /v1/events.
CREATE TABLE user_events (
  id         text PRIMARY KEY CHECK (id ~ '^evt_[0-9A-HJKMNP-TV-Z]{26}$'),
  user_id    text NOT NULL REFERENCES users (id),
  type       text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
  data       jsonb NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX user_events_user ON user_events (user_id, id);
