-- Money requests: a user asks one or several others for money (request money, split a bill).
-- Nothing is held while a request is open: each payer's share is a claim until the payer pays it
-- with an ordinary P2P transfer to the requester (wallet_transfers) or declines it. The request
-- completes when no share is pending any more; the requester may cancel it while it is open.

-- `id`, `requester_id` is unique as well, so that a share can name both and check that its payer
-- is not the requester.
CREATE TABLE money_requests (
  id           text PRIMARY KEY CHECK (id ~ '^mrq_[0-9A-HJKMNP-TV-Z]{26}$'),
  requester_id text NOT NULL REFERENCES users (id),
  currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- The sum of the shares' amounts, written with them in one transaction.
  total_minor  bigint NOT NULL CHECK (total_minor > 0),
  note         text CHECK (char_length(note) <= 140),
  status       text NOT NULL CHECK (status IN ('open', 'completed', 'cancelled')),
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  closed_at    timestamptz,
  UNIQUE (id, requester_id),
  CHECK ((status = 'open') = (closed_at IS NULL))
);
-- Requests a user sent, newest first (ids are time-sortable).
CREATE INDEX money_requests_requester ON money_requests (requester_id, id);

-- One payer's part of a request.
--   pending: asked, not answered; paid: `transfer_id` moved the amount to the requester;
--   declined: the payer said no.
-- A share's payment uses a P2P transfer whose idempotency key is derived from the request and
-- `payment_attempt`, so that concurrent payments of one share make one transfer. The attempt
-- goes up only when the transfer of the current attempt failed (it moved nothing), so a new
-- try can pay. `paid_idempotency_key` is the caller's key of the payment that recorded it: the
-- same call again is answered with the same result.
CREATE TABLE money_request_shares (
  request_id           text NOT NULL,
  requester_id         text NOT NULL,
  payer_id             text NOT NULL REFERENCES users (id),
  -- Where the payer was in the request as it was made (0 first), for showing it in that order.
  position             integer NOT NULL CHECK (position BETWEEN 0 AND 99),
  amount_minor         bigint NOT NULL CHECK (amount_minor > 0),
  status               text NOT NULL CHECK (status IN ('pending', 'paid', 'declined')),
  payment_attempt      integer NOT NULL DEFAULT 0 CHECK (payment_attempt >= 0),
  transfer_id          text UNIQUE REFERENCES wallet_transfers (id),
  paid_idempotency_key text CHECK (char_length(paid_idempotency_key) BETWEEN 1 AND 255),
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  paid_at              timestamptz,
  declined_at          timestamptz,
  PRIMARY KEY (request_id, payer_id),
  UNIQUE (request_id, position),
  FOREIGN KEY (request_id, requester_id) REFERENCES money_requests (id, requester_id),
  CHECK (payer_id <> requester_id),
  CHECK ((status = 'paid') = (transfer_id IS NOT NULL)),
  CHECK ((status = 'paid') = (paid_at IS NOT NULL)),
  CHECK ((status = 'paid') = (paid_idempotency_key IS NOT NULL)),
  CHECK ((status = 'declined') = (declined_at IS NOT NULL))
);
-- Requests a user was asked to pay, newest first.
CREATE INDEX money_request_shares_payer ON money_request_shares (payer_id, request_id);
