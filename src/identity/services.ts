import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { withTransaction, type Pool } from '../db/index.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { failure } from '../lib/code-spec.js';
import type { Clock } from '../lib/clock.js';
import type { Keyring } from '../lib/encryption.js';
import { purgeExpired } from './cleanup.js';
import { createKycService, operatorRoleOf, type KycService, type OperatorRole } from './kyc.js';
import { createPaymentLimits, type PaymentLimits } from './payment-limits.js';
import { createPaymentPins, type PaymentPins } from './payment-pin.js';
import type { PasskeyRequest } from './passkeys.js';
import { createIdentityService, type IdentityService, type Result } from './service.js';
import {
  createStepUp,
  issueConfirmation,
  type Confirmation,
  type PaymentBinding,
  type StepUp,
} from './step-up.js';
import type { KycDocumentType } from './kyc.js';

/** The settings of the identity module, taken from the configuration by the process shell. */
export interface IdentitySettings {
  readonly hmacKey: Buffer;
  /** Encrypts personal data and secrets at rest; the first key encrypts. */
  readonly dataKeys: Keyring;
  readonly sessionIdleMs: number;
  readonly sessionMaxMs: number;
  readonly webauthn: { readonly rpId: string; readonly rpName: string; readonly origin: string };
  readonly stepUpExemptAmountMinor: bigint;
  readonly stepUpExemptDailyCount: number;
  readonly timeZone: string;
  readonly kycDocumentTypes: readonly KycDocumentType[];
}

/** Everything the identity module offers, built once over one pool and one clock. */
export interface IdentityServices {
  readonly identity: IdentityService;
  readonly pins: PaymentPins;
  readonly stepUp: StepUp;
  readonly kyc: KycService;
  readonly paymentLimits: PaymentLimits;
  operatorRole(userId: string): Promise<OperatorRole | null>;
  /** Deletes expired challenges, codes and old sessions; for a worker. */
  purgeExpired(): Promise<number>;
  /** Step-up with a passkey: options bound to one payment, then the confirmation. */
  passkeyConfirmationOptions(
    userId: string,
    binding: PaymentBinding,
  ): Promise<Result<PasskeyRequest>>;
  confirmWithPasskey(
    userId: string,
    binding: PaymentBinding,
    assertion: { readonly challengeId: string; readonly response: AuthenticationResponseJSON },
  ): Promise<Result<Confirmation>>;
}

/** The payment a passkey challenge is bound to, as stored with the challenge. */
function bindingText(binding: PaymentBinding): string {
  return canonicalJson({
    amount_minor: binding.amountMinor,
    currency: binding.currency,
    payee: binding.payee,
  });
}

export function createIdentityServices(
  pool: Pool,
  clock: Clock,
  settings: IdentitySettings,
): IdentityServices {
  const keyring = settings.dataKeys;
  const { hmacKey, timeZone } = settings;
  const pins = createPaymentPins({ pool, clock, hmacKey });
  const identity = createIdentityService({
    pool,
    clock,
    hmacKey,
    sessionIdleMs: settings.sessionIdleMs,
    sessionMaxMs: settings.sessionMaxMs,
    dataKeys: keyring,
    webauthn: settings.webauthn,
  });
  return {
    identity,
    pins,
    stepUp: createStepUp({
      pool,
      clock,
      pins,
      timeZone,
      exemptAmountMinor: settings.stepUpExemptAmountMinor,
      exemptDailyCount: settings.stepUpExemptDailyCount,
    }),
    kyc: createKycService({
      pool,
      clock,
      keyring,
      hmacKey,
      documentTypes: settings.kycDocumentTypes,
      timeZone,
    }),
    paymentLimits: createPaymentLimits({ pool, clock, timeZone }),
    operatorRole: (userId) => operatorRoleOf(pool, userId),
    purgeExpired: () => purgeExpired(pool, clock.nowMs()),
    passkeyConfirmationOptions: (userId, binding) =>
      identity.passkeyStepUpOptions(userId, bindingText(binding)),
    // The challenge is used up by the check, so the transaction commits on failure too.
    confirmWithPasskey: (userId, binding, assertion) =>
      withTransaction(pool, async (tx): Promise<Result<Confirmation>> => {
        const verified = await identity.verifyPasskeyAssertion(tx, {
          userId,
          challengeId: assertion.challengeId,
          response: assertion.response,
          purpose: 'step_up',
        });
        if (!verified.ok) return verified;
        if (verified.binding !== bindingText(binding)) return failure('confirmation_invalid');
        const confirmation = await issueConfirmation(tx, userId, binding, 'passkey', clock.nowMs());
        return { ok: true, ...confirmation };
      }),
  };
}
