-- History, with merchants: the `wallet_history` view (0013) also lists what a user paid merchants
-- and what merchants refunded them.
--
--   merchant_payment  outgoing, one row per payment intent the user paid (payer_id and
--                     transfer_id set: a dynamic QR code, a static-code payment, a charge by
--                     payment code are all intents). id: the payment's ledger transfer (the hold,
--                     for a manual capture); the merchant is the counterparty. The amount is what
--                     was paid: the amount received once succeeded (a capture may take less than
--                     the hold), the held amount before. processing → processing,
--                     requires_capture → held, succeeded → completed, canceled (a hold voided by
--                     the merchant or run out) → cancelled. The note is the intent's description;
--                     the category comes from the merchant's MCC (hebao_mcc_category).
--   refund            incoming, one row per refund, id its ledger transfer, the merchant as the
--                     counterparty, category `refunds`; succeeded → completed.
--
-- created_at is when the user paid: the time in the payment's transfer id, which the intent's
-- own created_at is not (a merchant may create an intent up to 24 hours before it is paid, far
-- beyond the slack the list allows between an id and its created_at).
--
-- The planner property of 0013 holds: each new branch is a plain SELECT of one table with a
-- (user, id) index, so that `user_id = $1 AND id < $2` is an index scan of every branch under the
-- Merge Append. That rules out a WHERE clause and a join in a branch (the planner then keeps the
-- branch as a subquery of its own, and sorts all the user's rows of it): intents nobody paid are
-- rows of the view with a null user_id and id, which no query of a user's history meets, and the
-- merchant's MCC is a scalar subquery by primary key, read for the rows a page returns. A refund row does not name its payer, so refunds
-- get a payer_id of their own, filled from the intent when a refund is written (the merchant code
-- need not know of it).

-- The time of a time-sortable id (prefix_ then a ULID): its first ten characters, Crockford
-- base 32, are milliseconds since the epoch.
CREATE FUNCTION hebao_id_time(id text) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN to_timestamp(0) + interval '1 millisecond' * (
    SELECT bit_or((strpos('0123456789ABCDEFGHJKMNPQRSTVWXYZ',
                          substr(id, strpos(id, '_') + 1 + i, 1)) - 1)::int8 << (5 * (9 - i)))
      FROM generate_series(0, 9) AS i);

-- Spending categories of merchant category codes (ISO 18245); other codes are `merchants`.
CREATE FUNCTION hebao_mcc_category(mcc text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN CASE
    WHEN mcc BETWEEN '5812' AND '5814' THEN 'dining'
    WHEN mcc IN ('5411', '5422', '5499') THEN 'groceries'
    WHEN mcc BETWEEN '4111' AND '4131' OR mcc IN ('4789', '5541', '5542') THEN 'transport'
    WHEN mcc BETWEEN '5300' AND '5399' OR mcc BETWEEN '5600' AND '5699'
      OR mcc BETWEEN '5900' AND '5999' THEN 'shopping'
    WHEN mcc BETWEEN '4812' AND '4900' THEN 'bills'
    WHEN mcc IN ('7832', '7922') OR mcc BETWEEN '7991' AND '7999' THEN 'entertainment'
    ELSE 'merchants'
  END;

ALTER TABLE refunds ADD COLUMN payer_id text REFERENCES users (id);
UPDATE refunds r SET payer_id = p.payer_id FROM payment_intents p WHERE p.id = r.payment_intent_id;
ALTER TABLE refunds ALTER COLUMN payer_id SET NOT NULL;

-- A refund is of a paid intent, so its payer is the intent's.
CREATE FUNCTION refunds_payer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.payer_id IS NULL THEN
    SELECT payer_id INTO NEW.payer_id FROM payment_intents WHERE id = NEW.payment_intent_id;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER refunds_payer BEFORE INSERT ON refunds
  FOR EACH ROW EXECUTE FUNCTION refunds_payer();

-- An intent is paid by one user with one ledger transfer: both are set when a payment claims it
-- and cleared together when a payment fails, which the view relies on.
ALTER TABLE payment_intents ADD CONSTRAINT payment_intents_payer_with_transfer
  CHECK ((payer_id IS NULL) = (transfer_id IS NULL));

CREATE INDEX payment_intents_payer_transfer ON payment_intents (payer_id, transfer_id)
  WHERE payer_id IS NOT NULL;
CREATE INDEX refunds_payer ON refunds (payer_id, transfer_id);

CREATE OR REPLACE VIEW wallet_history AS
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
    FROM fx_conversions c
  UNION ALL
  SELECT p.payer_id, p.transfer_id, 'merchant_payment', 'outgoing', p.merchant_id,
         CASE p.status WHEN 'succeeded' THEN p.amount_received_minor ELSE p.amount_minor END,
         p.currency,
         CASE p.status WHEN 'requires_capture' THEN 'held' WHEN 'succeeded' THEN 'completed'
                       WHEN 'canceled' THEN 'cancelled' ELSE p.status END,
         p.description,
         (SELECT hebao_mcc_category(m.mcc) FROM merchants m WHERE m.id = p.merchant_id),
         hebao_id_time(p.transfer_id),
         CASE p.status WHEN 'canceled' THEN p.updated_at ELSE p.paid_at END
    FROM payment_intents p
  UNION ALL
  SELECT r.payer_id, r.transfer_id, 'refund', 'incoming', r.merchant_id, r.amount_minor,
         r.currency, CASE r.status WHEN 'succeeded' THEN 'completed' ELSE r.status END,
         r.reason, 'refunds', r.created_at,
         CASE WHEN r.status <> 'processing' THEN r.updated_at END
    FROM refunds r;
