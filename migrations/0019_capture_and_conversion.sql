-- Manual capture and payments with a currency conversion.
--
-- Manual capture: confirming an intent with capture_method = 'manual' holds the amount on the
-- payer's wallet (a pending ledger transfer, transfer_id, to the merchant's account) until
-- authorization_expires_at, the instant the ledger voids the hold by itself. The merchant then
-- captures it (posts the hold, in full or in part, with the fee on what was captured) or cancels
-- it (voids the hold). A capture or a cancellation first claims the hold on the intent's row
-- (resolution, with the id of its ledger transfer), so that of concurrent captures and
-- cancellations exactly one goes on to the ledger; a claim whose transfer never reached the
-- ledger (a crash) is given up by the merchant job.
--
-- Conversion: a payment may be paid from the payer's wallet in another currency. The whole
-- amount is then converted at the operator's rate (an FX quote) in the same linked chain as the
-- payment: conversion_* keep what the payer paid and at which rate. A refund goes back in the
-- intent's currency; the conversion is not undone.
--
-- limit_reserved_minor is what the payer's limits counted (limits count CNY: the amount of a CNY
-- payment, or the CNY sold for a conversion); NULL on rows written before it existed means the
-- intent's amount.
ALTER TABLE payment_intents
  ADD COLUMN authorization_expires_at    timestamptz,
  ADD COLUMN resolution                  text CHECK (resolution IN ('capture', 'cancel')),
  ADD COLUMN resolution_transfer_id      text UNIQUE,
  ADD COLUMN capture_amount_minor        bigint CHECK (capture_amount_minor > 0),
  ADD COLUMN limit_reserved_minor        bigint CHECK (limit_reserved_minor > 0),
  ADD COLUMN conversion_currency         text CHECK (conversion_currency ~ '^[A-Z]{3}$'),
  ADD COLUMN conversion_amount_minor     bigint CHECK (conversion_amount_minor > 0),
  ADD COLUMN conversion_rate_numerator   numeric
    CHECK (conversion_rate_numerator > 0 AND scale(conversion_rate_numerator) = 0),
  ADD COLUMN conversion_rate_denominator numeric
    CHECK (conversion_rate_denominator > 0 AND scale(conversion_rate_denominator) = 0),
  ADD COLUMN conversion_quote_id         text CHECK (conversion_quote_id ~ '^fxq_[0-9A-HJKMNP-TV-Z]{26}$'),
  ADD CONSTRAINT payment_intents_resolution_whole
    CHECK ((resolution IS NULL) = (resolution_transfer_id IS NULL)),
  ADD CONSTRAINT payment_intents_capture_within_hold
    CHECK (capture_amount_minor <= amount_minor),
  ADD CONSTRAINT payment_intents_manual_only
    CHECK (capture_method = 'manual' OR (authorization_expires_at IS NULL AND resolution IS NULL)),
  ADD CONSTRAINT payment_intents_conversion_whole
    CHECK ((conversion_currency IS NULL) = (conversion_amount_minor IS NULL)
       AND (conversion_currency IS NULL) = (conversion_rate_numerator IS NULL)
       AND (conversion_currency IS NULL) = (conversion_rate_denominator IS NULL)
       AND (conversion_currency IS NULL) = (conversion_quote_id IS NULL)),
  ADD CONSTRAINT payment_intents_conversion_automatic
    CHECK (conversion_currency IS NULL OR capture_method = 'automatic'),
  ADD CONSTRAINT payment_intents_conversion_other_currency
    CHECK (conversion_currency <> currency);

-- The merchant job's work lists: holds that have timed out, and claims that may be stuck.
CREATE INDEX payment_intents_authorized ON payment_intents (authorization_expires_at)
  WHERE status = 'requires_capture';
CREATE INDEX payment_intents_resolving ON payment_intents (updated_at)
  WHERE status = 'requires_capture' AND resolution IS NOT NULL;
