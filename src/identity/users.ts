import type { Executor } from '../db/index.js';
import type { Contact } from './contact.js';

/** The users table, written by hand; every function takes the executor first. */
export type Locale = 'zh-CN' | 'en';

export interface User {
  readonly id: string;
  readonly phone: string | null;
  readonly email: string | null;
  readonly contactVerified: boolean;
  readonly displayName: string;
  readonly locale: Locale;
  readonly avatarUrl: string | null;
  readonly consents: { readonly marketing: boolean; readonly personalisedOffers: boolean };
  readonly kycTier: 1 | 2 | 3;
  readonly createdAt: Date;
}

export interface UserWithSecret extends User {
  readonly passwordHash: string;
}

interface UserRow {
  id: string;
  phone: string | null;
  email: string | null;
  contact_verified_at: Date | null;
  display_name: string;
  locale: Locale;
  avatar_url: string | null;
  consent_marketing: boolean;
  consent_personalised_offers: boolean;
  kyc_tier: 1 | 2 | 3;
  created_at: Date;
  password_hash: string;
}

export const USER_COLUMNS = `u.id, u.phone, u.email, u.contact_verified_at, u.display_name, u.locale,
  u.avatar_url, u.consent_marketing, u.consent_personalised_offers, u.kyc_tier, u.created_at,
  u.password_hash`;

export function userOf(row: UserRow): UserWithSecret {
  return {
    id: row.id,
    phone: row.phone,
    email: row.email,
    contactVerified: row.contact_verified_at !== null,
    displayName: row.display_name,
    locale: row.locale,
    avatarUrl: row.avatar_url,
    consents: {
      marketing: row.consent_marketing,
      personalisedOffers: row.consent_personalised_offers,
    },
    kycTier: row.kyc_tier,
    createdAt: row.created_at,
    passwordHash: row.password_hash,
  };
}

/** Strips the password hash before a user leaves the module. */
export function publicUser(user: UserWithSecret): User {
  const { passwordHash: _hash, ...rest } = user;
  return rest;
}

export async function insertUser(
  tx: Executor,
  user: {
    readonly id: string;
    readonly contact: Contact;
    readonly passwordHash: string;
    readonly displayName: string;
    readonly locale: Locale;
  },
  now: Date,
): Promise<UserWithSecret> {
  const { rows } = await tx.query<UserRow>(
    `INSERT INTO users AS u (id, phone, email, password_hash, password_changed_at, display_name,
       locale, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $6, $5, $7, $6, $6)
     RETURNING ${USER_COLUMNS}`,
    [
      user.id,
      user.contact.kind === 'phone' ? user.contact.value : null,
      user.contact.kind === 'email' ? user.contact.value : null,
      user.passwordHash,
      user.displayName,
      now,
      user.locale,
    ],
  );
  return userOf(rows[0]!);
}

export async function selectUserByContact(
  db: Executor,
  contact: Contact,
  lock = false,
): Promise<UserWithSecret | undefined> {
  const column = contact.kind === 'phone' ? 'phone' : 'email';
  const { rows } = await db.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM users u WHERE u.${column} = $1${lock ? ' FOR UPDATE' : ''}`,
    [contact.value],
  );
  return rows[0] === undefined ? undefined : userOf(rows[0]);
}

export async function selectUser(
  db: Executor,
  userId: string,
  lock = false,
): Promise<UserWithSecret | undefined> {
  const { rows } = await db.query<UserRow>({
    name: lock ? 'identity_user_for_update' : 'identity_user',
    text: `SELECT ${USER_COLUMNS} FROM users u WHERE u.id = $1${lock ? ' FOR UPDATE' : ''}`,
    values: [userId],
  });
  return rows[0] === undefined ? undefined : userOf(rows[0]);
}

export interface ProfilePatch {
  readonly displayName?: string;
  readonly locale?: Locale;
  readonly avatarUrl?: string | null;
  readonly consents?: { readonly marketing?: boolean; readonly personalisedOffers?: boolean };
}

export async function updateProfile(
  tx: Executor,
  userId: string,
  patch: ProfilePatch,
  now: Date,
): Promise<UserWithSecret> {
  const { rows } = await tx.query<UserRow>(
    `UPDATE users AS u SET
       display_name = coalesce($2, display_name),
       locale = coalesce($3, locale),
       avatar_url = CASE WHEN $4 THEN $5 ELSE avatar_url END,
       consent_marketing = coalesce($6, consent_marketing),
       consent_personalised_offers = coalesce($7, consent_personalised_offers),
       updated_at = $8
     WHERE id = $1
     RETURNING ${USER_COLUMNS}`,
    [
      userId,
      patch.displayName ?? null,
      patch.locale ?? null,
      patch.avatarUrl !== undefined,
      patch.avatarUrl ?? null,
      patch.consents?.marketing ?? null,
      patch.consents?.personalisedOffers ?? null,
      now,
    ],
  );
  return userOf(rows[0]!);
}

export async function setPassword(
  tx: Executor,
  userId: string,
  passwordHash: string,
  now: Date,
): Promise<void> {
  await tx.query(
    `UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3 WHERE id = $1`,
    [userId, passwordHash, now],
  );
}

export async function markContactVerified(tx: Executor, userId: string, now: Date): Promise<void> {
  await tx.query(
    'UPDATE users SET contact_verified_at = $2, updated_at = $2 WHERE id = $1 AND contact_verified_at IS NULL',
    [userId, now],
  );
}
