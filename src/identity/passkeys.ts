/**
 * Passkeys (WebAuthn) through @simplewebauthn/server: registering them, listing and removing
 * them, and checking assertions for a passwordless sign-in, for the second step of a password
 * sign-in, and for step-up confirmations. Every challenge is stored server-side, short-lived and
 * single use; it is consumed before the response is checked, so a failed check uses it up too.
 *
 * The library throws for a response that is malformed or answers the wrong challenge, origin,
 * relying party or counter, and returns `verified: false` for a bad signature; both are the same
 * failure here, because the caller cannot do anything different about either.
 */
import { audit } from './security-events.js';
import { createHash, randomBytes } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { withTransaction, sqlState, SQLSTATE, type Executor, type Pool } from '../db/index.js';
import { assert } from '../lib/assert.js';
import { failure } from '../lib/code-spec.js';
import type { Clock } from '../lib/clock.js';
import { keyedHash } from '../lib/encryption.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';
import type { IdentityFailure } from './codes.js';
import {
  PASSKEYS_PER_USER_MAX,
  assertionCounter,
  clientDataChallenge,
  counterAccepted,
  knownTransports,
  type PasskeyTransport,
} from './mfa-core.js';
import type { SignedIn } from './service.js';
import {
  deviceNameFrom,
  type DeviceInput,
  type RequestContext,
  type SessionMethod,
} from './sessions.js';
import { selectUser, type UserWithSecret } from './users.js';

export type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

type Result<T> = ({ readonly ok: true } & T) | IdentityFailure;

/** Where passkeys are used: the relying party id, its name, and the origin pages come from. */
export interface WebAuthnSettings {
  readonly rpId: string;
  readonly rpName: string;
  readonly origin: string;
}

/** Opens the session of a completed sign-in, in the caller's transaction. */
export type SignInStep = (
  tx: Executor,
  input: {
    readonly user: UserWithSecret;
    readonly device: DeviceInput;
    readonly method: SessionMethod;
  },
  ctx: RequestContext,
) => Promise<SignedIn>;

export interface PasskeyDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly hmacKey: Buffer;
  readonly webauthn: WebAuthnSettings;
  readonly signIn: SignInStep;
}

export interface Passkey {
  readonly id: string;
  readonly name: string;
  readonly transports: readonly PasskeyTransport[];
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
}

/** Options for navigator.credentials.get(), with the id the answer must be sent back with. */
export interface PasskeyRequest {
  readonly challengeId: string;
  readonly options: PublicKeyCredentialRequestOptionsJSON;
  readonly expiresAt: Date;
}

export interface PasskeyService {
  /** Options for navigator.credentials.create(); the challenge is kept for 5 minutes. */
  passkeyRegistrationOptions(
    userId: string,
  ): Promise<Result<{ options: PublicKeyCredentialCreationOptionsJSON }>>;
  addPasskey(
    userId: string,
    input: { readonly name?: string | undefined; readonly response: RegistrationResponseJSON },
    ctx: RequestContext,
  ): Promise<Result<{ passkey: Passkey }>>;
  listPasskeys(userId: string): Promise<Passkey[]>;
  removePasskey(userId: string, passkeyId: string, ctx: RequestContext): Promise<Result<object>>;
  /** A passwordless sign-in: any discoverable passkey of this relying party may answer. */
  passkeySignInOptions(): Promise<PasskeyRequest>;
  signInWithPasskey(
    input: {
      readonly challengeId: string;
      readonly response: AuthenticationResponseJSON;
      readonly device: DeviceInput;
    },
    ctx: RequestContext,
  ): Promise<Result<SignedIn>>;
  /**
   * Options for confirming one payment with a passkey. `binding` is the payment's binding as
   * JSON; it is stored with the challenge and handed back by `verifyPasskeyAssertion`.
   */
  passkeyStepUpOptions(userId: string, binding: string): Promise<Result<PasskeyRequest>>;
  /**
   * Checks a step-up assertion inside the caller's transaction, which must commit even when the
   * answer is a failure: the challenge is used up either way. On success the passkey's counter
   * is updated and the binding stored with the challenge is returned, for the caller to issue
   * its confirmation in the same transaction.
   */
  verifyPasskeyAssertion(
    tx: Executor,
    input: {
      readonly userId: string;
      readonly challengeId: string;
      readonly response: AuthenticationResponseJSON;
      readonly purpose: 'step_up';
    },
  ): Promise<Result<{ passkeyId: string; binding: string }>>;
}

/** What the second step of a password sign-in needs from passkeys (see mfa.ts). */
export interface PasskeySecondFactor {
  /** Options that allow the user's own passkeys; the caller stores the challenge. */
  options(db: Executor, userId: string): Promise<PublicKeyCredentialRequestOptionsJSON>;
  verify(
    tx: Executor,
    userId: string,
    expectedChallenge: string,
    response: AuthenticationResponseJSON,
  ): Promise<AssertionCheck>;
}

type ChallengePurpose = 'registration' | 'sign_in' | 'step_up';

const CHALLENGE_ID_PREFIX = 'hbw_';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function newChallengeId(): string {
  return CHALLENGE_ID_PREFIX + randomBytes(32).toString('base64url');
}

function newPasskeyId(nowMs: number): string {
  return newId('pky', nowMs);
}

interface PasskeyRow {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: Buffer;
  counter: bigint;
  transports: string[];
  user_handle: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

function passkeyOf(row: PasskeyRow): Passkey {
  return {
    id: row.id,
    name: row.name,
    transports: knownTransports(row.transports),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

async function selectPasskeys(db: Executor, userId: string): Promise<PasskeyRow[]> {
  const { rows } = await db.query<PasskeyRow>(
    `SELECT id, user_id, credential_id, public_key, counter, transports, user_handle, name,
            created_at, last_used_at
       FROM passkeys WHERE user_id = $1 ORDER BY created_at, id LIMIT $2`,
    [userId, PASSKEYS_PER_USER_MAX],
  );
  return rows;
}

export async function countPasskeys(db: Executor, userId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM passkeys WHERE user_id = $1',
    [userId],
  );
  return rows[0]!.n;
}

async function insertChallenge(
  db: Executor,
  input: {
    readonly idHash: Buffer;
    readonly purpose: ChallengePurpose;
    readonly userId: string | null;
    readonly challenge: string;
    readonly binding: string | null;
  },
  nowMs: number,
): Promise<Date> {
  const expiresAt = new Date(nowMs + limits.loginChallengeTtlMs);
  await db.query(
    `INSERT INTO webauthn_challenges (id_hash, purpose, user_id, challenge, binding, created_at,
       expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      input.idHash,
      input.purpose,
      input.userId,
      input.challenge,
      input.binding,
      new Date(nowMs),
      expiresAt,
    ],
  );
  return expiresAt;
}

/** Uses up a live challenge of the purpose (and user), returning it; undefined if there is none. */
async function takeChallenge(
  tx: Executor,
  input: {
    readonly idHash: Buffer;
    readonly purpose: ChallengePurpose;
    readonly userId: string | null;
  },
  nowMs: number,
): Promise<{ challenge: string; binding: string | null } | undefined> {
  const { rows } = await tx.query<{ challenge: string; binding: string | null }>(
    `UPDATE webauthn_challenges SET consumed_at = $4
      WHERE id_hash = $1 AND purpose = $2 AND user_id IS NOT DISTINCT FROM $3
        AND consumed_at IS NULL AND expires_at > $4
      RETURNING challenge, binding`,
    [input.idHash, input.purpose, input.userId, new Date(nowMs)],
  );
  return rows[0];
}

export type AssertionCheck =
  | { readonly ok: true; readonly passkey: Passkey; readonly userId: string }
  | {
      readonly ok: false;
      readonly reason: 'unknown_credential' | 'user_handle' | 'counter' | 'signature';
      /** The owner of the credential named, when there is one: their security log records it. */
      readonly userId: string | null;
    };

/**
 * Checks an assertion against the stored credential it names and, when it verifies, moves the
 * credential's counter and last use forward. The row is locked, so two uses of one credential
 * take turns and the second sees the first one's counter.
 */
async function checkAssertion(
  tx: Executor,
  settings: WebAuthnSettings,
  input: {
    /** The user the credential must belong to; null for a discoverable sign-in. */
    readonly userId: string | null;
    readonly expectedChallenge: string;
    readonly response: AuthenticationResponseJSON;
    readonly requireUserVerification: boolean;
  },
  nowMs: number,
): Promise<AssertionCheck> {
  const { rows } = await tx.query<PasskeyRow>(
    `SELECT id, user_id, credential_id, public_key, counter, transports, user_handle, name,
            created_at, last_used_at
       FROM passkeys WHERE credential_id = $1 AND ($2::text IS NULL OR user_id = $2)
        FOR UPDATE`,
    [input.response.id, input.userId],
  );
  const row = rows[0];
  if (row === undefined) return { ok: false, reason: 'unknown_credential', userId: null };
  const refuse = (reason: 'user_handle' | 'counter' | 'signature') =>
    ({ ok: false, reason, userId: row.user_id }) as const;
  const handle = input.response.response.userHandle;
  if (handle !== undefined && handle !== row.user_handle) return refuse('user_handle');
  const stored = Number(row.counter);
  const received = assertionCounter(input.response.response.authenticatorData);
  if (received !== undefined && !counterAccepted(stored, received)) return refuse('counter');
  let newCounter: number;
  try {
    const verification = await verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: settings.origin,
      expectedRPID: settings.rpId,
      credential: {
        id: row.credential_id,
        publicKey: new Uint8Array(row.public_key),
        counter: stored,
        transports: row.transports,
      },
      requireUserVerification: input.requireUserVerification,
    });
    if (!verification.verified) return refuse('signature');
    newCounter = verification.authenticationInfo.newCounter;
  } catch {
    return refuse('signature');
  }
  const now = new Date(nowMs);
  await tx.query('UPDATE passkeys SET counter = $2, last_used_at = $3 WHERE id = $1', [
    row.id,
    newCounter,
    now,
  ]);
  return { ok: true, passkey: { ...passkeyOf(row), lastUsedAt: now }, userId: row.user_id };
}

export function createPasskeys(deps: PasskeyDeps): {
  readonly service: PasskeyService;
  readonly secondFactor: PasskeySecondFactor;
} {
  const { pool, clock, webauthn } = deps;
  const tx = <T>(work: (tx: Executor) => Promise<T>) => withTransaction(pool, work);

  /**
   * The opaque user id the authenticator keeps with a discoverable credential. It is derived
   * from the user id with the server secret, so it says nothing about the user; a user who has
   * passkeys keeps the handle they were registered with.
   */
  function userHandleOf(userId: string, existing: readonly PasskeyRow[]): string {
    return (
      existing[0]?.user_handle ??
      keyedHash(deps.hmacKey, 'webauthn-user-handle', userId).toString('base64url')
    );
  }

  async function requestOptions(
    credentials: readonly PasskeyRow[],
    userVerification: 'required' | 'preferred',
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return generateAuthenticationOptions({
      rpID: webauthn.rpId,
      allowCredentials: credentials.map((c) => ({ id: c.credential_id, transports: c.transports })),
      userVerification,
      timeout: limits.loginChallengeTtlMs,
    });
  }

  async function passkeyRegistrationOptions(
    userId: string,
  ): Promise<Result<{ options: PublicKeyCredentialCreationOptionsJSON }>> {
    const user = await selectUser(pool, userId);
    if (user === undefined) return failure('unauthenticated');
    const existing = await selectPasskeys(pool, userId);
    if (existing.length >= PASSKEYS_PER_USER_MAX) return failure('passkey_limit_reached');
    const options = await generateRegistrationOptions({
      rpName: webauthn.rpName,
      rpID: webauthn.rpId,
      userName: user.email ?? user.phone ?? user.id,
      userID: new Uint8Array(Buffer.from(userHandleOf(userId, existing), 'base64url')),
      userDisplayName: user.displayName,
      attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.credential_id, transports: c.transports })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      timeout: limits.loginChallengeTtlMs,
    });
    // A registration answers with its challenge signed inside, so the challenge is its own id.
    await insertChallenge(
      pool,
      {
        idHash: sha256(options.challenge),
        purpose: 'registration',
        userId,
        challenge: options.challenge,
        binding: null,
      },
      clock.nowMs(),
    );
    return { ok: true, options };
  }

  async function addPasskey(
    userId: string,
    input: { readonly name?: string | undefined; readonly response: RegistrationResponseJSON },
    ctx: RequestContext,
  ): Promise<Result<{ passkey: Passkey }>> {
    const challenge = clientDataChallenge(input.response.response.clientDataJSON);
    if (challenge === undefined) return failure('passkey_challenge_invalid', { param: 'response' });
    const nowMs = clock.nowMs();
    try {
      return await tx((db) =>
        registerInTransaction(db, userId, { ...input, challenge }, ctx, nowMs),
      );
    } catch (error) {
      // Two registrations of one credential at once: the second one loses on the unique key.
      if (sqlState(error) === SQLSTATE.uniqueViolation) {
        return failure('passkey_already_registered', { param: 'response' });
      }
      throw error;
    }
  }

  async function registerInTransaction(
    db: Executor,
    userId: string,
    input: {
      readonly name?: string | undefined;
      readonly response: RegistrationResponseJSON;
      readonly challenge: string;
    },
    ctx: RequestContext,
    nowMs: number,
  ): Promise<Result<{ passkey: Passkey }>> {
    const taken = await takeChallenge(
      db,
      { idHash: sha256(input.challenge), purpose: 'registration', userId },
      nowMs,
    );
    if (taken === undefined) return failure('passkey_challenge_invalid', { param: 'response' });
    const existing = await selectPasskeys(db, userId);
    if (existing.length >= PASSKEYS_PER_USER_MAX) return failure('passkey_limit_reached');
    const credential = await verifiedCredential(input.response, taken.challenge);
    if (credential === undefined) {
      return failure('passkey_registration_invalid', { param: 'response' });
    }
    const { rows: known } = await db.query('SELECT 1 FROM passkeys WHERE credential_id = $1', [
      credential.id,
    ]);
    if (known.length > 0) return failure('passkey_already_registered', { param: 'response' });
    const now = new Date(nowMs);
    const passkey: Passkey = {
      id: newPasskeyId(nowMs),
      name: input.name ?? deviceNameFrom(ctx.userAgent),
      transports: knownTransports(credential.transports),
      createdAt: now,
      lastUsedAt: null,
    };
    await db.query(
      `INSERT INTO passkeys (id, user_id, credential_id, public_key, counter, transports,
         user_handle, name, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        passkey.id,
        userId,
        credential.id,
        Buffer.from(credential.publicKey),
        credential.counter,
        passkey.transports,
        userHandleOf(userId, existing),
        passkey.name,
        now,
      ],
    );
    await audit(db, userId, 'passkey.added', ctx, now, {
      passkey_id: passkey.id,
      name: passkey.name,
    });
    return { ok: true, passkey };
  }

  async function verifiedCredential(response: RegistrationResponseJSON, challenge: string) {
    try {
      const verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: webauthn.origin,
        expectedRPID: webauthn.rpId,
        requireUserVerification: true,
      });
      return verification.verified ? verification.registrationInfo.credential : undefined;
    } catch {
      return undefined;
    }
  }

  async function removePasskey(
    userId: string,
    passkeyId: string,
    ctx: RequestContext,
  ): Promise<Result<object>> {
    const now = new Date(clock.nowMs());
    return tx(async (db) => {
      const { rows } = await db.query<{ name: string }>(
        'DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING name',
        [passkeyId, userId],
      );
      const removed = rows[0];
      if (removed === undefined) return failure('passkey_not_found', { param: 'id' });
      await audit(db, userId, 'passkey.removed', ctx, now, {
        passkey_id: passkeyId,
        name: removed.name,
      });
      return { ok: true as const };
    });
  }

  async function passkeySignInOptions(): Promise<PasskeyRequest> {
    const options = await requestOptions([], 'required');
    const challengeId = newChallengeId();
    const expiresAt = await insertChallenge(
      pool,
      {
        idHash: sha256(challengeId),
        purpose: 'sign_in',
        userId: null,
        challenge: options.challenge,
        binding: null,
      },
      clock.nowMs(),
    );
    return { challengeId, options, expiresAt };
  }

  async function signInWithPasskey(
    input: {
      readonly challengeId: string;
      readonly response: AuthenticationResponseJSON;
      readonly device: DeviceInput;
    },
    ctx: RequestContext,
  ): Promise<Result<SignedIn>> {
    const nowMs = clock.nowMs();
    return tx(async (db) => {
      const taken = await takeChallenge(
        db,
        { idHash: sha256(input.challengeId), purpose: 'sign_in', userId: null },
        nowMs,
      );
      if (taken === undefined)
        return failure('passkey_challenge_invalid', { param: 'challenge_id' });
      const checked = await checkAssertion(
        db,
        webauthn,
        {
          userId: null,
          expectedChallenge: taken.challenge,
          response: input.response,
          requireUserVerification: true,
        },
        nowMs,
      );
      if (!checked.ok) {
        if (checked.userId !== null) {
          await audit(
            db,
            checked.userId,
            'login.failed',
            ctx,
            new Date(nowMs),
            {
              method: 'passkey',
              reason: checked.reason,
            },
            'anonymous',
          );
        }
        return failure('passkey_assertion_invalid', { param: 'response' });
      }
      const user = await selectUser(db, checked.userId);
      assert(user !== undefined, 'a passkey belongs to a user');
      const signedIn = await deps.signIn(
        db,
        { user, device: input.device, method: 'passkey' },
        ctx,
      );
      return { ok: true as const, ...signedIn };
    });
  }

  async function passkeyStepUpOptions(
    userId: string,
    binding: string,
  ): Promise<Result<PasskeyRequest>> {
    assert(binding.length >= 2 && binding.length <= 1024, 'a payment binding is short JSON');
    const credentials = await selectPasskeys(pool, userId);
    if (credentials.length === 0) return failure('passkey_not_registered');
    const options = await requestOptions(credentials, 'required');
    const challengeId = newChallengeId();
    const expiresAt = await insertChallenge(
      pool,
      {
        idHash: sha256(challengeId),
        purpose: 'step_up',
        userId,
        challenge: options.challenge,
        binding,
      },
      clock.nowMs(),
    );
    return { ok: true, challengeId, options, expiresAt };
  }

  async function verifyPasskeyAssertion(
    db: Executor,
    input: {
      readonly userId: string;
      readonly challengeId: string;
      readonly response: AuthenticationResponseJSON;
      readonly purpose: 'step_up';
    },
  ): Promise<Result<{ passkeyId: string; binding: string }>> {
    const nowMs = clock.nowMs();
    const taken = await takeChallenge(
      db,
      { idHash: sha256(input.challengeId), purpose: input.purpose, userId: input.userId },
      nowMs,
    );
    if (taken === undefined) return failure('passkey_challenge_invalid', { param: 'challenge_id' });
    assert(taken.binding !== null, 'a step-up challenge carries its binding');
    const checked = await checkAssertion(
      db,
      webauthn,
      {
        userId: input.userId,
        expectedChallenge: taken.challenge,
        response: input.response,
        requireUserVerification: true,
      },
      nowMs,
    );
    if (!checked.ok) return failure('passkey_assertion_invalid', { param: 'response' });
    return { ok: true, passkeyId: checked.passkey.id, binding: taken.binding };
  }

  const secondFactor: PasskeySecondFactor = {
    // A second factor follows a password, so user presence is enough, as WebAuthn suggests
    // for that use; verification on the device is welcome but not required.
    options: async (db, userId) => requestOptions(await selectPasskeys(db, userId), 'preferred'),
    verify: (db, userId, expectedChallenge, response) =>
      checkAssertion(
        db,
        webauthn,
        { userId, expectedChallenge, response, requireUserVerification: false },
        clock.nowMs(),
      ),
  };

  return {
    service: {
      passkeyRegistrationOptions,
      addPasskey,
      listPasskeys: async (userId) => (await selectPasskeys(pool, userId)).map(passkeyOf),
      removePasskey,
      passkeySignInOptions,
      signInWithPasskey,
      passkeyStepUpOptions,
      verifyPasskeyAssertion,
    },
    secondFactor,
  };
}
