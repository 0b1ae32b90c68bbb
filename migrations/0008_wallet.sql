-- Wallet: which ledger account is whose, and the P2P transfers users make. Balances are never
-- stored here: they are the ledger's accounts.

-- One ledger account per user per currency, created on demand. The ledger account id is derived
-- from (user, currency), so two requests creating it at once create one account.
CREATE TABLE wallet_accounts (
  user_id    text NOT NULL REFERENCES users (id),
  currency   text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  account_id text NOT NULL UNIQUE CHECK (account_id ~ '^acc_[0-9A-HJKMNP-TV-Z]{26}$'),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, currency)
);

-- A P2P transfer. Its id is the ledger transfer that moves the money (`trf_…`): instant
-- transfers post straight to the payee; delayed and held ones are a pending transfer into the
-- payee's wallet, posted when released or voided when cancelled.
CREATE TABLE wallet_transfers (
  id               text PRIMARY KEY CHECK (id ~ '^trf_[0-9A-HJKMNP-TV-Z]{26}$'),
  payer_id         text NOT NULL REFERENCES users (id),
  payee_id         text NOT NULL REFERENCES users (id),
  amount_minor     bigint NOT NULL CHECK (amount_minor > 0),
  currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  note             text CHECK (char_length(note) <= 140),
  arrival          text NOT NULL CHECK (arrival IN ('instant', 'delay_2h', 'delay_24h')),
  -- processing: prepared, its ledger transfer not yet committed; held: waiting in the hold
  -- account until release_at; releasing / cancelling: claimed by the release job or the payer,
  -- the settling ledger transfer on its way; then completed, cancelled, or failed (never moved).
  status           text NOT NULL CHECK (status IN ('processing', 'held', 'releasing', 'cancelling', 'completed', 'cancelled', 'failed')),
  failure_code     text,
  hold_reason      text CHECK (hold_reason IN ('delay_2h', 'delay_24h', 'risk')),
  release_at       timestamptz,
  confirmation     text NOT NULL CHECK (confirmation IN ('pin', 'passkey', 'exempt')),
  idempotency_key  text NOT NULL CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
  limit_reserved_at timestamptz NOT NULL,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  completed_at     timestamptz,
  UNIQUE (payer_id, idempotency_key),
  CHECK (payer_id <> payee_id),
  CHECK (status <> 'held' OR (release_at IS NOT NULL AND hold_reason IS NOT NULL)),
  CHECK ((status = 'failed') = (failure_code IS NOT NULL))
);
-- History is listed by id (time-sortable), newest first, from either side.
CREATE INDEX wallet_transfers_payer ON wallet_transfers (payer_id, id);
CREATE INDEX wallet_transfers_payee ON wallet_transfers (payee_id, id);
CREATE INDEX wallet_transfers_due ON wallet_transfers (release_at) WHERE status = 'held';
CREATE INDEX wallet_transfers_unsettled ON wallet_transfers (updated_at)
  WHERE status IN ('processing', 'releasing', 'cancelling');
