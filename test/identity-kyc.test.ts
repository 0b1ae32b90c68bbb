/**
 * Real-name verification on the real database: the automatic checks, what is stored (ciphertext
 * only) and shown (masked only), that a refused submission writes nothing, one document per user,
 * key rotation, and the tier-3 review by an operator.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { kycDocumentTypes } from '../src/config.js';
import { parseKeyring, type Keyring } from '../src/lib/encryption.js';
import { manualClock } from '../src/lib/clock.js';
import {
  KYC_DOCUMENT_TYPES,
  ageOn,
  createKycService,
  grantOperator,
  isOperator,
  normalizeRealName,
  operatorRoleOf,
  type KycDocumentType,
  type KycService,
} from '../src/identity/kyc.js';
import { prcIdCheckCharacter } from '../src/identity/prc-id.js';
import { insertUser } from './identity-fixtures.js';
import { createTestDatabase, type TestDatabase } from './db.js';

const ZONE = 'Asia/Shanghai';
// 2025-06-15 12:00 in Shanghai.
const NOW_MS = Date.parse('2025-06-15T04:00:00Z');
const ctx = { ip: '203.0.113.7', userAgent: 'vitest' };

let db: TestDatabase;
const hmacKey = randomBytes(32);
const keyText = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const firstKey = keyText('k1');

beforeAll(async () => {
  db = await createTestDatabase();
});

function service(
  options: {
    keyring?: Keyring;
    documentTypes?: readonly KycDocumentType[];
    nowMs?: number;
  } = {},
): KycService {
  return createKycService({
    pool: db.pool,
    clock: manualClock(options.nowMs ?? NOW_MS),
    keyring: options.keyring ?? parseKeyring(firstKey),
    hmacKey,
    documentTypes: options.documentTypes ?? ['prc_id'],
    timeZone: ZONE,
  });
}

interface TestUser {
  readonly id: string;
  readonly phone: string;
}

async function newUser(options: { verified?: boolean; tier?: 1 | 2 | 3 } = {}): Promise<TestUser> {
  return insertUser(db.pool, { nowMs: NOW_MS, ...options });
}

const withCheck = (first17: string) => first17 + prcIdCheckCharacter(first17);

/** A valid PRC identity card number with this birth date (YYYYMMDD) and a random region. */
function prcId(birth = '19900307'): string {
  const sequence = String(randomInt(0, 1000)).padStart(3, '0');
  return withCheck(`${randomInt(110_000, 660_000)}${birth}${sequence}`);
}

async function tierOf(userId: string): Promise<number> {
  const { rows } = await db.pool.query<{ kyc_tier: number }>(
    'SELECT kyc_tier FROM users WHERE id = $1',
    [userId],
  );
  return rows[0]!.kyc_tier;
}

async function auditOf(userId: string) {
  const { rows } = await db.pool.query<{
    action: string;
    actor_type: string;
    actor_id: string | null;
    detail: Record<string, unknown>;
  }>(
    'SELECT action, actor_type, actor_id, detail FROM audit_log WHERE subject_user_id = $1 ORDER BY seq',
    [userId],
  );
  return rows;
}

async function verificationRow(userId: string) {
  const { rows } = await db.pool.query<{
    document_type: string;
    real_name_encrypted: string;
    document_number_encrypted: string;
    document_blind_index: Buffer;
  }>('SELECT * FROM kyc_verifications WHERE user_id = $1', [userId]);
  return rows[0];
}

async function expectNothingWritten(userId: string, tier = 1): Promise<void> {
  expect(await verificationRow(userId)).toBeUndefined();
  expect(await tierOf(userId)).toBe(tier);
  expect(await auditOf(userId)).toEqual([]);
}

describe('submit', () => {
  it('verifies a user: tier 2, ciphertext stored, masked values shown, audited', async () => {
    const kyc = service();
    const user = await newUser();
    const number = prcId();
    const result = await kyc.submit(
      user.id,
      { realName: '欧阳娜娜', documentType: 'prc_id', documentNumber: number },
      ctx,
    );
    const expected = {
      tier: 2,
      realNameMasked: '***娜',
      documentType: 'prc_id',
      documentNumberMasked: `${number[0]}${'*'.repeat(16)}${number[17]}`,
      verifiedAt: new Date(NOW_MS),
      tier3: { status: 'none' },
    };
    expect(result).toEqual({ ok: true, status: expected });
    expect(await kyc.status(user.id)).toEqual(expected);
    expect(await tierOf(user.id)).toBe(2);

    const row = (await verificationRow(user.id))!;
    for (const stored of [row.real_name_encrypted, row.document_number_encrypted]) {
      expect(stored).toMatch(/^v1\.k1\./);
      expect(stored).not.toContain(number);
      expect(stored).not.toContain(number.slice(6, 14));
      expect(stored).not.toContain('欧阳');
    }
    expect(row.document_blind_index).toHaveLength(32);

    const audit = await auditOf(user.id);
    expect(audit).toEqual([
      {
        action: 'kyc.verified',
        actor_type: 'user',
        actor_id: user.id,
        detail: { tier: 2, document_type: 'prc_id' },
      },
    ]);
  });

  it('binds each ciphertext to its user and field', async () => {
    const kyc = service();
    const [a, b] = [await newUser(), await newUser()];
    for (const user of [a, b]) {
      const input = { realName: '张三', documentType: 'prc_id', documentNumber: prcId() };
      expect((await kyc.submit(user.id, input, ctx)).ok).toBe(true);
    }
    // Someone with write access moves a's encrypted name onto b's row: it no longer opens.
    await db.pool.query(
      `UPDATE kyc_verifications SET real_name_encrypted =
         (SELECT real_name_encrypted FROM kyc_verifications WHERE user_id = $1) WHERE user_id = $2`,
      [a.id, b.id],
    );
    await expect(kyc.status(b.id)).rejects.toThrow(/authentication failed/);
  });

  it('accepts a lower-case x and full-width digits, storing one spelling', async () => {
    const kyc = service();
    const [first, second] = [await newUser(), await newUser()];
    let number = prcId();
    while (!number.endsWith('X')) number = prcId();
    const typed = number
      .slice(0, 17)
      .replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)))
      .concat('x');
    const input = { realName: '李四', documentType: 'prc_id', documentNumber: ` ${typed} ` };
    expect((await kyc.submit(first.id, input, ctx)).ok).toBe(true);
    expect((await kyc.status(first.id)).documentNumberMasked).toBe(
      `${number[0]}${'*'.repeat(16)}X`,
    );
    // The same document typed the usual way is the same document.
    const again = { realName: '李四', documentType: 'prc_id', documentNumber: number };
    expect(await kyc.submit(second.id, again, ctx)).toMatchObject({ code: 'kyc_document_in_use' });
  });

  it('accepts the other configured documents with a plausible number', async () => {
    const kyc = service({ documentTypes: ['prc_id', 'passport', 'hk_macao_permit'] });
    const user = await newUser();
    const number = `E${randomInt(10_000_000, 99_999_999)}`;
    const result = await kyc.submit(
      user.id,
      { realName: 'Alice  Smith', documentType: 'passport', documentNumber: number.toLowerCase() },
      ctx,
    );
    expect(result).toMatchObject({
      ok: true,
      status: {
        tier: 2,
        realNameMasked: 'A**** *****',
        documentType: 'passport',
        documentNumberMasked: `E${'*'.repeat(7)}${number.at(-1)}`,
      },
    });
  });

  it('gives one document to one user only', async () => {
    const kyc = service();
    const [first, second] = [await newUser(), await newUser()];
    const number = prcId();
    const input = { realName: '王五', documentType: 'prc_id', documentNumber: number };
    expect((await kyc.submit(first.id, input, ctx)).ok).toBe(true);
    const result = await kyc.submit(second.id, { ...input, realName: '王六' }, ctx);
    expect(result).toEqual({ ok: false, code: 'kyc_document_in_use', param: 'document_number' });
    await expectNothingWritten(second.id);
    // The same number as another type of document is another document.
    const other = service({ documentTypes: ['passport'] });
    const asPassport = { realName: '王六', documentType: 'passport', documentNumber: number };
    expect((await other.submit(second.id, asPassport, ctx)).ok).toBe(true);
  });

  it('lets exactly one of several users racing with one document win', async () => {
    const kyc = service();
    const users = await Promise.all(Array.from({ length: 8 }, () => newUser()));
    const number = prcId();
    const results = await Promise.all(
      users.map((u) =>
        kyc.submit(u.id, { realName: '赵六', documentType: 'prc_id', documentNumber: number }, ctx),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.code))).toEqual(
      Array(7).fill('kyc_document_in_use'),
    );
  });

  it('checks the age on the calendar of the configured time zone', async () => {
    const kyc = service();
    // Born 2009-06-15: 16 today in Shanghai.
    const user = await newUser();
    const input = { realName: '孙七', documentType: 'prc_id', documentNumber: prcId('20090615') };
    expect((await kyc.submit(user.id, input, ctx)).ok).toBe(true);
    // 2025-06-15 00:30 in Shanghai is still 2025-06-14 in UTC: 16 in Shanghai, 15 in UTC.
    const justAfterMidnight = Date.parse('2025-06-14T16:30:00Z');
    const shanghai = service({ nowMs: justAfterMidnight });
    const another = await newUser();
    const birthday = { ...input, documentNumber: prcId('20090615') };
    expect((await shanghai.submit(another.id, birthday, ctx)).ok).toBe(true);
    const utc = createKycService({
      pool: db.pool,
      clock: manualClock(justAfterMidnight),
      keyring: parseKeyring(firstKey),
      hmacKey,
      documentTypes: ['prc_id'],
      timeZone: 'UTC',
    });
    const third = await newUser();
    const tooEarly = { ...input, documentNumber: prcId('20090615') };
    expect(await utc.submit(third.id, tooEarly, ctx)).toMatchObject({ code: 'kyc_underage' });
  });
});

describe('submit refuses, and writes nothing', () => {
  const reasons: Array<[string, (n: string) => string, string]> = [
    ['length', (n) => n.slice(0, 17), '(length)'],
    ['characters', (n) => `${n.slice(0, 16)}A${n[17]}`, '(characters)'],
    ['region', (n) => `0${n.slice(1)}`, '(region)'],
    ['birth_date', () => withCheck('11010520250230001'), '(birth_date)'],
    ['check_digit', (n) => n.slice(0, 17) + (n[17] === '1' ? '2' : '1'), '(check_digit)'],
  ];

  it.each(reasons)('kyc_id_number_invalid: %s', async (_reason, spoil, mention) => {
    const kyc = service();
    const user = await newUser();
    const documentNumber = spoil(prcId());
    const result = await kyc.submit(
      user.id,
      { realName: '张三', documentType: 'prc_id', documentNumber },
      ctx,
    );
    expect(result).toMatchObject({ ok: false, code: 'kyc_id_number_invalid' });
    expect(result).toMatchObject({ param: 'document_number' });
    expect(!result.ok && result.detail).toContain(mention);
    await expectNothingWritten(user.id);
  });

  it.each([
    ['an unknown document type', 'drivers_license'],
    ['a known type the configuration does not accept', 'passport'],
  ])('kyc_document_type_not_allowed: %s', async (_name, documentType) => {
    const user = await newUser();
    const result = await service().submit(
      user.id,
      { realName: '张三', documentType, documentNumber: 'E12345678' },
      ctx,
    );
    expect(result).toEqual({
      ok: false,
      code: 'kyc_document_type_not_allowed',
      param: 'document_type',
      detail: 'Accepted documents: prc_id.',
    });
    await expectNothingWritten(user.id);
  });

  it.each(['E123', 'E1234567890123456789X', 'E123-4567', '护照12345'])(
    'kyc_id_number_invalid for another document: %s',
    async (documentNumber) => {
      const user = await newUser();
      const kyc = service({ documentTypes: ['passport'] });
      const result = await kyc.submit(
        user.id,
        { realName: 'Alice Smith', documentType: 'passport', documentNumber },
        ctx,
      );
      expect(result).toMatchObject({ code: 'kyc_id_number_invalid', param: 'document_number' });
      await expectNothingWritten(user.id);
    },
  );

  it('kyc_underage: one day short of 16', async () => {
    const user = await newUser();
    const result = await service().submit(
      user.id,
      { realName: '周八', documentType: 'prc_id', documentNumber: prcId('20090616') },
      ctx,
    );
    expect(result).toMatchObject({ ok: false, code: 'kyc_underage', param: 'document_number' });
    await expectNothingWritten(user.id);
  });

  it.each([
    '张',
    '',
    '   ',
    'A',
    '张三3',
    'Alice_Smith',
    '·张三',
    '张三·',
    '张··三',
    'a'.repeat(65),
  ])('kyc_name_invalid: %j', async (realName) => {
    const user = await newUser();
    const result = await service().submit(
      user.id,
      { realName, documentType: 'prc_id', documentNumber: prcId() },
      ctx,
    );
    expect(result).toEqual({ ok: false, code: 'kyc_name_invalid', param: 'real_name' });
    await expectNothingWritten(user.id);
  });

  it('contact_not_verified', async () => {
    const user = await newUser({ verified: false });
    const result = await service().submit(
      user.id,
      { realName: '吴九', documentType: 'prc_id', documentNumber: prcId() },
      ctx,
    );
    expect(result).toEqual({ ok: false, code: 'contact_not_verified' });
    await expectNothingWritten(user.id);
  });

  it('kyc_already_verified', async () => {
    const kyc = service();
    const user = await newUser();
    const first = { realName: '郑十', documentType: 'prc_id', documentNumber: prcId() };
    expect((await kyc.submit(user.id, first, ctx)).ok).toBe(true);
    const before = await verificationRow(user.id);
    const second = { ...first, documentNumber: prcId() };
    expect(await kyc.submit(user.id, second, ctx)).toEqual({
      ok: false,
      code: 'kyc_already_verified',
    });
    expect(await verificationRow(user.id)).toEqual(before);
    expect(await auditOf(user.id)).toHaveLength(1);
    // The second number was not taken by the refused submission.
    const other = await newUser();
    expect((await kyc.submit(other.id, second, ctx)).ok).toBe(true);
  });
});

describe('key rotation', () => {
  it('reads data sealed under an old key after a new key is put first', async () => {
    const user = await newUser();
    const number = prcId();
    const input = { realName: '钱多多', documentType: 'prc_id', documentNumber: number };
    expect((await service().submit(user.id, input, ctx)).ok).toBe(true);

    const rotated = parseKeyring(`${keyText('k2')},${firstKey}`);
    const kyc = service({ keyring: rotated });
    expect(await kyc.status(user.id)).toMatchObject({
      realNameMasked: '**多',
      documentNumberMasked: `${number[0]}${'*'.repeat(16)}${number[17]}`,
    });
    // New data is sealed under the new key; both open with the rotated ring.
    const newcomer = await newUser();
    const fresh = { realName: '孔乙己', documentType: 'prc_id', documentNumber: prcId() };
    expect((await kyc.submit(newcomer.id, fresh, ctx)).ok).toBe(true);
    expect((await verificationRow(newcomer.id))!.real_name_encrypted).toMatch(/^v1\.k2\./);
    expect((await kyc.status(newcomer.id)).realNameMasked).toBe('**己');
    // A ring without the old key cannot open the old data.
    const withoutOld = service({ keyring: parseKeyring(keyText('k2')) });
    await expect(withoutOld.status(user.id)).rejects.toThrow(/unknown key id "k1"/);
  });
});

describe('tier 3', () => {
  async function verifiedUser(kyc: KycService, name = '陈大文'): Promise<TestUser> {
    const user = await newUser();
    const input = { realName: name, documentType: 'prc_id', documentNumber: prcId() };
    expect((await kyc.submit(user.id, input, ctx)).ok).toBe(true);
    return user;
  }

  async function operator(role: 'compliance' | 'admin' = 'compliance'): Promise<TestUser> {
    const user = await newUser();
    expect(await grantOperator(db.pool, user.phone.slice(3), role, new Date(NOW_MS))).toBe(user.id);
    return user;
  }

  it('needs tier 2', async () => {
    const user = await newUser();
    expect(await service().requestTier3(user.id, ctx)).toEqual({
      ok: false,
      code: 'kyc_tier2_required',
    });
    expect(await auditOf(user.id)).toEqual([]);
  });

  it('is requested, listed masked, approved by an operator, and audited', async () => {
    const kyc = service();
    const user = await verifiedUser(kyc);
    const requested = await kyc.requestTier3(user.id, ctx);
    expect(requested).toEqual({
      ok: true,
      requestId: expect.stringMatching(/^kyr_[0-9A-HJKMNP-TV-Z]{26}$/),
      requestedAt: new Date(NOW_MS),
    });
    if (!requested.ok) return;
    expect(await kyc.requestTier3(user.id, ctx)).toEqual({
      ok: false,
      code: 'kyc_review_pending',
    });
    expect((await kyc.status(user.id)).tier3).toEqual({
      status: 'pending',
      requestId: requested.requestId,
      requestedAt: new Date(NOW_MS),
    });

    const pending = (await kyc.listPendingReviews(100)).data;
    const listed = pending.find((p) => p.requestId === requested.requestId);
    expect(listed).toEqual({
      requestId: requested.requestId,
      userId: user.id,
      requestedAt: new Date(NOW_MS),
      realNameMasked: '**文',
      documentType: 'prc_id',
      documentNumberMasked: expect.stringMatching(/^[1-6]\*{16}[0-9X]$/),
      verifiedAt: new Date(NOW_MS),
    });

    const reviewer = await operator();
    const reviewed = await kyc.reviewTier3(
      reviewer.id,
      requested.requestId,
      { decision: 'approve', reason: '' },
      ctx,
    );
    expect(reviewed).toEqual({ ok: true, userId: user.id, status: 'approved', tier: 3 });
    expect(await tierOf(user.id)).toBe(3);
    expect((await kyc.status(user.id)).tier3).toEqual({
      status: 'approved',
      requestId: requested.requestId,
      requestedAt: new Date(NOW_MS),
      reviewedAt: new Date(NOW_MS),
    });
    expect((await kyc.listPendingReviews(100)).data.map((p) => p.requestId)).not.toContain(
      requested.requestId,
    );
    expect((await auditOf(user.id)).slice(1)).toEqual([
      {
        action: 'kyc.tier3_requested',
        actor_type: 'user',
        actor_id: user.id,
        detail: { request_id: requested.requestId },
      },
      {
        action: 'kyc.tier3_approved',
        actor_type: 'operator',
        actor_id: reviewer.id,
        detail: { request_id: requested.requestId, tier: 3 },
      },
    ]);
    expect(await kyc.requestTier3(user.id, ctx)).toMatchObject({ code: 'kyc_already_verified' });
    expect(
      await kyc.reviewTier3(
        reviewer.id,
        requested.requestId,
        { decision: 'reject', reason: 'x' },
        ctx,
      ),
    ).toEqual({ ok: false, code: 'kyc_review_decided' });
  });

  it('is rejected with a reason the user sees, and may be requested again', async () => {
    const kyc = service();
    const user = await verifiedUser(kyc);
    const requested = await kyc.requestTier3(user.id, ctx);
    if (!requested.ok) throw new Error('request failed');
    const reviewer = await operator('admin');
    const reject = (reason: string) =>
      kyc.reviewTier3(reviewer.id, requested.requestId, { decision: 'reject', reason }, ctx);
    expect(await reject('  ')).toEqual({
      ok: false,
      code: 'kyc_review_reason_required',
      param: 'reason',
    });
    expect(await reject('长'.repeat(501))).toMatchObject({ code: 'kyc_review_reason_too_long' });
    expect(await reject('证件照片不清晰')).toEqual({
      ok: true,
      userId: user.id,
      status: 'rejected',
      tier: 2,
    });
    expect(await tierOf(user.id)).toBe(2);
    expect((await kyc.status(user.id)).tier3).toMatchObject({
      status: 'rejected',
      reason: '证件照片不清晰',
    });
    expect((await auditOf(user.id)).at(-1)).toMatchObject({
      action: 'kyc.tier3_rejected',
      actor_type: 'operator',
      actor_id: reviewer.id,
    });
    expect(await reject('again')).toEqual({ ok: false, code: 'kyc_review_decided' });
    const again = await kyc.requestTier3(user.id, ctx);
    expect(again.ok).toBe(true);
    expect((await kyc.status(user.id)).tier3.status).toBe('pending');
  });

  it('is reviewed by operators only, never by the requester, and needs a known request', async () => {
    const kyc = service();
    const user = await verifiedUser(kyc);
    const requested = await kyc.requestTier3(user.id, ctx);
    if (!requested.ok) throw new Error('request failed');
    const approve = { decision: 'approve', reason: '' } as const;
    const someone = await newUser();
    expect(await kyc.reviewTier3(someone.id, requested.requestId, approve, ctx)).toEqual({
      ok: false,
      code: 'operator_required',
    });
    // An operator who is also a user may not approve their own request.
    await grantOperator(db.pool, user.phone, 'admin', new Date(NOW_MS));
    expect(await kyc.reviewTier3(user.id, requested.requestId, approve, ctx)).toEqual({
      ok: false,
      code: 'kyc_review_own_request',
    });
    const reviewer = await operator();
    const unknown = `kyr_${'0'.repeat(26)}`;
    expect(await kyc.reviewTier3(reviewer.id, unknown, approve, ctx)).toEqual({
      ok: false,
      code: 'kyc_review_not_found',
    });
    expect(await kyc.reviewTier3(reviewer.id, 'not-an-id', approve, ctx)).toEqual({
      ok: false,
      code: 'kyc_review_not_found',
    });
    expect(await tierOf(user.id)).toBe(2);
  });

  it('reports no request for a user who never asked', async () => {
    const kyc = service();
    expect((await kyc.status((await newUser()).id)).tier3).toEqual({ status: 'none' });
    expect(await kyc.status((await newUser()).id)).toEqual({
      tier: 1,
      realNameMasked: null,
      documentType: null,
      documentNumberMasked: null,
      verifiedAt: null,
      tier3: { status: 'none' },
    });
  });
});

describe('operators', () => {
  it('are granted and revoked by login, and audited as system actions', async () => {
    const user = await newUser();
    expect(await isOperator(db.pool, user.id)).toBe(false);
    expect(await grantOperator(db.pool, user.phone, 'compliance', new Date(NOW_MS))).toBe(user.id);
    expect(await operatorRoleOf(db.pool, user.id)).toBe('compliance');
    expect(await isOperator(db.pool, user.id)).toBe(true);
    expect(await grantOperator(db.pool, user.phone, null, new Date(NOW_MS))).toBe(user.id);
    expect(await isOperator(db.pool, user.id)).toBe(false);
    expect((await auditOf(user.id)).map((e) => [e.action, e.actor_type, e.detail])).toEqual([
      ['operator.granted', 'system', { role: 'compliance' }],
      ['operator.revoked', 'system', { role: null }],
    ]);
  });

  it('are not granted to unknown logins', async () => {
    expect(await grantOperator(db.pool, '+8613700000000', 'admin', new Date(NOW_MS))).toBe(
      undefined,
    );
    expect(await grantOperator(db.pool, 'not a login', 'admin', new Date(NOW_MS))).toBe(undefined);
  });
});

describe('pure checks', () => {
  it('knows exactly the documents the configuration can accept', () => {
    expect(KYC_DOCUMENT_TYPES).toEqual(kycDocumentTypes);
  });

  it.each([
    ['张三', '张三'],
    ['  张三  ', '张三'],
    ['买买提・艾力', '买买提·艾力'],
    ['买买提•艾力', '买买提·艾力'],
    ['Alice   Smith', 'Alice Smith'],
    ['Jose\u0301 Garci\u0301a', 'José García'],
    ['Ólafur Arnalds', 'Ólafur Arnalds'],
    ['张', undefined],
    ['张三1', undefined],
    ['张三!', undefined],
    ['张 · 三', undefined],
    ['·', undefined],
    ['a'.repeat(64), 'a'.repeat(64)],
    ['a'.repeat(65), undefined],
    ['𠀀𠀁', '𠀀𠀁'],
  ])('normalizeRealName(%j) is %j', (input, expected) => {
    expect(normalizeRealName(input)).toBe(expected);
  });

  it.each([
    ['2009-06-15', { year: 2025, month: 6, day: 15 }, 16],
    ['2009-06-16', { year: 2025, month: 6, day: 15 }, 15],
    ['2009-07-01', { year: 2025, month: 6, day: 30 }, 15],
    ['2008-02-29', { year: 2024, month: 2, day: 28 }, 15],
    ['2008-02-29', { year: 2024, month: 2, day: 29 }, 16],
    ['2008-02-29', { year: 2025, month: 2, day: 28 }, 16],
    ['2007-02-28', { year: 2023, month: 3, day: 1 }, 16],
  ])('ageOn(%s, %j) is %i', (birth, today, age) => {
    expect(ageOn(birth, today)).toBe(age);
  });
});
