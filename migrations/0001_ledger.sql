-- The double-entry ledger (see docs/adr/0002-locking-and-batching.md and LEDGER.md).
-- Balances are changed only by the ledger's batch transaction; transfers and journal rows are
-- append-only. Every invariant that can be a constraint is one, with one deliberate exception:
-- the references from transfers and journal rows to accounts and transfers are not foreign keys.
-- A foreign key costs one query per row (most of a batch's write time, measured), the ledger
-- itself only writes rows for accounts it has locked, and `hebao verify` checks every reference
-- (docs/adr/0002-locking-and-batching.md).

-- Formats as domains: a domain's check runs when a value is assigned to the column, whereas a
-- table CHECK runs on every UPDATE of the row, and balances are updated all the time.
CREATE DOMAIN ledger_account_id AS text CHECK (VALUE ~ '^acc_[0-9A-HJKMNP-TV-Z]{26}$');
CREATE DOMAIN ledger_transfer_id AS text CHECK (VALUE ~ '^trf_[0-9A-HJKMNP-TV-Z]{26}$');
CREATE DOMAIN ledger_currency AS text CHECK (VALUE ~ '^[A-Z]{3}$');
CREATE DOMAIN ledger_code AS text CHECK (VALUE ~ '^[a-z][a-z0-9_]{0,31}$');

CREATE TABLE ledger_accounts (
  id ledger_account_id PRIMARY KEY,
  currency ledger_currency NOT NULL,
  code ledger_code NOT NULL,
  owner text NOT NULL CHECK (length(owner) BETWEEN 1 AND 64),
  debits_must_not_exceed_credits boolean NOT NULL,
  credits_must_not_exceed_debits boolean NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'closed')),
  freeze_credits boolean NOT NULL DEFAULT false,
  debits_posted int8 NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
  credits_posted int8 NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
  debits_pending int8 NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
  credits_pending int8 NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
  -- The per-account journal sequence of the latest entry (0: no entry yet).
  journal_seq int8 NOT NULL DEFAULT 0 CHECK (journal_seq >= 0),
  created_at timestamptz NOT NULL,
  CHECK (NOT (debits_must_not_exceed_credits AND credits_must_not_exceed_debits)),
  CHECK (status = 'frozen' OR NOT freeze_credits),
  CHECK (NOT debits_must_not_exceed_credits OR debits_posted + debits_pending <= credits_posted),
  CHECK (NOT credits_must_not_exceed_debits OR credits_posted + credits_pending <= debits_posted)
) WITH (fillfactor = 50); -- room on each page, so that balance updates are HOT (no index writes)

CREATE INDEX ledger_accounts_owner ON ledger_accounts (owner);

CREATE TABLE ledger_transfers (
  -- Assigned at insert, unique and increasing; the seal orders transfers by it.
  seq int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id ledger_transfer_id NOT NULL UNIQUE,
  debit_account_id text NOT NULL,
  credit_account_id text NOT NULL,
  -- single/pending: the amount moved or held; post_pending: the amount posted;
  -- void_pending/expire_pending: the amount released (the whole pending amount).
  amount int8 NOT NULL CHECK (amount > 0),
  currency ledger_currency NOT NULL,
  code ledger_code NOT NULL,
  kind text NOT NULL CHECK (kind IN ('single', 'pending', 'post_pending', 'void_pending', 'expire_pending')),
  linked boolean NOT NULL,
  pending_id text,
  timeout_s int4 CHECK (timeout_s > 0),
  metadata jsonb,
  created_at timestamptz NOT NULL,
  CHECK (debit_account_id <> credit_account_id),
  CHECK ((kind IN ('post_pending', 'void_pending', 'expire_pending')) = (pending_id IS NOT NULL)),
  CHECK (timeout_s IS NULL OR kind = 'pending')
);

-- A pending transfer resolves exactly once: posted, voided, or expired.
CREATE UNIQUE INDEX ledger_transfers_pending_id ON ledger_transfers (pending_id) WHERE pending_id IS NOT NULL;

-- Pending transfers that are not resolved yet: the work list of the expiry worker and the row
-- a batch locks to resolve a hold exactly once. A row is deleted when its hold resolves.
CREATE TABLE ledger_open_holds (
  transfer_id text PRIMARY KEY REFERENCES ledger_transfers (id),
  expires_at timestamptz
);

CREATE INDEX ledger_open_holds_expires_at ON ledger_open_holds (expires_at) WHERE expires_at IS NOT NULL;

-- The per-account journal: one row per balance change, with all four balances after it, so a
-- statement page is an index range scan on (account_id, account_seq).
CREATE TABLE ledger_entries (
  account_id text NOT NULL,
  account_seq int8 NOT NULL CHECK (account_seq > 0),
  transfer_id text NOT NULL,
  debits_posted int8 NOT NULL CHECK (debits_posted >= 0),
  credits_posted int8 NOT NULL CHECK (credits_posted >= 0),
  debits_pending int8 NOT NULL CHECK (debits_pending >= 0),
  credits_pending int8 NOT NULL CHECK (credits_pending >= 0),
  PRIMARY KEY (account_id, account_seq)
);

-- The seal: every committed transfer in exactly one block, blocks hash-chained.
CREATE TABLE ledger_seal_blocks (
  height int8 PRIMARY KEY CHECK (height >= 0),
  first_seq int8 NOT NULL,
  last_seq int8 NOT NULL,
  transfer_count int4 NOT NULL CHECK (transfer_count > 0),
  merkle_root bytea NOT NULL CHECK (length(merkle_root) = 32),
  prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
  hash bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
  signature bytea,
  created_at timestamptz NOT NULL,
  CHECK (first_seq <= last_seq)
);

CREATE UNIQUE INDEX ledger_seal_blocks_last_seq ON ledger_seal_blocks (last_seq);

-- Transfers, journal rows and blocks are append-only. Statement-level triggers cost nothing on
-- insert and turn an accidental UPDATE or DELETE into an error (deliberate tampering by someone
-- who can drop triggers is caught by `hebao verify` instead).
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER ledger_transfers_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_transfers
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_seal_blocks_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_seal_blocks
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
