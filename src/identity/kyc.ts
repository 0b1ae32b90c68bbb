/**
 * Real-name verification in tiers (PRODUCT.md, "Accounts, identity and limits"): tier 1 is a
 * verified contact, tier 2 a real name with an identity document that passed the automatic
 * checks, tier 3 a tier-2 user whose request an operator approved.
 *
 * The name and the document number are stored encrypted and leave this module only masked. The
 * same document may verify one user only; a blind index (a keyed hash of the normalized number)
 * with a UNIQUE constraint enforces that without storing the number in searchable form.
 */
import { appendAudit } from '../audit/index.js';
import { withTransaction, sqlState, SQLSTATE, type Executor, type Pool } from '../db/index.js';
import { assert } from '../lib/assert.js';
import type { Clock } from '../lib/clock.js';
import { failure, type CodeSpec, type Failure } from '../lib/code-spec.js';
import { decryptField, encryptField, keyedHash, type Keyring } from '../lib/encryption.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';
import { parseLogin } from './contact.js';
import { maskIdNumber, maskName } from './mask.js';
import { calendarDateAt } from './payment-limits-core.js';
import { parsePrcId, type CalendarDate, type PrcIdFailureReason } from './prc-id.js';
import type { RequestContext } from './sessions.js';

export const kycCodes = {
  kyc_document_type_not_allowed: {
    status: 400,
    retryable: false,
    title: {
      en: 'This type of identity document is not accepted',
      'zh-CN': '不支持该类型的身份证件',
    },
  },
  kyc_id_number_invalid: {
    status: 400,
    retryable: false,
    title: { en: 'Not a valid identity document number', 'zh-CN': '证件号码无效' },
  },
  kyc_underage: {
    status: 403,
    retryable: false,
    title: {
      en: 'The document holder must be at least 16 years old',
      'zh-CN': '证件持有人须年满 16 周岁',
    },
  },
  kyc_name_invalid: {
    status: 400,
    retryable: false,
    title: {
      en: 'The name must be 2 to 64 letters as on the identity document',
      'zh-CN': '姓名须为 2 至 64 个字，与证件一致',
    },
  },
  kyc_document_in_use: {
    status: 409,
    retryable: false,
    title: {
      en: 'This identity document already verifies another account',
      'zh-CN': '该证件已用于其他账户的实名认证',
    },
  },
  kyc_already_verified: {
    status: 409,
    retryable: false,
    title: { en: 'Your real name is already verified', 'zh-CN': '已完成实名认证' },
  },
  kyc_tier2_required: {
    status: 403,
    retryable: false,
    title: { en: 'Verify your real name first', 'zh-CN': '请先完成实名认证' },
  },
  kyc_review_pending: {
    status: 409,
    retryable: false,
    title: {
      en: 'A review request is already waiting for a decision',
      'zh-CN': '已有待审核的申请',
    },
  },
  kyc_review_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such review request', 'zh-CN': '审核申请不存在' },
  },
  kyc_review_decided: {
    status: 409,
    retryable: false,
    title: { en: 'This review request is already decided', 'zh-CN': '该审核申请已处理' },
  },
  kyc_review_own_request: {
    status: 403,
    retryable: false,
    title: {
      en: 'Operators may not review their own request',
      'zh-CN': '操作员不能审核自己的申请',
    },
  },
  kyc_review_reason_required: {
    status: 400,
    retryable: false,
    title: { en: 'A rejection needs a reason', 'zh-CN': '拒绝时须填写原因' },
  },
  kyc_review_reason_too_long: {
    status: 400,
    retryable: false,
    title: { en: 'The reason is too long', 'zh-CN': '原因过长' },
  },
  operator_required: {
    status: 403,
    retryable: false,
    title: { en: 'Only operators may do this', 'zh-CN': '仅限操作员执行此操作' },
  },
} as const satisfies Record<string, CodeSpec>;

export type KycCode = keyof typeof kycCodes;
export type KycFailure = Failure<KycCode | 'contact_not_verified'>;
export type KycResult<T> = ({ readonly ok: true } & T) | KycFailure;

/** Below this age (in whole years, on the day of submission) nobody may verify. */
export const KYC_MINIMUM_AGE_YEARS = 16;
export const KYC_NAME_LENGTH_MIN = 2;
export const KYC_NAME_LENGTH_MAX = 64;
export const KYC_REVIEW_REASON_LENGTH_MAX = limits.kycReviewReasonLengthMax;

/**
 * The identity documents this module can check. The configuration (config.ts) chooses which of
 * them an installation accepts; identity may not import it, so the list is spelled here too and a
 * test keeps the two equal.
 */
export const KYC_DOCUMENT_TYPES = [
  'prc_id',
  'hk_macao_permit',
  'taiwan_permit',
  'passport',
] as const;
export type KycDocumentType = (typeof KYC_DOCUMENT_TYPES)[number];

export type OperatorRole = 'compliance' | 'admin';
export type Tier3State = 'none' | 'pending' | 'approved' | 'rejected';

export interface KycSubmission {
  readonly realName: string;
  readonly documentType: string;
  readonly documentNumber: string;
}

export interface Tier3Status {
  readonly status: Tier3State;
  readonly requestId?: string;
  readonly requestedAt?: Date;
  readonly reviewedAt?: Date;
  readonly reason?: string;
}

/** What a user (or an operator) sees: masked values only. */
export interface KycStatus {
  readonly tier: 1 | 2 | 3;
  readonly realNameMasked: string | null;
  readonly documentType: KycDocumentType | null;
  readonly documentNumberMasked: string | null;
  readonly verifiedAt: Date | null;
  readonly tier3: Tier3Status;
}

export interface PendingReview {
  readonly requestId: string;
  readonly userId: string;
  readonly requestedAt: Date;
  readonly realNameMasked: string;
  readonly documentType: KycDocumentType;
  readonly documentNumberMasked: string;
  readonly verifiedAt: Date;
}

export interface ReviewDecision {
  readonly decision: 'approve' | 'reject';
  readonly reason: string;
}

export interface KycDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly keyring: Keyring;
  readonly hmacKey: Buffer;
  /** The documents accepted, from the configuration. */
  readonly documentTypes: readonly KycDocumentType[];
  /** The time zone whose calendar decides a holder's age. */
  readonly timeZone: string;
}

export interface KycService {
  submit(
    userId: string,
    input: KycSubmission,
    ctx: RequestContext,
  ): Promise<KycResult<{ status: KycStatus }>>;
  status(userId: string): Promise<KycStatus>;
  requestTier3(
    userId: string,
    ctx: RequestContext,
  ): Promise<KycResult<{ requestId: string; requestedAt: Date }>>;
  reviewTier3(
    operatorUserId: string,
    requestId: string,
    decision: ReviewDecision,
    ctx: RequestContext,
  ): Promise<KycResult<{ userId: string; status: 'approved' | 'rejected'; tier: 2 | 3 }>>;
  /** The oldest open tier-3 requests first, at most `limit` (1 to pageSizeMax). */
  listPendingReviews(
    limit: number,
  ): Promise<{ readonly data: PendingReview[]; readonly hasMore: boolean }>;
}

// ---------------------------------------------------------------------------------------------
// The automatic checks: pure, so that tests can give them any date.

const MIDDLE_DOTS = /[\u00B7\u2022\u2027\u2219\u30FB\uFF0E\uFF65]/gu;
const NAME_PATTERN = /^\p{L}[\p{L}\p{M}· ]*[\p{L}\p{M}]$/u;

/**
 * A real name as the document shows it, in one stored spelling: NFC, white space trimmed and
 * collapsed to single spaces, and the middle-dot look-alikes that phone keyboards produce for
 * names such as 买买提·艾力 turned into U+00B7. Letters (any script, CJK included), combining
 * marks, middle dots and spaces only; it starts and ends with a letter and never has two
 * separators in a row. Undefined when the name cannot be a real name.
 */
export function normalizeRealName(input: string): string | undefined {
  const name = input.normalize('NFC').trim().replace(/\s+/gu, ' ').replace(MIDDLE_DOTS, '·');
  const length = Array.from(name).length;
  if (length < KYC_NAME_LENGTH_MIN || length > KYC_NAME_LENGTH_MAX) return undefined;
  if (!NAME_PATTERN.test(name) || /[· ]{2}/u.test(name)) return undefined;
  return name;
}

/** Whole years from a YYYY-MM-DD birth date to `today`; a 29 February birthday falls on 1 March. */
export function ageOn(birthDate: string, today: CalendarDate): number {
  const [year, month, day] = birthDate.split('-').map(Number);
  assert(year !== undefined && month !== undefined && day !== undefined, 'birth date shape');
  const beforeBirthday = today.month < month || (today.month === month && today.day < day);
  return today.year - year - (beforeBirthday ? 1 : 0);
}

const PRC_ID_DETAIL: Readonly<Record<PrcIdFailureReason, string>> = {
  length: 'A resident identity card number has 18 characters (length).',
  characters: 'Use 17 digits followed by a digit or X (characters).',
  region: 'The first six digits are not a region code (region).',
  birth_date: 'Digits 7 to 14 are not a possible birth date (birth_date).',
  check_digit:
    'The last character does not match the others; look for a typing mistake (check_digit).',
};

const OTHER_DOCUMENT_PATTERN = /^[A-Z0-9]{5,20}$/;

export interface CheckedSubmission {
  readonly realName: string;
  readonly documentType: KycDocumentType;
  /** The one spelling of the number that is stored and hashed. */
  readonly documentNumber: string;
}

/**
 * The automatic checks of a submission, in the order a user fixes them: the document type, the
 * number, the holder's age (only a PRC identity card tells the birth date; for the other documents
 * the verification provider checks it), then the name.
 */
export function checkSubmission(
  input: KycSubmission,
  accepted: readonly KycDocumentType[],
  today: CalendarDate,
): KycResult<CheckedSubmission> {
  const documentType = accepted.find((t) => t === input.documentType);
  if (documentType === undefined) {
    return failure('kyc_document_type_not_allowed', {
      param: 'document_type',
      detail: `Accepted documents: ${accepted.join(', ')}.`,
    });
  }
  const number = input.documentNumber.normalize('NFKC').trim();
  let documentNumber: string;
  if (documentType === 'prc_id') {
    const parsed = parsePrcId(number, today);
    if (!parsed.ok) {
      const detail = PRC_ID_DETAIL[parsed.reason];
      return failure('kyc_id_number_invalid', { param: 'document_number', detail });
    }
    if (ageOn(parsed.birthDate, today) < KYC_MINIMUM_AGE_YEARS) {
      const detail = `The holder must be at least ${KYC_MINIMUM_AGE_YEARS} years old.`;
      return failure('kyc_underage', { param: 'document_number', detail });
    }
    documentNumber = parsed.normalized;
  } else {
    documentNumber = number.toUpperCase();
    if (!OTHER_DOCUMENT_PATTERN.test(documentNumber)) {
      const detail = 'Use the 5 to 20 letters and digits printed on the document.';
      return failure('kyc_id_number_invalid', { param: 'document_number', detail });
    }
  }
  const realName = normalizeRealName(input.realName);
  if (realName === undefined) return failure('kyc_name_invalid', { param: 'real_name' });
  return { ok: true, realName, documentType, documentNumber };
}

// ---------------------------------------------------------------------------------------------
// SQL

interface UserStateRow {
  kyc_tier: 1 | 2 | 3;
  contact_verified_at: Date | null;
}

async function lockUser(tx: Executor, userId: string): Promise<UserStateRow> {
  const { rows } = await tx.query<UserStateRow>(
    'SELECT kyc_tier, contact_verified_at FROM users WHERE id = $1 FOR UPDATE',
    [userId],
  );
  assert(rows[0] !== undefined, `KYC asked about unknown user ${userId}`);
  return rows[0];
}

interface StatusRow {
  kyc_tier: 1 | 2 | 3;
  document_type: KycDocumentType | null;
  real_name_encrypted: string | null;
  document_number_encrypted: string | null;
  verified_at: Date | null;
  review_id: string | null;
  review_status: Exclude<Tier3State, 'none'> | null;
  requested_at: Date | null;
  reviewed_at: Date | null;
  reason: string | null;
}

/**
 * The user's current tier-3 request is the open one if there is one (a request can only be made
 * while none is open, so it is the newest), else the one decided last.
 */
async function selectStatus(db: Executor, userId: string): Promise<StatusRow> {
  const { rows } = await db.query<StatusRow>(
    `SELECT u.kyc_tier, v.document_type, v.real_name_encrypted, v.document_number_encrypted,
            v.verified_at, r.id AS review_id, r.status AS review_status, r.requested_at,
            r.reviewed_at, r.reason
       FROM users u
       LEFT JOIN kyc_verifications v ON v.user_id = u.id
       LEFT JOIN LATERAL (
         SELECT * FROM kyc_reviews WHERE user_id = u.id
          ORDER BY status = 'pending' DESC, reviewed_at DESC, id DESC
          LIMIT 1
       ) r ON true
      WHERE u.id = $1`,
    [userId],
  );
  assert(rows[0] !== undefined, `KYC status asked for unknown user ${userId}`);
  return rows[0];
}

interface ReviewRow {
  id: string;
  user_id: string;
  status: Exclude<Tier3State, 'none'>;
}

function newReviewId(nowMs: number): string {
  return newId('kyr', nowMs);
}

function constraintOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('constraint' in error)) return undefined;
  const constraint = (error as { constraint: unknown }).constraint;
  return typeof constraint === 'string' ? constraint : undefined;
}

/** Operators are users with a role; the back office is open to them only. */
export async function operatorRoleOf(db: Executor, userId: string): Promise<OperatorRole | null> {
  const { rows } = await db.query<{ operator_role: OperatorRole | null }>(
    'SELECT operator_role FROM users WHERE id = $1',
    [userId],
  );
  return rows[0]?.operator_role ?? null;
}

export async function isOperator(db: Executor, userId: string): Promise<boolean> {
  return (await operatorRoleOf(db, userId)) !== null;
}

/**
 * Gives the user with this login (a phone number or email, normalized as at sign-in) an operator
 * role, or takes it away with `null`, and records it in the audit log as a system action (the
 * CLI is the only caller). Returns the user's id, or undefined when no user has that login.
 */
export async function grantOperator(
  pool: Pool,
  login: string,
  role: OperatorRole | null,
  now: Date,
): Promise<string | undefined> {
  const contact = parseLogin(login);
  if (contact === undefined) return undefined;
  const column = contact.kind === 'phone' ? 'phone' : 'email';
  return withTransaction(pool, async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `UPDATE users SET operator_role = $2, updated_at = $3 WHERE ${column} = $1 RETURNING id`,
      [contact.value, role, now],
    );
    const userId = rows[0]?.id;
    if (userId === undefined) return undefined;
    await appendAudit(tx, {
      occurredAt: now,
      actorType: 'system',
      actorId: null,
      subjectUserId: userId,
      action: role === null ? 'operator.revoked' : 'operator.granted',
      ip: null,
      detail: { role },
    });
    return userId;
  });
}

// ---------------------------------------------------------------------------------------------
// The service

export function createKycService(deps: KycDeps): KycService {
  const { pool, clock, keyring } = deps;
  const nameAad = (userId: string) => `${userId}/real_name`;
  const numberAad = (userId: string) => `${userId}/document_number`;

  async function submit(
    userId: string,
    input: KycSubmission,
    ctx: RequestContext,
  ): Promise<KycResult<{ status: KycStatus }>> {
    const nowMs = clock.nowMs();
    const now = new Date(nowMs);
    const today = calendarDateAt(nowMs, deps.timeZone);
    const checked = checkSubmission(input, deps.documentTypes, today);
    if (!checked.ok) return checked;
    const { realName, documentType, documentNumber } = checked;
    const blindIndex = keyedHash(deps.hmacKey, 'kyc-document', documentType, documentNumber);
    try {
      const done = await withTransaction(pool, async (tx): Promise<KycResult<object>> => {
        const user = await lockUser(tx, userId);
        if (user.contact_verified_at === null) return failure('contact_not_verified');
        if (user.kyc_tier >= 2) return failure('kyc_already_verified');
        // A row can remain from before an operator lowered the tier; verifying again replaces it.
        await tx.query(
          `INSERT INTO kyc_verifications (user_id, document_type, real_name_encrypted,
             document_number_encrypted, document_blind_index, verified_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (user_id) DO UPDATE SET document_type = $2, real_name_encrypted = $3,
             document_number_encrypted = $4, document_blind_index = $5, verified_at = $6`,
          [
            userId,
            documentType,
            encryptField(keyring, realName, nameAad(userId)),
            encryptField(keyring, documentNumber, numberAad(userId)),
            blindIndex,
            now,
          ],
        );
        await tx.query('UPDATE users SET kyc_tier = 2, updated_at = $2 WHERE id = $1', [
          userId,
          now,
        ]);
        await appendAudit(tx, {
          occurredAt: now,
          actorType: 'user',
          actorId: userId,
          subjectUserId: userId,
          action: 'kyc.verified',
          ip: ctx.ip,
          detail: { tier: 2, document_type: documentType },
        });
        return { ok: true };
      });
      if (!done.ok) return done;
    } catch (error) {
      if (
        sqlState(error) === SQLSTATE.uniqueViolation &&
        constraintOf(error) === 'kyc_verifications_document_unique'
      ) {
        return failure('kyc_document_in_use', { param: 'document_number' });
      }
      throw error;
    }
    return { ok: true, status: await status(userId) };
  }

  function unmask(userId: string, nameEnvelope: string, numberEnvelope: string) {
    return {
      realNameMasked: maskName(decryptField(keyring, nameEnvelope, nameAad(userId))),
      documentNumberMasked: maskIdNumber(decryptField(keyring, numberEnvelope, numberAad(userId))),
    };
  }

  async function status(userId: string): Promise<KycStatus> {
    const row = await selectStatus(pool, userId);
    const verified =
      row.real_name_encrypted !== null && row.document_number_encrypted !== null
        ? unmask(userId, row.real_name_encrypted, row.document_number_encrypted)
        : { realNameMasked: null, documentNumberMasked: null };
    return {
      tier: row.kyc_tier,
      ...verified,
      documentType: row.document_type,
      verifiedAt: row.verified_at,
      tier3: tier3Of(row),
    };
  }

  async function requestTier3(
    userId: string,
    ctx: RequestContext,
  ): Promise<KycResult<{ requestId: string; requestedAt: Date }>> {
    const nowMs = clock.nowMs();
    const now = new Date(nowMs);
    const requestId = newReviewId(nowMs);
    return withTransaction(pool, async (tx) => {
      // The user's row lock makes two requests of one user take turns, so the check below is
      // enough; the partial unique index kyc_reviews_one_open stands behind it.
      const user = await lockUser(tx, userId);
      if (user.kyc_tier < 2) return failure('kyc_tier2_required');
      if (user.kyc_tier === 3) return failure('kyc_already_verified');
      const { rows } = await tx.query(
        `SELECT 1 FROM kyc_reviews WHERE user_id = $1 AND status = 'pending'`,
        [userId],
      );
      if (rows.length > 0) return failure('kyc_review_pending');
      await tx.query(
        `INSERT INTO kyc_reviews (id, user_id, status, requested_at) VALUES ($1, $2, 'pending', $3)`,
        [requestId, userId, now],
      );
      await appendAudit(tx, {
        occurredAt: now,
        actorType: 'user',
        actorId: userId,
        subjectUserId: userId,
        action: 'kyc.tier3_requested',
        ip: ctx.ip,
        detail: { request_id: requestId },
      });
      return { ok: true as const, requestId, requestedAt: now };
    });
  }

  async function reviewTier3(
    operatorUserId: string,
    requestId: string,
    decision: ReviewDecision,
    ctx: RequestContext,
  ): Promise<KycResult<{ userId: string; status: 'approved' | 'rejected'; tier: 2 | 3 }>> {
    const reason = reasonOf(decision);
    if (!reason.ok) return reason;
    const now = new Date(clock.nowMs());
    return withTransaction(pool, async (tx) => {
      if (!(await isOperator(tx, operatorUserId))) return failure('operator_required');
      const found = await lockReview(tx, requestId);
      if (!found.ok) return found;
      const { review } = found;
      if (review.user_id === operatorUserId) return failure('kyc_review_own_request');
      const approved = decision.decision === 'approve';
      const status = approved ? 'approved' : 'rejected';
      await tx.query(
        `UPDATE kyc_reviews SET status = $2, reviewed_at = $3, reviewer_id = $4, reason = $5
          WHERE id = $1`,
        [requestId, status, now, operatorUserId, reason.reason],
      );
      if (approved) {
        const { rowCount } = await tx.query(
          'UPDATE users SET kyc_tier = 3, updated_at = $2 WHERE id = $1 AND kyc_tier = 2',
          [review.user_id, now],
        );
        assert(rowCount === 1, `tier-3 request ${requestId} is for a user not at tier 2`);
      }
      await appendAudit(tx, {
        occurredAt: now,
        actorType: 'operator',
        actorId: operatorUserId,
        subjectUserId: review.user_id,
        action: approved ? 'kyc.tier3_approved' : 'kyc.tier3_rejected',
        ip: ctx.ip,
        detail: { request_id: requestId, tier: approved ? 3 : 2 },
      });
      return { ok: true as const, userId: review.user_id, status, tier: approved ? 3 : 2 };
    });
  }

  async function listPendingReviews(
    limit: number,
  ): Promise<{ readonly data: PendingReview[]; readonly hasMore: boolean }> {
    assert(
      Number.isInteger(limit) && limit >= 1 && limit <= limits.pageSizeMax,
      `review page size must be 1..${limits.pageSizeMax}, got ${limit}`,
    );
    const { rows } = await pool.query<{
      id: string;
      user_id: string;
      requested_at: Date;
      document_type: KycDocumentType;
      real_name_encrypted: string;
      document_number_encrypted: string;
      verified_at: Date;
    }>(
      `SELECT r.id, r.user_id, r.requested_at, v.document_type, v.real_name_encrypted,
              v.document_number_encrypted, v.verified_at
         FROM kyc_reviews r JOIN kyc_verifications v ON v.user_id = r.user_id
        WHERE r.status = 'pending'
        ORDER BY r.requested_at, r.id
        LIMIT $1`,
      [limit + 1],
    );
    const data = rows.slice(0, limit).map((row) => ({
      requestId: row.id,
      userId: row.user_id,
      requestedAt: row.requested_at,
      ...unmask(row.user_id, row.real_name_encrypted, row.document_number_encrypted),
      documentType: row.document_type,
      verifiedAt: row.verified_at,
    }));
    return { data, hasMore: rows.length > limit };
  }

  return { submit, status, requestTier3, reviewTier3, listPendingReviews };
}

function tier3Of(row: StatusRow): Tier3Status {
  if (row.review_id === null || row.review_status === null || row.requested_at === null) {
    return { status: 'none' };
  }
  return {
    status: row.review_status,
    requestId: row.review_id,
    requestedAt: row.requested_at,
    ...(row.reviewed_at === null ? {} : { reviewedAt: row.reviewed_at }),
    ...(row.reason === null ? {} : { reason: row.reason }),
  };
}

/** A rejection must say why, because the user sees the reason; an approval may. */
function reasonOf(decision: ReviewDecision): KycResult<{ reason: string | null }> {
  const reason = decision.reason.trim();
  if (Array.from(reason).length > KYC_REVIEW_REASON_LENGTH_MAX) {
    const detail = `Use at most ${KYC_REVIEW_REASON_LENGTH_MAX} characters.`;
    return failure('kyc_review_reason_too_long', { param: 'reason', detail });
  }
  if (reason === '' && decision.decision === 'reject') {
    return failure('kyc_review_reason_required', { param: 'reason' });
  }
  return { ok: true, reason: reason === '' ? null : reason };
}

/**
 * Locks a review request after its user: every writer locks the user row first (requestTier3
 * does), so a review and a new request of the same user cannot wait on each other in a cycle.
 */
async function lockReview(
  tx: Executor,
  requestId: string,
): Promise<KycResult<{ review: ReviewRow }>> {
  const { rows: found } = await tx.query<{ user_id: string }>(
    // Cast, so that a malformed id is simply not found rather than a domain violation.
    'SELECT user_id FROM kyc_reviews WHERE id = $1::text',
    [requestId],
  );
  const userId = found[0]?.user_id;
  if (userId === undefined) return failure('kyc_review_not_found');
  await lockUser(tx, userId);
  const { rows } = await tx.query<ReviewRow>(
    'SELECT id, user_id, status FROM kyc_reviews WHERE id = $1::text FOR UPDATE',
    [requestId],
  );
  const review = rows[0];
  assert(review !== undefined, `review ${requestId} vanished`);
  if (review.status !== 'pending') return failure('kyc_review_decided');
  return { ok: true, review };
}
