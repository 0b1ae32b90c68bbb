import { CHARGE_EVENT_TYPES } from './charges.js';
import { PAYMENT_EVENT_TYPES } from './payments.js';

/** Every webhook event a merchant can subscribe to. */
export const MERCHANT_EVENT_TYPES: readonly string[] = [
  ...PAYMENT_EVENT_TYPES,
  ...CHARGE_EVENT_TYPES,
];
