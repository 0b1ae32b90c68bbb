import { listAuditForUser, type StoredAuditEntry } from '../audit/index.js';
import { audit } from './security-events.js';
import { withTransaction, sqlState, SQLSTATE, type Executor, type Pool } from '../db/index.js';
import {
  appendUserEvent,
  enqueueMessage,
  type MessageChannel,
  type MessageTemplate,
} from '../events/index.js';
import { failure } from '../lib/code-spec.js';
import type { Clock } from '../lib/clock.js';
import type { Keyring } from '../lib/encryption.js';
import { newId } from '../lib/ids.js';
import type { IdentityFailure } from './codes.js';
import { normalizeEmail, normalizePhone, parseLogin, type Contact } from './contact.js';
import { createMfa, hasMfa, type MfaRequired, type MfaService } from './mfa.js';
import { checkCode, issueCode, type CodePurpose } from './one-time-codes.js';
import { createPasskeys, type PasskeyService, type WebAuthnSettings } from './passkeys.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { checkPassword } from './password-policy.js';
import {
  listDevices,
  listSessions,
  revokeSessions,
  selectSessionByToken,
  sessionLive,
  startSession,
  touchSession,
  type DeviceInput,
  type DeviceListing,
  type RequestContext,
  type Session,
  type SessionListing,
  type SessionMethod,
  type StartedSession,
} from './sessions.js';
import { beginAttempt, forgiveAttempt, ipPolicy, loginPolicy } from './throttle.js';
import {
  insertUser,
  markContactVerified,
  publicUser,
  selectUser,
  selectUserByContact,
  setPassword,
  updateProfile,
  type Locale,
  type ProfilePatch,
  type User,
  type UserWithSecret,
} from './users.js';
import { limits } from '../limits.js';

export type Result<T> = ({ readonly ok: true } & T) | IdentityFailure;

export interface IdentityDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly hmacKey: Buffer;
  readonly sessionIdleMs: number;
  readonly sessionMaxMs: number;
  /** Encrypts secrets at rest (the TOTP secret). */
  readonly dataKeys: Keyring;
  /** The relying party passkeys are registered with, and the origin they are used from. */
  readonly webauthn: WebAuthnSettings;
}

export interface Registration {
  readonly phone?: string | undefined;
  readonly email?: string | undefined;
  readonly password: string;
  readonly displayName: string;
  readonly locale: Locale;
}

export interface CodeSent {
  readonly channel: MessageChannel;
  readonly to: string;
  readonly expiresAt: Date;
}

export interface SignedIn {
  readonly kind: 'session';
  readonly token: string;
  readonly session: Session;
  readonly user: User;
  readonly newDeviceToken: string | undefined;
}

export interface Authenticated {
  readonly user: User;
  readonly session: Session;
}

export interface IdentityService extends MfaService, PasskeyService {
  register(
    input: Registration,
    ctx: RequestContext,
  ): Promise<Result<{ user: User; sent: CodeSent }>>;
  resendVerification(login: string): Promise<Result<object>>;
  verifyContact(login: string, code: string, ctx: RequestContext): Promise<Result<{ user: User }>>;
  /** A right password opens a session, or asks for the second factor when MFA is on. */
  login(
    input: { readonly login: string; readonly password: string; readonly device: DeviceInput },
    ctx: RequestContext,
  ): Promise<Result<SignedIn | MfaRequired>>;
  authenticate(token: string): Promise<Result<Authenticated>>;
  logout(auth: Authenticated, ctx: RequestContext): Promise<void>;
  getUser(userId: string): Promise<User | undefined>;
  updateProfile(userId: string, patch: ProfilePatch): Promise<User>;
  changePassword(
    auth: Authenticated,
    input: { readonly currentPassword: string; readonly newPassword: string },
    ctx: RequestContext,
  ): Promise<Result<{ revokedSessions: number }>>;
  requestPasswordReset(login: string): Promise<Result<object>>;
  confirmPasswordReset(
    input: { readonly login: string; readonly code: string; readonly newPassword: string },
    ctx: RequestContext,
  ): Promise<Result<object>>;
  listSessions(userId: string): Promise<SessionListing[]>;
  revokeSession(
    auth: Authenticated,
    sessionId: string,
    ctx: RequestContext,
  ): Promise<Result<object>>;
  revokeOtherSessions(auth: Authenticated, ctx: RequestContext): Promise<{ revoked: number }>;
  listDevices(userId: string): Promise<DeviceListing[]>;
  securityEvents(
    userId: string,
    page: { readonly limit: number; readonly startingAfter?: string },
  ): Promise<{ readonly data: StoredAuditEntry[]; readonly hasMore: boolean }>;
  /** A user whose contact is not verified may not move money: wallet services ask this first. */
  requireVerified(userId: string): Promise<Result<{ user: User }>>;
  /**
   * Whether a session is still live: long requests (an event stream) ask again now and then,
   * so that signing a session out ends its streams too.
   */
  sessionLive(sessionId: string): Promise<boolean>;
  /** The user a phone number, email address or user id names, for finding a payee. */
  findUser(query: string): Promise<User | undefined>;
  /** Opens a session for a user whose sign-in another step (a second factor) completed. */
  openSession(
    tx: Executor,
    input: {
      readonly user: UserWithSecret;
      readonly device: DeviceInput;
      readonly method: SessionMethod;
    },
    ctx: RequestContext,
  ): Promise<StartedSession>;
}

function contactOf(input: Registration): Result<{ contact: Contact }> {
  if ((input.phone === undefined) === (input.email === undefined)) {
    return failure('contact_required', { param: 'phone' });
  }
  if (input.phone !== undefined) {
    const phone = normalizePhone(input.phone);
    if (phone === undefined) return failure('phone_invalid', { param: 'phone' });
    return { ok: true, contact: { kind: 'phone', value: phone } };
  }
  const email = normalizeEmail(input.email!);
  if (email === undefined) return failure('email_invalid', { param: 'email' });
  return { ok: true, contact: { kind: 'email', value: email } };
}

function loginOf(login: string): Result<{ contact: Contact }> {
  const contact = parseLogin(login);
  return contact === undefined
    ? failure('login_invalid', { param: 'login' })
    : { ok: true, contact };
}

function passwordProblem(
  password: string,
  context: readonly string[],
  param: string,
  mfaEnabled = false,
): IdentityFailure | undefined {
  const checked = checkPassword(password, { mfaEnabled, context });
  if (checked.ok) return undefined;
  const detail =
    checked.code === 'password_too_short'
      ? `Use at least ${checked.minLength} characters; a few unrelated words make a good password.`
      : checked.code === 'password_too_long'
        ? `Use at most ${checked.maxLength} characters.`
        : undefined;
  return failure(checked.code, { param, ...(detail === undefined ? {} : { detail }) });
}

/** Sends a message to the user's contact through the outbox, in the caller's transaction. */
async function notify(
  db: Executor,
  user: UserWithSecret,
  template: MessageTemplate,
  vars: Readonly<Record<string, string>>,
  now: Date,
): Promise<{ channel: MessageChannel; to: string }> {
  const { channel, to } = contactText(user);
  await enqueueMessage(
    db,
    { channel, recipient: to, userId: user.id, template, locale: user.locale, vars },
    now,
  );
  return { channel, to };
}

function contactText(user: UserWithSecret): { channel: MessageChannel; to: string } {
  return user.phone !== null
    ? { channel: 'sms', to: user.phone }
    : { channel: 'email', to: user.email! };
}

export function createIdentityService(deps: IdentityDeps): IdentityService {
  const { pool, clock } = deps;
  const tx = <T>(work: (tx: Executor) => Promise<T>) => withTransaction(pool, work);
  const passkeys = createPasskeys({
    pool,
    clock,
    hmacKey: deps.hmacKey,
    webauthn: deps.webauthn,
    signIn,
  });
  const mfa = createMfa({
    pool,
    clock,
    hmacKey: deps.hmacKey,
    dataKeys: deps.dataKeys,
    passkeys: passkeys.secondFactor,
    signIn,
  });

  async function sendCode(
    db: Executor,
    user: UserWithSecret,
    purpose: CodePurpose,
    nowMs: number,
  ): Promise<Result<{ sent: CodeSent }>> {
    const issued = await issueCode(db, deps.hmacKey, user.id, purpose, nowMs);
    if (!issued.ok) {
      return failure('too_many_attempts', { retryAfterSeconds: issued.retryAfterMs / 1000 });
    }
    const { channel, to } = await notify(db, user, purpose, { code: issued.code }, new Date(nowMs));
    return { ok: true, sent: { channel, to, expiresAt: issued.expiresAt } };
  }

  async function register(
    input: Registration,
    ctx: RequestContext,
  ): Promise<Result<{ user: User; sent: CodeSent }>> {
    const contact = contactOf(input);
    if (!contact.ok) return contact;
    const weak = passwordProblem(
      input.password,
      contextOf({
        phone: contact.contact.kind === 'phone' ? contact.contact.value : null,
        email: contact.contact.kind === 'email' ? contact.contact.value : null,
        displayName: input.displayName,
      }),
      'password',
    );
    if (weak !== undefined) return weak;
    const passwordHash = await hashPassword(input.password.normalize('NFKC'));
    const nowMs = clock.nowMs();
    const now = new Date(nowMs);
    try {
      return await tx(async (db) => {
        const user = await insertUser(
          db,
          {
            id: newId('usr', nowMs),
            contact: contact.contact,
            passwordHash,
            displayName: input.displayName,
            locale: input.locale,
          },
          now,
        );
        const sent = await sendCode(db, user, 'verify_contact', nowMs);
        if (!sent.ok) throw new Error('a new user cannot have a recent code');
        await audit(db, user.id, 'user.registered', ctx, now, { contact: contact.contact.kind });
        return { ok: true as const, user: publicUser(user), sent: sent.sent };
      });
    } catch (error) {
      if (sqlState(error) === SQLSTATE.uniqueViolation) {
        return failure('contact_already_registered', { param: contact.contact.kind });
      }
      throw error;
    }
  }

  async function verifyContact(
    login: string,
    code: string,
    ctx: RequestContext,
  ): Promise<Result<{ user: User }>> {
    const parsed = loginOf(login);
    if (!parsed.ok) return parsed;
    const nowMs = clock.nowMs();
    return tx(async (db) => {
      const user = await selectUserByContact(db, parsed.contact, true);
      if (user === undefined) return failure('verification_code_invalid', { param: 'code' });
      if (user.contactVerified) return failure('contact_already_verified');
      const checked = await checkCode(db, deps.hmacKey, user.id, 'verify_contact', code, nowMs);
      if (checked === 'exhausted') return failure('too_many_attempts', { param: 'code' });
      if (checked === 'wrong') return failure('verification_code_invalid', { param: 'code' });
      await markContactVerified(db, user.id, new Date(nowMs));
      await audit(db, user.id, 'contact.verified', ctx, new Date(nowMs));
      return { ok: true as const, user: { ...publicUser(user), contactVerified: true } };
    });
  }

  /**
   * Answers the same whether or not the login exists, so it cannot be used to find accounts;
   * only the waiting time between two codes for a real account shows as a 429.
   */
  async function resendCode(login: string, purpose: CodePurpose): Promise<Result<object>> {
    const parsed = loginOf(login);
    if (!parsed.ok) return parsed;
    const nowMs = clock.nowMs();
    return tx(async (db) => {
      const user = await selectUserByContact(db, parsed.contact, true);
      if (user === undefined) return { ok: true as const };
      if (purpose === 'verify_contact' && user.contactVerified) return { ok: true as const };
      const sent = await sendCode(db, user, purpose, nowMs);
      return sent.ok ? { ok: true as const } : sent;
    });
  }

  async function login(
    input: { readonly login: string; readonly password: string; readonly device: DeviceInput },
    ctx: RequestContext,
  ): Promise<Result<SignedIn | MfaRequired>> {
    const parsed = loginOf(input.login);
    if (!parsed.ok) return parsed;
    const loginKey = `login:${parsed.contact.value}`;
    const ipKey = `ip:${ctx.ip}`;
    const attempt = await tx((db) =>
      beginAttempt(
        db,
        [
          { key: loginKey, policy: loginPolicy },
          { key: ipKey, policy: ipPolicy },
        ],
        clock.nowMs(),
      ),
    );
    if (!attempt.allowed) {
      return failure('login_locked', { retryAfterSeconds: attempt.retryAfterMs / 1000 });
    }
    const user = await selectUserByContact(pool, parsed.contact);
    const right = await verifyPassword(user?.passwordHash, input.password.normalize('NFKC'));
    const nowMs = clock.nowMs();
    const now = new Date(nowMs);
    if (!right || user === undefined) {
      await tx(async (db) => {
        const locked = (attempt.failuresByKey?.get(loginKey) ?? 0) === limits.loginFailuresLock;
        if (locked && user !== undefined) await alertLocked(db, user, nowMs);
        await audit(
          db,
          user?.id ?? null,
          locked ? 'login.locked' : 'login.failed',
          ctx,
          now,
          {},
          'anonymous',
        );
      });
      return failure('invalid_credentials');
    }
    await forgiveAttempt(pool, loginKey, 'clear', nowMs);
    await forgiveAttempt(pool, ipKey, 'one', nowMs);
    const outcome = await tx(
      async (db) =>
        (await mfa.begin(db, user, input.device, nowMs)) ??
        signIn(db, { user, device: input.device, method: 'password' }, ctx),
    );
    return { ok: true, ...outcome };
  }

  /** Opens the session of a completed sign-in and describes it for the caller. */
  async function signIn(
    db: Executor,
    input: {
      readonly user: UserWithSecret;
      readonly device: DeviceInput;
      readonly method: SessionMethod;
    },
    ctx: RequestContext,
  ): Promise<SignedIn> {
    const started = await openSession(db, input, ctx);
    return {
      kind: 'session',
      token: started.token,
      session: started.session,
      user: publicUser(input.user),
      newDeviceToken: started.newDeviceToken,
    };
  }

  async function alertLocked(db: Executor, user: UserWithSecret, nowMs: number): Promise<void> {
    await notify(
      db,
      user,
      'login_locked',
      { until: new Date(nowMs + limits.loginLockMs).toISOString() },
      new Date(nowMs),
    );
  }

  async function openSession(
    db: Executor,
    input: {
      readonly user: UserWithSecret;
      readonly device: DeviceInput;
      readonly method: SessionMethod;
    },
    ctx: RequestContext,
  ): Promise<StartedSession> {
    const nowMs = clock.nowMs();
    const now = new Date(nowMs);
    const started = await startSession(
      db,
      { ...input, ctx, sessionMaxMs: deps.sessionMaxMs },
      nowMs,
    );
    if (started.alertNewDevice) {
      await notify(
        db,
        input.user,
        'new_device',
        { device: started.deviceName, ip: ctx.ip, time: now.toISOString() },
        now,
      );
      await appendUserEvent(
        db,
        {
          userId: input.user.id,
          type: 'security.alert',
          data: { kind: 'new_device', device: started.deviceName, ip: ctx.ip },
        },
        now,
      );
      await audit(db, input.user.id, 'login.new_device', ctx, now, {
        device: started.deviceName,
        session_id: started.session.id,
      });
    }
    await audit(db, input.user.id, 'login.succeeded', ctx, now, {
      method: input.method,
      session_id: started.session.id,
    });
    return started;
  }

  async function authenticate(token: string): Promise<Result<Authenticated>> {
    const found = await selectSessionByToken(pool, token);
    if (found === undefined || found.revoked) return failure('unauthenticated');
    const nowMs = clock.nowMs();
    const { session } = found;
    if (nowMs >= session.expiresAt.getTime()) return failure('session_expired');
    if (nowMs - session.lastSeenAt.getTime() >= deps.sessionIdleMs) {
      return failure('session_expired');
    }
    if (nowMs - session.lastSeenAt.getTime() >= limits.sessionTouchIntervalMs) {
      await touchSession(pool, session.id, new Date(nowMs));
    }
    return { ok: true, user: publicUser(found.user), session };
  }

  async function changePassword(
    auth: Authenticated,
    input: { readonly currentPassword: string; readonly newPassword: string },
    ctx: RequestContext,
  ): Promise<Result<{ revokedSessions: number }>> {
    const user = await selectUser(pool, auth.user.id);
    if (user === undefined) return failure('unauthenticated');
    const right = await verifyPassword(user.passwordHash, input.currentPassword.normalize('NFKC'));
    if (!right) return failure('current_password_wrong', { param: 'current_password' });
    const hashed = await newPasswordHash(user, input.newPassword);
    if (!hashed.ok) return hashed;
    const nowMs = clock.nowMs();
    const now = new Date(nowMs);
    return tx(async (db) => {
      await setPassword(db, user.id, hashed.hash, now);
      const revoked = await revokeSessions(
        db,
        user.id,
        { except: auth.session.id },
        'password_changed',
        now,
      );
      await notifyPasswordChanged(db, user, now);
      await audit(db, user.id, 'password.changed', ctx, now, { sessions_revoked: revoked.length });
      return { ok: true as const, revokedSessions: revoked.length };
    });
  }

  /** The hash of a new password, or why the password may not be used by this user. */
  async function newPasswordHash(
    user: UserWithSecret,
    password: string,
  ): Promise<Result<{ hash: string }>> {
    const weak = passwordProblem(
      password,
      contextOf(user),
      'new_password',
      await hasMfa(pool, user.id),
    );
    if (weak !== undefined) return weak;
    return { ok: true, hash: await hashPassword(password.normalize('NFKC')) };
  }

  async function notifyPasswordChanged(
    db: Executor,
    user: UserWithSecret,
    now: Date,
  ): Promise<void> {
    await notify(db, user, 'password_changed', { time: now.toISOString() }, now);
  }

  async function confirmPasswordReset(
    input: { readonly login: string; readonly code: string; readonly newPassword: string },
    ctx: RequestContext,
  ): Promise<Result<object>> {
    const parsed = loginOf(input.login);
    if (!parsed.ok) return parsed;
    const user = await selectUserByContact(pool, parsed.contact);
    // An unknown login still costs a hash, so that its answer takes as long.
    const hashed =
      user === undefined
        ? { ok: true as const, hash: await hashPassword(input.newPassword.normalize('NFKC')) }
        : await newPasswordHash(user, input.newPassword);
    if (!hashed.ok) return hashed;
    const passwordHash = hashed.hash;
    const nowMs = clock.nowMs();
    const now = new Date(nowMs);
    return tx(async (db) => {
      if (user === undefined) return failure('verification_code_invalid', { param: 'code' });
      const checked = await checkCode(
        db,
        deps.hmacKey,
        user.id,
        'reset_password',
        input.code,
        nowMs,
      );
      if (checked === 'exhausted') return failure('too_many_attempts', { param: 'code' });
      if (checked === 'wrong') return failure('verification_code_invalid', { param: 'code' });
      await setPassword(db, user.id, passwordHash, now);
      // Receiving the code proves the contact, so an unverified contact becomes verified.
      await markContactVerified(db, user.id, now);
      const revoked = await revokeSessions(db, user.id, { except: null }, 'password_reset', now);
      await forgiveAttempt(db, `login:${parsed.contact.value}`, 'clear', nowMs);
      await notifyPasswordChanged(db, user, now);
      await audit(db, user.id, 'password.reset', ctx, now, { sessions_revoked: revoked.length });
      return { ok: true as const };
    });
  }

  async function revokeSession(
    auth: Authenticated,
    sessionId: string,
    ctx: RequestContext,
  ): Promise<Result<object>> {
    const now = new Date(clock.nowMs());
    return tx(async (db) => {
      const revoked = await revokeSessions(db, auth.user.id, { only: sessionId }, 'revoked', now);
      if (revoked.length === 0) return failure('session_not_found', { param: 'id' });
      await audit(db, auth.user.id, 'session.revoked', ctx, now, { session_id: sessionId });
      return { ok: true as const };
    });
  }

  return {
    register,
    resendVerification: (login) => resendCode(login, 'verify_contact'),
    verifyContact,
    login,
    authenticate,
    logout: async (auth, ctx) => {
      const now = new Date(clock.nowMs());
      await tx(async (db) => {
        await revokeSessions(db, auth.user.id, { only: auth.session.id }, 'logout', now);
        await audit(db, auth.user.id, 'logout', ctx, now, { session_id: auth.session.id });
      });
    },
    getUser: async (userId) => {
      const user = await selectUser(pool, userId);
      return user === undefined ? undefined : publicUser(user);
    },
    updateProfile: async (userId, patch) =>
      publicUser(await tx((db) => updateProfile(db, userId, patch, new Date(clock.nowMs())))),
    changePassword,
    requestPasswordReset: (login) => resendCode(login, 'reset_password'),
    confirmPasswordReset,
    listSessions: (userId) =>
      listSessions(pool, userId, deps.sessionIdleMs, new Date(clock.nowMs())),
    revokeSession,
    revokeOtherSessions: async (auth, ctx) => {
      const now = new Date(clock.nowMs());
      return tx(async (db) => {
        const revoked = await revokeSessions(
          db,
          auth.user.id,
          { except: auth.session.id },
          'signed_out_elsewhere',
          now,
        );
        await audit(db, auth.user.id, 'sessions.revoked_others', ctx, now, {
          count: revoked.length,
        });
        return { revoked: revoked.length };
      });
    },
    listDevices: (userId) => listDevices(pool, userId),
    securityEvents: (userId, page) => listAuditForUser(pool, userId, page),
    sessionLive: (sessionId) => sessionLive(pool, sessionId, new Date(clock.nowMs())),
    findUser: async (query) => {
      const trimmed = query.trim();
      const contact = parseLogin(trimmed);
      const user =
        contact !== undefined
          ? await selectUserByContact(pool, contact)
          : /^usr_[0-9A-HJKMNP-TV-Z]{26}$/.test(trimmed)
            ? await selectUser(pool, trimmed)
            : undefined;
      return user === undefined ? undefined : publicUser(user);
    },
    requireVerified: async (userId) => {
      const user = await selectUser(pool, userId);
      if (user === undefined) return failure('unauthenticated');
      if (!user.contactVerified) return failure('contact_not_verified');
      return { ok: true, user: publicUser(user) };
    },
    openSession,
    ...mfa.service,
    ...passkeys.service,
  };
}

/** Words a password must not contain: the user's own login, its parts, and name. */
function contextOf(user: {
  readonly phone: string | null;
  readonly email: string | null;
  readonly displayName: string;
}): string[] {
  const localPart = user.email?.split('@')[0] ?? null;
  const nationalNumber = user.phone?.replace(/^\+86/, '') ?? null;
  return [user.phone, nationalNumber, user.email, localPart, user.displayName].filter(
    (s): s is string => s !== null,
  );
}
