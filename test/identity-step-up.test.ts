/**
 * Step-up confirmation on the real database: a confirmation pays for exactly the payment it was
 * issued for, once, within five minutes; the low-value exemption holds to its daily count even
 * under concurrent payments, and the count restarts on the next calendar day in the time zone.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { withTransaction, type Pool } from '../src/db/index.js';
import { createPaymentPins } from '../src/identity/payment-pin.js';
import { hashPassword } from '../src/identity/passwords.js';
import {
  createStepUp,
  issueConfirmation,
  type PaymentBinding,
  type StepUp,
} from '../src/identity/step-up.js';
import { manualClock } from '../src/lib/clock.js';
import { insertUser } from './identity-fixtures.js';
import { createTestDatabase, type TestDatabase } from './db.js';

const PASSWORD = 'correct horse battery staple';
const PIN = '480317';
const ctx = { ip: '203.0.113.7', userAgent: 'vitest' };
const MINUTE = 60_000;
/** 23:00 on 1 March 2025 in Shanghai. */
const LATE_EVENING = Date.UTC(2025, 2, 1, 15, 0);

let db: TestDatabase;
let passwordHash: string;
const hmacKey = randomBytes(32);

beforeAll(async () => {
  db = await createTestDatabase();
  passwordHash = await hashPassword(PASSWORD);
});

async function createUser(pool: Pool, nowMs: number): Promise<string> {
  return (await insertUser(pool, { nowMs, passwordHash })).id;
}

async function setUp(policy: { exemptAmountMinor?: bigint; exemptDailyCount?: number } = {}) {
  const clock = manualClock(LATE_EVENING);
  const pins = createPaymentPins({ pool: db.pool, clock, hmacKey });
  const stepUp = createStepUp({
    pool: db.pool,
    clock,
    pins,
    exemptAmountMinor: policy.exemptAmountMinor ?? 10_000n,
    exemptDailyCount: policy.exemptDailyCount ?? 5,
    timeZone: 'Asia/Shanghai',
  });
  const userId = await createUser(db.pool, clock.nowMs());
  expect(await pins.setPin(userId, { pin: PIN, currentPassword: PASSWORD }, ctx)).toEqual({
    ok: true,
  });
  return { clock, pins, stepUp, userId };
}

const binding: PaymentBinding = { amountMinor: 25_000n, currency: 'CNY', payee: 'usr_payee' };

const authorize = (
  stepUp: StepUp,
  userId: string,
  b: PaymentBinding,
  token: string | undefined,
  pool: Pool = db.pool,
) => withTransaction(pool, (tx) => stepUp.authorize(tx, userId, b, token));

async function confirmed(stepUp: StepUp, userId: string, b: PaymentBinding = binding) {
  const result = await stepUp.confirmWithPin(userId, b, PIN, ctx);
  if (!result.ok) throw new Error(`confirmWithPin failed: ${result.code}`);
  return result;
}

describe('confirmation with the PIN', () => {
  it('pays for the payment it was issued for, once', async () => {
    const { clock, stepUp, userId } = await setUp();
    const confirmation = await confirmed(stepUp, userId);
    expect(confirmation.token).toMatch(/^hbu_[A-Za-z0-9_-]{43}$/);
    expect(confirmation.expiresAt).toEqual(new Date(clock.nowMs() + 5 * MINUTE));
    expect(await authorize(stepUp, userId, binding, confirmation.token)).toEqual({
      ok: true,
      method: 'pin',
    });
    expect(await authorize(stepUp, userId, binding, confirmation.token)).toEqual({
      ok: false,
      code: 'confirmation_invalid',
    });
  });

  it('stores only a hash of the token', async () => {
    const { stepUp, userId } = await setUp();
    const { token } = await confirmed(stepUp, userId);
    const { rows } = await db.pool.query<{ token_hash: Buffer }>(
      'SELECT token_hash FROM step_up_confirmations WHERE user_id = $1',
      [userId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).toHaveLength(32);
    expect(rows[0]!.token_hash.toString('latin1')).not.toContain(token.slice(4, 20));
  });

  it('a wrong PIN issues nothing', async () => {
    const { stepUp, userId } = await setUp();
    expect(await stepUp.confirmWithPin(userId, binding, '935172', ctx)).toMatchObject({
      ok: false,
      code: 'pin_wrong',
    });
    const { rows } = await db.pool.query('SELECT 1 FROM step_up_confirmations WHERE user_id = $1', [
      userId,
    ]);
    expect(rows).toHaveLength(0);
  });

  it('a locked PIN issues nothing, and the lock is counted although no token came out', async () => {
    const { stepUp, pins, userId } = await setUp();
    for (let i = 0; i < 5; i += 1) await stepUp.confirmWithPin(userId, binding, '935172', ctx);
    expect(await stepUp.confirmWithPin(userId, binding, PIN, ctx)).toMatchObject({
      code: 'pin_locked',
    });
    expect((await pins.status(userId)).lockedUntil).not.toBeNull();
  });

  it('expires after 5 minutes', async () => {
    const { clock, stepUp, userId } = await setUp();
    const fresh = await confirmed(stepUp, userId);
    const stale = await confirmed(stepUp, userId);
    clock.advanceMs(5 * MINUTE - 1);
    expect(await authorize(stepUp, userId, binding, fresh.token)).toMatchObject({ ok: true });
    clock.advanceMs(1);
    expect(await authorize(stepUp, userId, binding, stale.token)).toEqual({
      ok: false,
      code: 'confirmation_invalid',
    });
  });

  it.each<[string, Partial<PaymentBinding>]>([
    ['a larger amount', { amountMinor: 25_001n }],
    ['a smaller amount', { amountMinor: 24_999n }],
    ['another currency', { currency: 'USD' }],
    ['another payee', { payee: 'usr_someone_else' }],
    ['a payee differing in case', { payee: 'USR_PAYEE' }],
  ])('refuses a token for %s, and keeps it for the right payment', async (_, change) => {
    const { stepUp, userId } = await setUp();
    const { token } = await confirmed(stepUp, userId);
    expect(await authorize(stepUp, userId, { ...binding, ...change }, token)).toEqual({
      ok: false,
      code: 'confirmation_invalid',
    });
    expect(await authorize(stepUp, userId, binding, token)).toMatchObject({ ok: true });
  });

  it("refuses another user's token", async () => {
    const alice = await setUp();
    const mallory = await setUp();
    const { token } = await confirmed(alice.stepUp, alice.userId);
    expect(await authorize(alice.stepUp, mallory.userId, binding, token)).toEqual({
      ok: false,
      code: 'confirmation_invalid',
    });
    expect(await authorize(alice.stepUp, alice.userId, binding, token)).toMatchObject({
      ok: true,
    });
  });

  it('refuses made-up and oversized tokens with the same code', async () => {
    const { stepUp, userId } = await setUp();
    for (const token of ['', 'hbu_', `hbu_${'A'.repeat(43)}`, 'x'.repeat(10_000)]) {
      expect(await authorize(stepUp, userId, binding, token)).toEqual({
        ok: false,
        code: 'confirmation_invalid',
      });
    }
  });

  it('a bad token is refused even for a payment the exemption would cover', async () => {
    const { stepUp, userId } = await setUp();
    const small = { ...binding, amountMinor: 100n };
    expect(await authorize(stepUp, userId, small, 'hbu_bogus')).toMatchObject({
      code: 'confirmation_invalid',
    });
  });

  it('a payment that rolls back leaves the token unused', async () => {
    const { stepUp, userId } = await setUp();
    const { token } = await confirmed(stepUp, userId);
    await expect(
      withTransaction(db.pool, async (tx) => {
        expect(await stepUp.authorize(tx, userId, binding, token)).toMatchObject({ ok: true });
        throw new Error('the transfer failed');
      }),
    ).rejects.toThrow('the transfer failed');
    expect(await authorize(stepUp, userId, binding, token)).toMatchObject({ ok: true });
  });
});

describe('issueConfirmation for other methods', () => {
  it('issues a passkey confirmation that authorizes with method passkey', async () => {
    const { clock, stepUp, userId } = await setUp();
    const { token, expiresAt } = await withTransaction(db.pool, (tx) =>
      issueConfirmation(tx, userId, binding, 'passkey', clock.nowMs()),
    );
    expect(expiresAt.getTime() - clock.nowMs()).toBe(5 * MINUTE);
    expect(await authorize(stepUp, userId, binding, token)).toEqual({
      ok: true,
      method: 'passkey',
    });
  });

  it('refuses a binding the payment code should have validated', async () => {
    const { clock, stepUp, userId } = await setUp();
    await expect(
      withTransaction(db.pool, (tx) =>
        stepUp.issueConfirmation(tx, userId, { ...binding, amountMinor: 0n }, 'pin', clock.nowMs()),
      ),
    ).rejects.toThrow(/amountMinor/);
  });
});

describe('two payments with one token', () => {
  it('exactly one of 10 concurrent authorizations succeeds', async () => {
    const { stepUp, userId } = await setUp();
    const { token } = await confirmed(stepUp, userId);
    const pool = db.newPool(10);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => authorize(stepUp, userId, binding, token, pool)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.code === 'confirmation_invalid')).toHaveLength(9);
  });

  it('the second waits for the first; it gets the token only if the first rolls back', async () => {
    const { stepUp, userId } = await setUp();
    for (const outcome of ['COMMIT', 'ROLLBACK'] as const) {
      const { token } = await confirmed(stepUp, userId);
      const first = await db.pool.connect();
      try {
        await first.query('BEGIN');
        expect(await stepUp.authorize(first, userId, binding, token)).toMatchObject({ ok: true });
        const second = authorize(stepUp, userId, binding, token);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await first.query(outcome);
        expect((await second).ok).toBe(outcome === 'ROLLBACK');
      } finally {
        first.release();
      }
    }
  });
});

describe('the low-value exemption', () => {
  const small = (amountMinor: bigint): PaymentBinding => ({ ...binding, amountMinor });

  it('applies up to the amount and not above', async () => {
    const { stepUp, userId } = await setUp();
    expect(await authorize(stepUp, userId, small(10_000n), undefined)).toEqual({
      ok: true,
      method: 'exempt',
    });
    expect(await authorize(stepUp, userId, small(10_001n), undefined)).toEqual({
      ok: false,
      code: 'step_up_required',
      detail:
        'Only payments up to 100.00 CNY can skip confirmation: confirm it with your payment PIN or a passkey.',
    });
  });

  it('applies to CNY only', async () => {
    const { stepUp, userId } = await setUp();
    expect(
      await authorize(stepUp, userId, { ...small(100n), currency: 'USD' }, undefined),
    ).toMatchObject({ code: 'step_up_required', detail: expect.stringContaining('Only CNY') });
  });

  it('is off when the amount is 0, and when the daily count is 0', async () => {
    for (const policy of [{ exemptAmountMinor: 0n }, { exemptDailyCount: 0 }]) {
      const { stepUp, userId } = await setUp(policy);
      expect(await authorize(stepUp, userId, small(1n), undefined)).toMatchObject({
        ok: false,
        code: 'step_up_required',
        detail: expect.stringContaining('Every payment needs confirmation'),
      });
    }
  });

  it('20 concurrent small payments with a count of 5: exactly 5 are exempt', async () => {
    const { stepUp, userId } = await setUp();
    const pool = db.newPool(20);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => authorize(stepUp, userId, small(500n), undefined, pool)),
    );
    expect(results.filter((r) => r.ok && r.method === 'exempt')).toHaveLength(5);
    const refused = results.filter((r) => !r.ok);
    expect(refused).toHaveLength(15);
    expect(refused[0]).toMatchObject({
      code: 'step_up_required',
      detail: expect.stringContaining('The 5 payments a day'),
    });
  });

  it('a confirmed payment does not use up the count, and a rolled-back one gives it back', async () => {
    const { stepUp, userId } = await setUp({ exemptDailyCount: 1 });
    const { token } = await confirmed(stepUp, userId, small(100n));
    expect(await authorize(stepUp, userId, small(100n), token)).toMatchObject({ method: 'pin' });
    await expect(
      withTransaction(db.pool, async (tx) => {
        expect(await stepUp.authorize(tx, userId, small(100n), undefined)).toMatchObject({
          method: 'exempt',
        });
        throw new Error('the transfer failed');
      }),
    ).rejects.toThrow('the transfer failed');
    expect(await authorize(stepUp, userId, small(100n), undefined)).toMatchObject({
      method: 'exempt',
    });
    expect(await authorize(stepUp, userId, small(100n), undefined)).toMatchObject({
      code: 'step_up_required',
    });
  });

  it('the count restarts at midnight in the time zone, not in UTC', async () => {
    const { clock, stepUp, userId } = await setUp({ exemptDailyCount: 2 });
    const pay = () => authorize(stepUp, userId, small(100n), undefined);
    expect((await pay()).ok).toBe(true);
    expect((await pay()).ok).toBe(true);
    expect((await pay()).ok).toBe(false);
    clock.advanceMs(59 * MINUTE); // 23:59 in Shanghai
    expect((await pay()).ok).toBe(false);
    clock.advanceMs(MINUTE); // 00:00 in Shanghai, still 16:00 on the same day in UTC
    expect((await pay()).ok).toBe(true);
    expect((await pay()).ok).toBe(true);
    expect((await pay()).ok).toBe(false);
  });

  it('other users have counts of their own', async () => {
    const alice = await setUp({ exemptDailyCount: 1 });
    const bob = await setUp({ exemptDailyCount: 1 });
    expect((await authorize(alice.stepUp, alice.userId, small(100n), undefined)).ok).toBe(true);
    expect((await authorize(bob.stepUp, bob.userId, small(100n), undefined)).ok).toBe(true);
    expect((await authorize(alice.stepUp, alice.userId, small(100n), undefined)).ok).toBe(false);
  });
});
