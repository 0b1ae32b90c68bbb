-- History: every user-visible money movement in one shape, so that the list, the receipt, the CSV
-- export, the monthly statement and the spending insights read one relation.
--
-- One row per movement per user who sees it:
--   p2p         twice, once for each side (outgoing for the payer, incoming for the payee);
--   topup       incoming, the card as the counterparty;
--   withdrawal  outgoing, the card as the counterparty;
--   conversion  twice, for the same user: the sold currency leaving (id: the conversion's first
--               ledger transfer) and the bought one arriving (id: its second ledger transfer).
-- Every id is a ledger transfer id, unique across the tables, so that (user_id, id) is unique and
-- the id (time-sortable) is the keyset cursor of every list, newest first.
--
-- Statuses use one vocabulary: a top-up's or withdrawal's `succeeded` is `completed` here, as a
-- P2P transfer's is; `pending` (waiting for the bank) and `held` (waiting for release) stay
-- apart because they are different waits. Categories group outgoing money for the spending
-- insights; merchant payments will add their MCC categories.
--
-- Each branch is a plain SELECT of one table, so the planner pulls the UNION ALL apart, pushes
-- `user_id = $1 AND id < $2` into every branch and merges their (user, id) index scans in id
-- order (a Merge Append): a page costs its own rows, however long the history is.
CREATE VIEW wallet_history AS
  SELECT t.payer_id AS user_id, t.id, 'p2p'::text AS type, 'outgoing'::text AS direction,
         t.payee_id AS counterparty_id, t.amount_minor, t.currency, t.status, t.note,
         'transfers'::text AS category, t.created_at, t.completed_at
    FROM wallet_transfers t
  UNION ALL
  SELECT t.payee_id, t.id, 'p2p', 'incoming', t.payer_id, t.amount_minor, t.currency, t.status,
         t.note, 'transfers', t.created_at, t.completed_at
    FROM wallet_transfers t
  UNION ALL
  SELECT u.user_id, u.id, 'topup', 'incoming', u.card_id, u.amount_minor, u.currency,
         CASE u.status WHEN 'succeeded' THEN 'completed' ELSE u.status END, NULL::text,
         'top_ups', u.created_at, u.completed_at
    FROM topups u
  UNION ALL
  SELECT w.user_id, w.id, 'withdrawal', 'outgoing', w.card_id, w.amount_minor, w.currency,
         CASE w.status WHEN 'succeeded' THEN 'completed' ELSE w.status END, NULL::text,
         'withdrawals', w.created_at, w.completed_at
    FROM withdrawals w
  UNION ALL
  SELECT c.user_id, c.id, 'conversion', 'outgoing', NULL::text, c.sell_amount_minor,
         c.sell_currency, c.status, NULL::text, 'currency_exchange', c.created_at, c.created_at
    FROM fx_conversions c
  UNION ALL
  SELECT c.user_id, c.buy_transfer_id, 'conversion', 'incoming', NULL::text, c.buy_amount_minor,
         c.buy_currency, c.status, NULL::text, 'currency_exchange', c.created_at, c.created_at
    FROM fx_conversions c;

-- The bought leg is listed by its own id; the other branches have their (user, id) indexes
-- already (wallet_transfers_payer / _payee, topups_user, withdrawals_user, fx_conversions_user).
CREATE INDEX fx_conversions_user_buy ON fx_conversions (user_id, buy_transfer_id);
