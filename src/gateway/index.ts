/**
 * The gateway module's public surface: the payment-gateway port that the wallet uses, the sandbox
 * bank's adapter behind it, and the sandbox bank server itself. Other modules import from here.
 */
export type {
  CardBrand,
  CardToken,
  CreateMovementCode,
  CreateMovementResult,
  GatewayEvent,
  GatewayEventType,
  GetMovementCode,
  GetMovementResult,
  Movement,
  MovementInput,
  MovementKind,
  MovementStatus,
  PaymentGateway,
  SettlementFailureCode,
  Statement,
  StatementCode,
  StatementMovement,
  StatementResult,
  StatementTotal,
  TokenizeCardCode,
  TokenizeCardInput,
  TokenizeCardResult,
  TransportFailureCode,
  VerifyCallbackResult,
} from './port.js';
export { GatewayError } from './port.js';
export {
  GATEWAY_RESPONSE_BYTES_MAX,
  createSandboxGateway,
  verifyCallback,
  type SandboxGatewayOptions,
} from './sandbox-adapter.js';
export {
  SANDBOX_IDLE_POLL_MS,
  createSandboxAdmin,
  type CallbackDelivery,
  type CallbackLog,
  type SandboxAdmin,
} from './sandbox-admin.js';
export {
  BANK_BODY_BYTES_MAX,
  BANK_DELAY_MS_MAX,
  BANK_SECRET_LENGTH_MIN,
  HOLD_ANSWER_MS,
  buildSandboxBank,
  type SandboxBankDelays,
  type SandboxBankOptions,
} from './sandbox-bank.js';
export {
  startSandboxBank,
  type RunningSandboxBank,
  type StartSandboxBankOptions,
} from './start.js';
export { noFaults, type FaultSettings } from './faults.js';
export { bankCodes, type BankCode } from './bank-codes.js';
export { BANK_OBJECTS_MAX } from './bank-state.js';
export {
  CALLBACK_ATTEMPTS_MAX,
  CALLBACK_DUPLICATE_GAP_MS,
  CALLBACK_LOG_MAX,
  CALLBACK_RETRY_BASE_MS,
  CALLBACK_RETRY_MAX_MS,
  CALLBACK_TIMEOUT_MS,
} from './callbacks.js';
export { SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS, signatureHeader } from './signature.js';
export {
  PAYOUT_DECLINED_LAST4,
  testCards,
  type CardBehaviour,
  type TestCard,
} from './test-cards.js';
