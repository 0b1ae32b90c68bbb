-- Currency conversion (FX): the rates operators set, the quotes users get, and the conversions
-- made with them. The money itself moves in the ledger, through the FX position accounts.

-- Every rate ever set, never updated: the newest row of a pair (in either direction) is the
-- current one, the older rows are its history. `mid` says how many units of the quote currency
-- one unit of the base currency is worth, as an exact decimal (never a float); the spread, in
-- basis points, is what the house keeps of each conversion. `set_by` is the operator, or NULL
-- when the rate was set from the command line (a system action).
CREATE TABLE fx_rates (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  base_currency  text NOT NULL CHECK (base_currency ~ '^[A-Z]{3}$'),
  quote_currency text NOT NULL CHECK (quote_currency ~ '^[A-Z]{3}$'),
  mid            numeric NOT NULL CHECK (mid > 0 AND mid < 1000000000 AND scale(mid) <= 12),
  spread_bps     integer NOT NULL CHECK (spread_bps BETWEEN 0 AND 1000),
  set_by         text REFERENCES users (id),
  set_at         timestamptz NOT NULL,
  CHECK (base_currency <> quote_currency)
);
-- The current rate of a pair regardless of its direction: the newest row by id.
CREATE INDEX fx_rates_pair ON fx_rates (
  LEAST(base_currency, quote_currency), GREATEST(base_currency, quote_currency), id DESC
);

-- A price offered to one user, locked for a short time. The applied rate (spread included, in
-- major units: one unit of the sell currency buys numerator/denominator units of the buy
-- currency) is an exact fraction of integers, because the inverse of a decimal mid rate may have
-- no finite decimal form. A quote is used at most once: `conversion_id` is set together with
-- `used_at`, in the transaction that moves the money.
CREATE TABLE fx_quotes (
  id                text PRIMARY KEY CHECK (id ~ '^fxq_[0-9A-HJKMNP-TV-Z]{26}$'),
  user_id           text NOT NULL REFERENCES users (id),
  rate_id           bigint NOT NULL REFERENCES fx_rates (id),
  sell_currency     text NOT NULL CHECK (sell_currency ~ '^[A-Z]{3}$'),
  sell_amount_minor bigint NOT NULL CHECK (sell_amount_minor > 0),
  buy_currency      text NOT NULL CHECK (buy_currency ~ '^[A-Z]{3}$'),
  buy_amount_minor  bigint NOT NULL CHECK (buy_amount_minor > 0),
  fixed_side        text NOT NULL CHECK (fixed_side IN ('sell', 'buy')),
  rate_numerator    numeric NOT NULL CHECK (rate_numerator > 0 AND scale(rate_numerator) = 0),
  rate_denominator  numeric NOT NULL CHECK (rate_denominator > 0 AND scale(rate_denominator) = 0),
  created_at        timestamptz NOT NULL,
  expires_at        timestamptz NOT NULL,
  used_at           timestamptz,
  conversion_id     text UNIQUE CHECK (conversion_id ~ '^trf_[0-9A-HJKMNP-TV-Z]{26}$'),
  CHECK (sell_currency <> buy_currency),
  CHECK (expires_at > created_at),
  CHECK ((used_at IS NULL) = (conversion_id IS NULL))
);
-- Expired quotes that were never used are deleted by a job after a while.
CREATE INDEX fx_quotes_unused ON fx_quotes (expires_at) WHERE used_at IS NULL;

-- A conversion: two ledger transfers in one linked chain, the user's wallet in the sell currency
-- to the FX position of that currency, and the FX position of the buy currency to the user's
-- wallet in that one. Its id is the first transfer's. One per quote. Written in the transaction
-- that commits the transfers, so a row here means the money moved.
CREATE TABLE fx_conversions (
  id                text PRIMARY KEY CHECK (id ~ '^trf_[0-9A-HJKMNP-TV-Z]{26}$'),
  buy_transfer_id   text NOT NULL UNIQUE CHECK (buy_transfer_id ~ '^trf_[0-9A-HJKMNP-TV-Z]{26}$'),
  user_id           text NOT NULL REFERENCES users (id),
  quote_id          text NOT NULL UNIQUE REFERENCES fx_quotes (id),
  sell_currency     text NOT NULL CHECK (sell_currency ~ '^[A-Z]{3}$'),
  sell_amount_minor bigint NOT NULL CHECK (sell_amount_minor > 0),
  buy_currency      text NOT NULL CHECK (buy_currency ~ '^[A-Z]{3}$'),
  buy_amount_minor  bigint NOT NULL CHECK (buy_amount_minor > 0),
  status            text NOT NULL CHECK (status IN ('completed')),
  idempotency_key   text NOT NULL CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
  created_at        timestamptz NOT NULL,
  CHECK (sell_currency <> buy_currency),
  CHECK (id <> buy_transfer_id)
);
CREATE INDEX fx_conversions_user ON fx_conversions (user_id, id);
