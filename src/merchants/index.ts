/**
 * Merchants: the codes a payment starts from. The codecs here are pure (no Node.js modules, Web
 * Crypto only), so the web apps import the same files the server runs.
 */
export * from './emvco.js';
export * from './ndef.js';
export * from './payment-code.js';
export { merchantCodes } from './codes.js';
export type { MerchantCode, MerchantFailure } from './codes.js';
export { API_KEY_SCOPES, createMerchants } from './merchants.js';
export type {
  ApiKey,
  ApiKeyScope,
  Merchant,
  MerchantInput,
  MerchantPrincipal,
  MerchantResult,
  Merchants,
  MerchantsDeps,
  MerchantStatus,
} from './merchants.js';
export { createPayments, feeOf, PAYMENT_EVENT_TYPES } from './payments.js';
export type {
  PaidIntent,
  ConfirmOptions,
  Conversion,
  IntentInput,
  IntentStatus,
  Page,
  PaymentIntent,
  PaymentResult,
  Payments,
  PaymentsDeps,
  Refund,
} from './payments.js';
export { chargeStatus, createCharges, withinChargeAllowance } from './charges.js';
export type {
  Charge,
  ChargeInput,
  Charges,
  ChargesDeps,
  ChargeStatus,
  PaymentCodeDevice,
} from './charges.js';
export { HEBAO_QR_ID, intentCode, personalCode, scan, scanIntent, staticCode } from './qr.js';
export type { Person, Scanned, ScanDeps } from './qr.js';
export { createSettlements } from './settlements.js';
export type { Settlement, Settlements, SettlementsDeps, SettlementStatus } from './settlements.js';
export { MERCHANT_EVENT_TYPES } from './event-types.js';
export { createSales } from './sales.js';
export type {
  PaymentFilter,
  Sales,
  SalesDay,
  SalesDeps,
  SalesSummary,
  SalesTotals,
} from './sales.js';
