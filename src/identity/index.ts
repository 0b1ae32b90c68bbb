/** The identity module's public surface; other modules import from here only. */
export { identityCodes } from './codes.js';
export type { IdentityCode, IdentityFailure } from './codes.js';
export { normalizeEmail, normalizePhone, parseLogin } from './contact.js';
export type { Contact } from './contact.js';
export { PASSKEYS_PER_USER_MAX, RECOVERY_CODE_COUNT } from './mfa-core.js';
export type { MfaMethod, MfaState, PasskeyTransport } from './mfa-core.js';
export type { MfaProofInput, MfaRequired, MfaService, MfaStatus, TotpEnrollment } from './mfa.js';
export type {
  AuthenticationResponseJSON,
  Passkey,
  PasskeyRequest,
  PasskeyService,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  WebAuthnSettings,
} from './passkeys.js';
export { createIdentityService } from './service.js';
export type {
  Authenticated,
  CodeSent,
  IdentityDeps,
  IdentityService,
  Registration,
  Result,
  SignedIn,
} from './service.js';
export type {
  DeviceInput,
  DeviceListing,
  RequestContext,
  Session,
  SessionListing,
  SessionMethod,
} from './sessions.js';
export type { Locale, ProfilePatch, User } from './users.js';
export { createPaymentPins } from './payment-pin.js';
export type { PaymentPins, PinStatus } from './payment-pin.js';
export { createStepUp, issueConfirmation } from './step-up.js';
export type {
  Confirmation,
  ConfirmationMethod,
  PaymentBinding,
  StepUp,
  StepUpDeps,
} from './step-up.js';
export { createKycService, grantOperator, isOperator, operatorRoleOf } from './kyc.js';
export type {
  KycDeps,
  KycDocumentType,
  KycService,
  KycStatus,
  OperatorRole,
  PendingReview,
  ReviewDecision,
} from './kyc.js';
export { createPaymentLimits } from './payment-limits.js';
export type { CapUsage, LimitFailure, LimitsRemaining, PaymentLimits } from './payment-limits.js';
export { createIdentityServices } from './services.js';
export type { IdentitySettings, IdentityServices } from './services.js';
