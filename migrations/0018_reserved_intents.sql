-- A payment intent made for one payer (a static-code payment, a charge by payment code waiting
-- for the payer's confirmation) can be paid by that user only.
ALTER TABLE payment_intents ADD COLUMN reserved_for text REFERENCES users (id);
