import type { Executor } from '../db/index.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';
import { newToken, tokenHash } from './secrets.js';
import { USER_COLUMNS, userOf, type UserWithSecret } from './users.js';

/** Devices and sessions: SQL and the step that turns a verified sign-in into a session. */
export type SessionMethod =
  'password' | 'password+totp' | 'password+recovery_code' | 'password+passkey' | 'passkey';

export type RevokeReason =
  'logout' | 'revoked' | 'signed_out_elsewhere' | 'password_changed' | 'password_reset';

export interface RequestContext {
  readonly ip: string;
  readonly userAgent: string;
}

export interface DeviceInput {
  /** The device token the client kept from an earlier sign-in, if any. */
  readonly token?: string | undefined;
  readonly name?: string | undefined;
}

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly csrfToken: string;
  readonly method: SessionMethod;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly expiresAt: Date;
}

export interface StartedSession {
  readonly token: string;
  readonly session: Session;
  /** Set when the device is new to this user: the client keeps it for next time. */
  readonly newDeviceToken: string | undefined;
  /** Whether this sign-in came from a device the user had not used before, while having others. */
  readonly alertNewDevice: boolean;
  readonly deviceName: string;
}

/** A readable default name from the User-Agent: "Chrome on Android", "Safari on iPhone". */
export function deviceNameFrom(userAgent: string): string {
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /MicroMessenger/.test(userAgent)
      ? 'WeChat'
      : /Chrome\//.test(userAgent)
        ? 'Chrome'
        : /Firefox\//.test(userAgent)
          ? 'Firefox'
          : /Safari\//.test(userAgent)
            ? 'Safari'
            : undefined;
  const system = /iPhone|iPad/.test(userAgent)
    ? 'iPhone'
    : /Android/.test(userAgent)
      ? 'Android'
      : /Mac OS X/.test(userAgent)
        ? 'macOS'
        : /Windows/.test(userAgent)
          ? 'Windows'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : undefined;
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? 'Unknown device';
}

export async function startSession(
  tx: Executor,
  input: {
    readonly user: UserWithSecret;
    readonly device: DeviceInput;
    readonly method: SessionMethod;
    readonly ctx: RequestContext;
    readonly sessionMaxMs: number;
  },
  nowMs: number,
): Promise<StartedSession> {
  const now = new Date(nowMs);
  const device = await findOrCreateDevice(tx, input.user.id, input.device, input.ctx, now);
  const token = newToken('hbs');
  const session: Session = {
    id: newId('ses', nowMs),
    userId: input.user.id,
    deviceId: device.id,
    csrfToken: newToken('hbc'),
    method: input.method,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(nowMs + input.sessionMaxMs),
  };
  await tx.query(
    `INSERT INTO sessions (id, user_id, device_id, token_hash, csrf_token, method, ip, user_agent,
       created_at, last_seen_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)`,
    [
      session.id,
      session.userId,
      session.deviceId,
      tokenHash(token),
      session.csrfToken,
      session.method,
      input.ctx.ip,
      input.ctx.userAgent,
      now,
      session.expiresAt,
    ],
  );
  return {
    token,
    session,
    newDeviceToken: device.newToken,
    alertNewDevice: device.newToken !== undefined && device.hadOthers,
    deviceName: device.name,
  };
}

async function findOrCreateDevice(
  tx: Executor,
  userId: string,
  input: DeviceInput,
  ctx: RequestContext,
  now: Date,
): Promise<{ id: string; name: string; newToken: string | undefined; hadOthers: boolean }> {
  if (input.token !== undefined) {
    const { rows } = await tx.query<{ id: string; name: string }>(
      `UPDATE devices SET last_seen_at = $3, last_ip = $4, user_agent = $5,
         name = coalesce($6, name)
       WHERE token_hash = $1 AND user_id = $2 RETURNING id, name`,
      [tokenHash(input.token), userId, now, ctx.ip, ctx.userAgent, input.name ?? null],
    );
    if (rows[0] !== undefined) return { ...rows[0], newToken: undefined, hadOthers: true };
  }
  const { rows: others } = await tx.query('SELECT 1 FROM devices WHERE user_id = $1 LIMIT 1', [
    userId,
  ]);
  const token = newToken('hbd');
  const id = newId('dev', now.getTime());
  const name = input.name ?? deviceNameFrom(ctx.userAgent);
  await tx.query(
    `INSERT INTO devices (id, user_id, token_hash, name, user_agent, last_ip, created_at, last_seen_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
    [id, userId, tokenHash(token), name, ctx.userAgent, ctx.ip, now],
  );
  return { id, name, newToken: token, hadOthers: others.length > 0 };
}

interface SessionRow {
  session_id: string;
  device_id: string;
  csrf_token: string;
  method: SessionMethod;
  session_created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

export async function selectSessionByToken(
  db: Executor,
  token: string,
): Promise<{ session: Session; revoked: boolean; user: UserWithSecret } | undefined> {
  const { rows } = await db.query<SessionRow & Parameters<typeof userOf>[0]>({
    name: 'identity_session_by_token',
    text: `SELECT s.id AS session_id, s.device_id, s.csrf_token, s.method,
                  s.created_at AS session_created_at, s.last_seen_at, s.expires_at, s.revoked_at,
                  ${USER_COLUMNS}
             FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = $1`,
    values: [tokenHash(token)],
  });
  const row = rows[0];
  if (row === undefined) return undefined;
  const user = userOf(row);
  return {
    user,
    revoked: row.revoked_at !== null,
    session: {
      id: row.session_id,
      userId: user.id,
      deviceId: row.device_id,
      csrfToken: row.csrf_token,
      method: row.method,
      createdAt: row.session_created_at,
      lastSeenAt: row.last_seen_at,
      expiresAt: row.expires_at,
    },
  };
}

export async function touchSession(db: Executor, sessionId: string, now: Date): Promise<void> {
  await db.query({
    name: 'identity_touch_session',
    text: 'UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2',
    values: [sessionId, now],
  });
}

/** Whether a session is still usable (not revoked, not past its absolute lifetime). */
export async function sessionLive(db: Executor, sessionId: string, now: Date): Promise<boolean> {
  const { rows } = await db.query(
    'SELECT 1 FROM sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2',
    [sessionId, now],
  );
  return rows.length > 0;
}

/** Revokes sessions of a user: one by id, or all but one. Returns the ids revoked. */
export async function revokeSessions(
  tx: Executor,
  userId: string,
  which: { readonly only: string } | { readonly except: string | null },
  reason: RevokeReason,
  now: Date,
): Promise<string[]> {
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE sessions SET revoked_at = $3, revoked_reason = $4
      WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $3
        AND ${'only' in which ? 'id = $2' : '($2::text IS NULL OR id <> $2)'}
      RETURNING id`,
    [userId, 'only' in which ? which.only : which.except, now, reason],
  );
  return rows.map((r) => r.id);
}

export interface SessionListing {
  readonly id: string;
  readonly deviceId: string;
  readonly deviceName: string;
  readonly method: SessionMethod;
  readonly ip: string;
  readonly userAgent: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly expiresAt: Date;
}

/** The user's live sessions, newest first (expired and revoked ones are not listed). */
export async function listSessions(
  db: Executor,
  userId: string,
  idleMs: number,
  now: Date,
): Promise<SessionListing[]> {
  const { rows } = await db.query<{
    id: string;
    device_id: string;
    device_name: string;
    method: SessionMethod;
    ip: string;
    user_agent: string;
    created_at: Date;
    last_seen_at: Date;
    expires_at: Date;
  }>(
    `SELECT s.id, s.device_id, d.name AS device_name, s.method, s.ip, s.user_agent, s.created_at,
            s.last_seen_at, s.expires_at
       FROM sessions s JOIN devices d ON d.id = s.device_id
      WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
        AND s.last_seen_at > $2::timestamptz - make_interval(secs => $3::float8 / 1000)
      ORDER BY s.created_at DESC LIMIT $4`,
    [userId, now, idleMs, limits.sessionsListedMax],
  );
  return rows.map((r) => ({
    id: r.id,
    deviceId: r.device_id,
    deviceName: r.device_name,
    method: r.method,
    ip: r.ip,
    userAgent: r.user_agent,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.expires_at,
  }));
}

export interface DeviceListing {
  readonly id: string;
  readonly name: string;
  readonly lastIp: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
}

export async function listDevices(db: Executor, userId: string): Promise<DeviceListing[]> {
  const { rows } = await db.query<{
    id: string;
    name: string;
    last_ip: string;
    created_at: Date;
    last_seen_at: Date;
  }>(
    `SELECT id, name, last_ip, created_at, last_seen_at FROM devices
      WHERE user_id = $1 ORDER BY last_seen_at DESC LIMIT $2`,
    [userId, limits.sessionsListedMax],
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    lastIp: r.last_ip,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
  }));
}
