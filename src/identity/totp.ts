/**
 * RFC 6238 time-based one-time passwords, as authenticator apps expect them: SHA-1, six digits,
 * a thirty-second step. This is a thin wrapper around otplib so that the rest of the code never
 * sees its options, its errors or its defaults (which read the wall clock). Time comes only from
 * the `nowMs` argument, so callers and tests decide what "now" is.
 */
import { generate, generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import { assert } from '../lib/assert.js';

/** Authenticator apps show this name above the code. */
export const TOTP_ISSUER = 'Hebao';

/** 20 bytes is the HMAC-SHA-1 key size RFC 4226 recommends and what the apps generate. */
const SECRET_BYTES = 20;
const STEP_SECONDS = 30;
const DIGITS = 6;

/**
 * Phone clocks drift and people type slowly, so one step either side of the current one is
 * accepted, as RFC 6238 section 5.2 suggests. Expressed in seconds because otplib wants seconds.
 */
const DRIFT_SECONDS = STEP_SECONDS;

const CODE_PATTERN = /^[0-9]{6}$/;

/** The fixed parameters, spelled out so that a change of otplib defaults cannot change them. */
const PARAMETERS = {
  strategy: 'totp',
  algorithm: 'sha1',
  digits: DIGITS,
  period: STEP_SECONDS,
} as const;

export type TotpMatch =
  | { readonly ok: true; readonly step: number }
  | { readonly ok: false; readonly reason: 'malformed' | 'wrong_code' | 'replayed' };

export interface TotpUriInput {
  readonly secret: string;
  readonly accountName: string;
  readonly issuer?: string;
}

/** A fresh base32 secret of 160 bits, drawn from the platform's secure random source. */
export function newTotpSecret(): string {
  return generateSecret({ length: SECRET_BYTES });
}

/**
 * The otpauth:// URI that an authenticator app scans to enrol the secret. The label is
 * "issuer:account" and apps split it at the colon whether or not it is percent-encoded (otplib
 * leaves it as it is), so the Key URI Format forbids a colon in either part.
 */
export function totpUri({ secret, accountName, issuer = TOTP_ISSUER }: TotpUriInput): string {
  assert(!accountName.includes(':') && !issuer.includes(':'), 'a TOTP label part has no colon');
  return generateURI({ ...PARAMETERS, issuer, label: accountName, secret });
}

/** The code for the step that contains `nowMs`, for tests and development tools. */
export function totpCode(secret: string, nowMs: number): Promise<string> {
  return generate({ ...PARAMETERS, secret, epoch: epochSeconds(nowMs) });
}

/**
 * Checks a code typed by the user against the steps around `nowMs`. A code is accepted once:
 * steps at or before `lastUsedStep` are refused as replays, and the caller stores the returned
 * step. otplib compares in constant time.
 */
export async function matchTotp(
  secret: string,
  code: string,
  nowMs: number,
  lastUsedStep: number | null,
): Promise<TotpMatch> {
  // otplib throws on malformed tokens; checking first keeps bad input a result, not an error.
  if (!CODE_PATTERN.test(code)) return { ok: false, reason: 'malformed' };
  assert(
    lastUsedStep === null || (Number.isSafeInteger(lastUsedStep) && lastUsedStep >= 0),
    'lastUsedStep is a step number',
  );
  const epoch = epochSeconds(nowMs);
  const freshStep = await matchingStep(secret, code, epoch, lastUsedStep);
  if (freshStep !== null) return { ok: true, step: freshStep };
  if (lastUsedStep === null) return { ok: false, reason: 'wrong_code' };
  // Telling a replay from a wrong code helps the user ("wait for the next code") and the logs.
  const anyStep = await matchingStep(secret, code, epoch, null);
  return { ok: false, reason: anyStep === null ? 'wrong_code' : 'replayed' };
}

/** An SVG QR code of `text`, typically a `totpUri`, for the enrolment page. */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

function epochSeconds(nowMs: number): number {
  assert(Number.isFinite(nowMs) && nowMs >= 0, 'nowMs is a time after 1970');
  return Math.floor(nowMs / 1000);
}

/**
 * The step in the drift window whose code is `code`, skipping steps at or before `afterStep`.
 * otplib throws when `afterTimeStep` lies beyond the window, so it is clamped to the window's
 * last step, which then skips every step, as it should.
 */
async function matchingStep(
  secret: string,
  code: string,
  epoch: number,
  afterStep: number | null,
): Promise<number | null> {
  const lastStepInWindow = Math.floor((epoch + DRIFT_SECONDS) / STEP_SECONDS);
  const after = afterStep === null ? {} : { afterTimeStep: Math.min(afterStep, lastStepInWindow) };
  const result = await verify({
    ...PARAMETERS,
    ...after,
    secret,
    token: code,
    epoch,
    epochTolerance: DRIFT_SECONDS,
  });
  if (!result.valid) return null;
  // otplib types the result as TOTP or HOTP; only the TOTP one, which this is, has the step.
  assert('timeStep' in result, 'a TOTP match names its step');
  return result.timeStep;
}
