/**
 * Second factors behind the password: the authenticator app (TOTP) with its recovery codes, and
 * the second step of a password sign-in, which a TOTP code, a recovery code or a passkey
 * completes. The TOTP secret is stored encrypted; a code is accepted once (its step is kept);
 * recovery codes are single use and stored as keyed hashes.
 *
 * Every check of a code a user types counts against a per-user guessing throttle ('mfa:<user
 * id>', the sign-in policy): a sign-in challenge allows a few wrong tries, and the throttle keeps
 * someone who knows the password from starting challenge after challenge.
 */
import { audit } from './security-events.js';
import { createHash, randomBytes } from 'node:crypto';
import { withTransaction, type Executor, type Pool } from '../db/index.js';
import { assert } from '../lib/assert.js';
import { failure } from '../lib/code-spec.js';
import type { Clock } from '../lib/clock.js';
import { decryptField, encryptField, keyedHash, type Keyring } from '../lib/encryption.js';
import { limits } from '../limits.js';
import type { IdentityCode, IdentityFailure } from './codes.js';
import {
  RECOVERY_CODE_COUNT,
  RECOVERY_CODE_LENGTH,
  mfaEnabled,
  mfaMethods,
  normalizeRecoveryCode,
  proofOf,
  recoveryCodeOf,
  type MfaMethod,
  type MfaProof,
  type MfaState,
} from './mfa-core.js';
import type {
  AuthenticationResponseJSON,
  PasskeySecondFactor,
  PublicKeyCredentialRequestOptionsJSON,
  SignInStep,
} from './passkeys.js';
import type { SignedIn } from './service.js';
import type { DeviceInput, RequestContext, SessionMethod } from './sessions.js';
import { beginAttempt, forgiveAttempt, loginPolicy } from './throttle.js';
import { newTotpSecret, matchTotp, qrSvg, totpUri } from './totp.js';
import { sameBytes } from './secrets.js';
import { selectUser, type UserWithSecret } from './users.js';

type Result<T> = ({ readonly ok: true } & T) | IdentityFailure;

export interface MfaDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly hmacKey: Buffer;
  readonly dataKeys: Keyring;
  readonly passkeys: PasskeySecondFactor;
  readonly signIn: SignInStep;
}

/** A password sign-in that needs its second step: the client answers with one of `methods`. */
export interface MfaRequired {
  readonly kind: 'mfa_required';
  readonly challengeId: string;
  readonly expiresAt: Date;
  readonly methods: readonly MfaMethod[];
  /** Set when the user has passkeys: options for navigator.credentials.get(). */
  readonly passkeyOptions: PublicKeyCredentialRequestOptionsJSON | undefined;
}

export interface MfaStatus extends MfaState {
  /** An authenticator app was enrolled but not yet confirmed with a first code. */
  readonly totpPending: boolean;
}

export interface TotpEnrollment {
  /** Base32, for typing into the app by hand. */
  readonly secret: string;
  readonly uri: string;
  readonly qrSvg: string;
}

export interface MfaProofInput {
  readonly totp?: string | undefined;
  readonly recoveryCode?: string | undefined;
}

export interface MfaService {
  mfaStatus(userId: string): Promise<MfaStatus>;
  /** Starts (or restarts) setting up an authenticator app; it is off until confirmed. */
  enrollTotp(userId: string): Promise<Result<{ enrollment: TotpEnrollment }>>;
  /** Turns the app on with a first code; returns the recovery codes, shown this once. */
  confirmTotp(
    userId: string,
    code: string,
    ctx: RequestContext,
  ): Promise<Result<{ recoveryCodes: string[] }>>;
  /** Turns the app off (and deletes the recovery codes) with a fresh TOTP or recovery code. */
  disableTotp(userId: string, proof: MfaProofInput, ctx: RequestContext): Promise<Result<object>>;
  /** Replaces the recovery codes, with a fresh TOTP code. */
  regenerateRecoveryCodes(
    userId: string,
    totp: string,
    ctx: RequestContext,
  ): Promise<Result<{ recoveryCodes: string[] }>>;
  /** The second step of a password sign-in. */
  completeMfa(
    input: MfaProofInput & {
      readonly challengeId: string;
      readonly passkey?: AuthenticationResponseJSON | undefined;
      /** The device token the client sent with this request, if any. */
      readonly deviceToken: string | undefined;
    },
    ctx: RequestContext,
  ): Promise<Result<SignedIn>>;
}

const CHALLENGE_ID_PREFIX = 'hbl_';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function secretAad(userId: string): string {
  return `${userId}/totp_secret`;
}

function recoveryCodeHash(key: Buffer, userId: string, canonical: string): Buffer {
  return keyedHash(key, 'recovery-code', userId, canonical);
}

/** What decides a sign-in's second step: whether an app or passkeys stand behind the password. */
export async function mfaStateOf(db: Executor, userId: string): Promise<MfaStatus> {
  const { rows } = await db.query<{
    totp_enabled: boolean;
    totp_pending: boolean;
    recovery_codes_left: number;
    passkeys: number;
  }>(
    `SELECT
       EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL)
         AS totp_enabled,
       EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND confirmed_at IS NULL)
         AS totp_pending,
       (SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL)::int
         AS recovery_codes_left,
       (SELECT count(*) FROM passkeys WHERE user_id = $1)::int AS passkeys`,
    [userId],
  );
  const row = rows[0]!;
  return {
    totpEnabled: row.totp_enabled,
    totpPending: row.totp_pending,
    recoveryCodesLeft: row.recovery_codes_left,
    passkeys: row.passkeys,
  };
}

/** Whether the user's password has a second factor behind it (which allows a shorter one). */
export async function hasMfa(db: Executor, userId: string): Promise<boolean> {
  return mfaEnabled(await mfaStateOf(db, userId));
}

interface TotpRow {
  secret_encrypted: string;
  confirmed_at: Date | null;
  last_used_step: bigint | null;
}

async function lockTotp(db: Executor, userId: string): Promise<TotpRow | undefined> {
  const { rows } = await db.query<TotpRow>(
    `SELECT secret_encrypted, confirmed_at, last_used_step FROM user_totp
      WHERE user_id = $1 FOR UPDATE`,
    [userId],
  );
  return rows[0];
}

/** Deletes the user's recovery codes and stores a new set; returns them as the user sees them. */
async function replaceRecoveryCodes(db: Executor, key: Buffer, userId: string, now: Date) {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    recoveryCodeOf(randomBytes(RECOVERY_CODE_LENGTH)),
  );
  const hashes = codes.map((code) => recoveryCodeHash(key, userId, normalizeRecoveryCode(code)!));
  await db.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
  await db.query(
    `INSERT INTO recovery_codes (user_id, code_hash, created_at)
     SELECT $1, h, $3 FROM unnest($2::bytea[]) AS h`,
    [userId, hashes, now],
  );
  return codes;
}

type ProofCheck = { readonly ok: true; readonly codesLeft?: number } | IdentityFailure;

/**
 * Failures that are a wrong guess and so count against a sign-in challenge, as opposed to
 * asking for a method the user does not have.
 */
const GUESS_CODES: ReadonlySet<IdentityCode> = new Set<IdentityCode>([
  'totp_code_wrong',
  'totp_code_replayed',
  'recovery_code_wrong',
  'passkey_assertion_invalid',
]);

const SESSION_METHOD: Readonly<Record<MfaMethod, SessionMethod>> = {
  totp: 'password+totp',
  recovery_code: 'password+recovery_code',
  passkey: 'password+passkey',
};

interface LoginChallengeRow {
  user_id: string;
  device_name: string | null;
  device_token_hash: Buffer | null;
  webauthn_challenge: string | null;
  failures: number;
}

/** The challenge if it can still be answered: unused, unexpired, and not out of tries. */
async function liveChallenge(
  db: Executor,
  idHash: Buffer,
  nowMs: number,
  lock: boolean,
): Promise<LoginChallengeRow | undefined> {
  const { rows } = await db.query<LoginChallengeRow>(
    `SELECT user_id, device_name, device_token_hash, webauthn_challenge, failures
       FROM login_challenges
      WHERE id_hash = $1 AND consumed_at IS NULL AND expires_at > $2 AND failures < $3
      ${lock ? 'FOR UPDATE' : ''}`,
    [idHash, new Date(nowMs), limits.loginChallengeFailuresMax],
  );
  return rows[0];
}

/**
 * The device of the sign-in is the one that typed the password: its token is used only if this
 * request sends the same one.
 */
function deviceOf(challenge: LoginChallengeRow, deviceToken: string | undefined): DeviceInput {
  const same =
    deviceToken !== undefined &&
    challenge.device_token_hash !== null &&
    sameBytes(sha256(deviceToken), challenge.device_token_hash);
  return { token: same ? deviceToken : undefined, name: challenge.device_name ?? undefined };
}

export function createMfa(deps: MfaDeps): {
  readonly service: MfaService;
  /** Called by a password sign-in whose password was right; undefined when no MFA is on. */
  readonly begin: (
    db: Executor,
    user: UserWithSecret,
    device: DeviceInput,
    nowMs: number,
  ) => Promise<MfaRequired | undefined>;
} {
  const { pool, clock } = deps;
  const tx = <T>(work: (tx: Executor) => Promise<T>) => withTransaction(pool, work);

  /** Checks a TOTP code of an enabled app and, when right, remembers its step. */
  async function checkTotp(
    db: Executor,
    userId: string,
    row: TotpRow,
    code: string,
    nowMs: number,
  ): Promise<ProofCheck> {
    const secret = decryptField(deps.dataKeys, row.secret_encrypted, secretAad(userId));
    const last = row.last_used_step === null ? null : Number(row.last_used_step);
    const match = await matchTotp(secret, code, nowMs, last);
    if (!match.ok) {
      return failure(match.reason === 'replayed' ? 'totp_code_replayed' : 'totp_code_wrong', {
        param: 'totp',
      });
    }
    await db.query('UPDATE user_totp SET last_used_step = $2 WHERE user_id = $1', [
      userId,
      match.step,
    ]);
    return { ok: true };
  }

  async function useRecoveryCode(
    db: Executor,
    userId: string,
    code: string,
    nowMs: number,
  ): Promise<ProofCheck> {
    const canonical = normalizeRecoveryCode(code);
    if (canonical === undefined) return failure('recovery_code_wrong', { param: 'recovery_code' });
    const { rows } = await db.query<{ left: number }>(
      `WITH used AS (
         UPDATE recovery_codes SET used_at = $3
          WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING code_hash)
       SELECT (SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL)::int - 1
                AS left
         FROM used`,
      [userId, recoveryCodeHash(deps.hmacKey, userId, canonical), new Date(nowMs)],
    );
    const used = rows[0];
    if (used === undefined) return failure('recovery_code_wrong', { param: 'recovery_code' });
    return { ok: true, codesLeft: used.left };
  }

  /**
   * Runs a check of something the user typed under the per-user guessing throttle: counted
   * before the check, so that concurrent guesses cannot slip past, and forgiven when right.
   */
  async function throttled<R extends { readonly ok: boolean }>(
    userId: string,
    lockedCode: 'login_locked' | 'too_many_attempts',
    work: (nowMs: number) => Promise<R>,
  ): Promise<R | IdentityFailure> {
    const key = `mfa:${userId}`;
    const attempt = await tx((db) =>
      beginAttempt(db, [{ key, policy: loginPolicy }], clock.nowMs()),
    );
    if (!attempt.allowed) {
      return failure(lockedCode, { retryAfterSeconds: Math.ceil(attempt.retryAfterMs / 1000) });
    }
    const nowMs = clock.nowMs();
    const result = await work(nowMs);
    if (result.ok) await forgiveAttempt(pool, key, 'clear', nowMs);
    return result;
  }

  async function enrollTotp(userId: string): Promise<Result<{ enrollment: TotpEnrollment }>> {
    const user = await selectUser(pool, userId);
    if (user === undefined) return failure('unauthenticated');
    const secret = newTotpSecret();
    const now = new Date(clock.nowMs());
    // A pending app is replaced by a new one; a confirmed one is kept.
    const { rowCount } = await pool.query(
      `INSERT INTO user_totp (user_id, secret_encrypted, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE
         SET secret_encrypted = EXCLUDED.secret_encrypted, created_at = EXCLUDED.created_at
         WHERE user_totp.confirmed_at IS NULL`,
      [userId, encryptField(deps.dataKeys, secret, secretAad(userId)), now],
    );
    if (rowCount === 0) return failure('totp_already_enabled');
    const accountName = (user.email ?? user.phone ?? user.id).replaceAll(':', '');
    const uri = totpUri({ secret, accountName });
    return { ok: true, enrollment: { secret, uri, qrSvg: await qrSvg(uri) } };
  }

  async function confirmTotp(
    userId: string,
    code: string,
    ctx: RequestContext,
  ): Promise<Result<{ recoveryCodes: string[] }>> {
    const nowMs = clock.nowMs();
    const now = new Date(nowMs);
    return tx(async (db) => {
      const row = await lockTotp(db, userId);
      if (row === undefined) return failure('totp_not_enrolled');
      if (row.confirmed_at !== null) return failure('totp_already_enabled');
      const secret = decryptField(deps.dataKeys, row.secret_encrypted, secretAad(userId));
      const match = await matchTotp(secret, code, nowMs, null);
      if (!match.ok) return failure('totp_code_wrong', { param: 'code' });
      await db.query(
        'UPDATE user_totp SET confirmed_at = $2, last_used_step = $3 WHERE user_id = $1',
        [userId, now, match.step],
      );
      const recoveryCodes = await replaceRecoveryCodes(db, deps.hmacKey, userId, now);
      await audit(db, userId, 'mfa.totp_enabled', ctx, now, {});
      return { ok: true as const, recoveryCodes };
    });
  }

  async function disableTotp(
    userId: string,
    input: MfaProofInput,
    ctx: RequestContext,
  ): Promise<Result<object>> {
    const proof = proofOf<never>(input);
    if (proof === undefined || proof.method === 'passkey') {
      return failure('mfa_proof_required', {
        detail: 'Give exactly one of totp and recovery_code.',
      });
    }
    return throttled(userId, 'too_many_attempts', (nowMs) =>
      tx(async (db): Promise<Result<object>> => {
        const row = await lockTotp(db, userId);
        if (row === undefined || row.confirmed_at === null) return failure('totp_not_enabled');
        const checked =
          proof.method === 'totp'
            ? await checkTotp(db, userId, row, proof.code, nowMs)
            : await useRecoveryCode(db, userId, proof.code, nowMs);
        if (!checked.ok) return checked;
        await db.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
        await db.query('DELETE FROM user_totp WHERE user_id = $1', [userId]);
        await audit(db, userId, 'mfa.totp_disabled', ctx, new Date(nowMs), {
          method: proof.method,
        });
        return { ok: true };
      }),
    );
  }

  async function regenerateRecoveryCodes(
    userId: string,
    totp: string,
    ctx: RequestContext,
  ): Promise<Result<{ recoveryCodes: string[] }>> {
    return throttled(userId, 'too_many_attempts', (nowMs) =>
      tx(async (db): Promise<Result<{ recoveryCodes: string[] }>> => {
        const row = await lockTotp(db, userId);
        if (row === undefined || row.confirmed_at === null) return failure('totp_not_enabled');
        const checked = await checkTotp(db, userId, row, totp, nowMs);
        if (!checked.ok) return checked;
        const now = new Date(nowMs);
        const recoveryCodes = await replaceRecoveryCodes(db, deps.hmacKey, userId, now);
        await audit(db, userId, 'mfa.recovery_codes_regenerated', ctx, now, {});
        return { ok: true, recoveryCodes };
      }),
    );
  }

  async function completeMfa(
    input: Parameters<MfaService['completeMfa']>[0],
    ctx: RequestContext,
  ): Promise<Result<SignedIn>> {
    const proof = proofOf<AuthenticationResponseJSON>(input);
    if (proof === undefined) return failure('mfa_proof_required');
    const idHash = sha256(input.challengeId);
    const found = await liveChallenge(pool, idHash, clock.nowMs(), false);
    if (found === undefined) return failure('mfa_challenge_invalid', { param: 'challenge_id' });
    return throttled(found.user_id, 'login_locked', (nowMs) =>
      tx((db) => answerChallenge(db, idHash, proof, input.deviceToken, ctx, nowMs)),
    );
  }

  /**
   * Checks the proof against the locked challenge. A wrong one counts against the challenge and
   * is recorded; the last allowed wrong one kills it. A right one uses the challenge up and opens
   * the session, in the same transaction.
   */
  async function answerChallenge(
    db: Executor,
    idHash: Buffer,
    proof: MfaProof<AuthenticationResponseJSON>,
    deviceToken: string | undefined,
    ctx: RequestContext,
    nowMs: number,
  ): Promise<Result<SignedIn>> {
    const challenge = await liveChallenge(db, idHash, nowMs, true);
    if (challenge === undefined) return failure('mfa_challenge_invalid', { param: 'challenge_id' });
    const userId = challenge.user_id;
    const now = new Date(nowMs);
    const checked = await checkProof(db, challenge, proof, nowMs);
    if (!checked.ok) {
      if (!GUESS_CODES.has(checked.code)) return checked;
      const failures = challenge.failures + 1;
      await db.query('UPDATE login_challenges SET failures = $2 WHERE id_hash = $1', [
        idHash,
        failures,
      ]);
      const detail = { method: proof.method, code: checked.code };
      await audit(db, userId, 'login.mfa_failed', ctx, now, detail, 'anonymous');
      return failures < limits.loginChallengeFailuresMax
        ? checked
        : failure('mfa_challenge_invalid', {
            param: 'challenge_id',
            detail: 'Too many wrong tries; sign in again.',
          });
    }
    await db.query('UPDATE login_challenges SET consumed_at = $2 WHERE id_hash = $1', [
      idHash,
      now,
    ]);
    const user = await selectUser(db, userId);
    assert(user !== undefined, 'a login challenge belongs to a user');
    const method = SESSION_METHOD[proof.method];
    const signedIn = await deps.signIn(
      db,
      { user, device: deviceOf(challenge, deviceToken), method },
      ctx,
    );
    if (proof.method === 'recovery_code') {
      const detail = { codes_left: checked.codesLeft ?? 0 };
      await audit(db, userId, 'mfa.recovery_code_used', ctx, now, detail);
    }
    return { ok: true, ...signedIn };
  }

  async function checkProof(
    db: Executor,
    challenge: LoginChallengeRow,
    proof: MfaProof<AuthenticationResponseJSON>,
    nowMs: number,
  ): Promise<ProofCheck> {
    const userId = challenge.user_id;
    if (proof.method === 'recovery_code') {
      return useRecoveryCode(db, userId, proof.code, nowMs);
    }
    if (proof.method === 'totp') {
      const row = await lockTotp(db, userId);
      if (row === undefined || row.confirmed_at === null) {
        return failure('mfa_method_not_enabled', { param: 'totp' });
      }
      return checkTotp(db, userId, row, proof.code, nowMs);
    }
    if (challenge.webauthn_challenge === null) {
      return failure('mfa_method_not_enabled', { param: 'passkey' });
    }
    const checked = await deps.passkeys.verify(
      db,
      userId,
      challenge.webauthn_challenge,
      proof.response,
    );
    return checked.ok ? { ok: true } : failure('passkey_assertion_invalid', { param: 'passkey' });
  }

  async function begin(
    db: Executor,
    user: UserWithSecret,
    device: DeviceInput,
    nowMs: number,
  ): Promise<MfaRequired | undefined> {
    const state = await mfaStateOf(db, user.id);
    if (!mfaEnabled(state)) return undefined;
    const passkeyOptions =
      state.passkeys > 0 ? await deps.passkeys.options(db, user.id) : undefined;
    const challengeId = CHALLENGE_ID_PREFIX + randomBytes(32).toString('base64url');
    const expiresAt = new Date(nowMs + limits.loginChallengeTtlMs);
    await db.query(
      `INSERT INTO login_challenges (id_hash, user_id, device_name, device_token_hash,
         created_at, expires_at, webauthn_challenge)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        sha256(challengeId),
        user.id,
        device.name ?? null,
        device.token === undefined ? null : sha256(device.token),
        new Date(nowMs),
        expiresAt,
        passkeyOptions?.challenge ?? null,
      ],
    );
    return {
      kind: 'mfa_required',
      challengeId,
      expiresAt,
      methods: mfaMethods(state),
      passkeyOptions,
    };
  }

  return {
    service: {
      mfaStatus: (userId) => mfaStateOf(pool, userId),
      enrollTotp,
      confirmTotp,
      disableTotp,
      regenerateRecoveryCodes,
      completeMfa,
    },
    begin,
  };
}
