/**
 * The payment PIN on the real database: setting it behind the password, checking it, and the
 * lockout that keeps guessing to five tries per lock window, also under concurrent guesses.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { withTransaction, type Pool } from '../src/db/index.js';
import { createPaymentPins, type PaymentPins } from '../src/identity/payment-pin.js';
import { hashPassword } from '../src/identity/passwords.js';
import { manualClock } from '../src/lib/clock.js';
import { insertUser } from './identity-fixtures.js';
import { createTestDatabase, type TestDatabase } from './db.js';

const PASSWORD = 'correct horse battery staple';
const PIN = '480317';
const OTHER_PIN = '935172';
const ctx = { ip: '203.0.113.7', userAgent: 'vitest' };
const MINUTE = 60_000;

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

/** A user with a PIN set, and a service whose clock the test moves. */
async function setUp(pin = PIN) {
  const clock = manualClock(Date.UTC(2025, 2, 1, 9, 0));
  const pins = createPaymentPins({ pool: db.pool, clock, hmacKey });
  const userId = await createUser(db.pool, clock.nowMs());
  expect(await pins.setPin(userId, { pin, currentPassword: PASSWORD }, ctx)).toEqual({ ok: true });
  return { clock, pins, userId };
}

const verify = (pins: PaymentPins, userId: string, pin: string) =>
  withTransaction(db.pool, (tx) => pins.verifyPin(tx, userId, pin, ctx));

async function auditActions(userId: string): Promise<string[]> {
  const { rows } = await db.pool.query<{ action: string }>(
    'SELECT action FROM audit_log WHERE subject_user_id = $1 ORDER BY seq',
    [userId],
  );
  return rows.map((r) => r.action);
}

describe('setting the PIN', () => {
  it('stores a keyed hash, never the PIN, and audits set then changed', async () => {
    const { pins, userId } = await setUp();
    const { rows } = await db.pool.query<{ pin_hash: Buffer }>(
      'SELECT pin_hash FROM payment_pins WHERE user_id = $1',
      [userId],
    );
    expect(rows[0]!.pin_hash).toHaveLength(32);
    expect(rows[0]!.pin_hash.toString('latin1')).not.toContain(PIN);
    expect(await pins.setPin(userId, { pin: OTHER_PIN, currentPassword: PASSWORD }, ctx)).toEqual({
      ok: true,
    });
    expect(await auditActions(userId)).toEqual(['pin.set', 'pin.changed']);
    expect(await verify(pins, userId, OTHER_PIN)).toEqual({ ok: true });
    expect(await verify(pins, userId, PIN)).toMatchObject({ code: 'pin_wrong' });
  });

  it('refuses a wrong current password and keeps the old PIN', async () => {
    const { pins, userId } = await setUp();
    expect(
      await pins.setPin(userId, { pin: OTHER_PIN, currentPassword: 'not the password' }, ctx),
    ).toMatchObject({ ok: false, code: 'current_password_wrong', param: 'current_password' });
    expect(await verify(pins, userId, PIN)).toEqual({ ok: true });
  });

  it('throttles guessing the password through this form', async () => {
    const { pins, userId } = await setUp();
    const codes: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      const result = await pins.setPin(userId, { pin: OTHER_PIN, currentPassword: `x${i}` }, ctx);
      if (!result.ok) codes.push(result.code);
    }
    expect(codes.slice(0, 5)).toEqual(Array(5).fill('current_password_wrong'));
    expect(codes).toContain('too_many_attempts');
  });

  it.each([
    ['12345', 'pin_format_invalid'],
    ['12345a', 'pin_format_invalid'],
    ['１２３４５６', 'pin_format_invalid'],
    ['111111', 'pin_too_simple'],
    ['123456', 'pin_too_simple'],
    ['654321', 'pin_too_simple'],
    ['123123', 'pin_too_simple'],
    ['112233', 'pin_too_simple'],
    ['520520', 'pin_too_simple'],
    ['121212', 'pin_too_simple'],
    ['000000', 'pin_too_simple'],
    ['888888', 'pin_too_simple'],
  ])('refuses %j as %s, before checking the password', async (pin, code) => {
    const { pins, userId } = await setUp();
    expect(await pins.setPin(userId, { pin, currentPassword: 'wrong' }, ctx)).toMatchObject({
      ok: false,
      code,
      param: 'pin',
    });
  });

  it('a user without a PIN gets pin_not_set', async () => {
    const clock = manualClock(Date.UTC(2025, 2, 1));
    const pins = createPaymentPins({ pool: db.pool, clock, hmacKey });
    const userId = await createUser(db.pool, clock.nowMs());
    expect(await verify(pins, userId, PIN)).toMatchObject({ ok: false, code: 'pin_not_set' });
    expect(await pins.status(userId)).toEqual({ set: false, lockedUntil: null, triesLeft: 5 });
  });

  it('the hash is bound to the user and the key', async () => {
    const { userId } = await setUp();
    const other = await setUp();
    // Copying one user's hash onto another's row does not make the PIN verify there.
    await db.pool.query(
      'UPDATE payment_pins SET pin_hash = (SELECT pin_hash FROM payment_pins WHERE user_id = $1) WHERE user_id = $2',
      [userId, other.userId],
    );
    expect(await verify(other.pins, other.userId, PIN)).toMatchObject({ code: 'pin_wrong' });
    const otherKey = createPaymentPins({
      pool: db.pool,
      clock: other.clock,
      hmacKey: randomBytes(32),
    });
    expect(await verify(otherKey, userId, PIN)).toMatchObject({ code: 'pin_wrong' });
  });
});

describe('verifying the PIN', () => {
  it('accepts the right PIN and counts wrong ones down', async () => {
    const { pins, userId } = await setUp();
    expect(await verify(pins, userId, PIN)).toEqual({ ok: true });
    expect(await verify(pins, userId, OTHER_PIN)).toMatchObject({
      ok: false,
      code: 'pin_wrong',
      detail: expect.stringContaining('4 tries left'),
    });
    expect(await pins.status(userId)).toEqual({ set: true, lockedUntil: null, triesLeft: 4 });
    expect(await verify(pins, userId, PIN)).toEqual({ ok: true });
    expect((await pins.status(userId)).triesLeft).toBe(5);
  });

  it('text that is not a PIN is refused without counting', async () => {
    const { pins, userId } = await setUp();
    expect(await verify(pins, userId, '12345')).toMatchObject({ code: 'pin_format_invalid' });
    expect(await verify(pins, userId, '\ud800\ud800\ud800')).toMatchObject({
      code: 'pin_format_invalid',
    });
    expect((await pins.status(userId)).triesLeft).toBe(5);
  });

  it('five wrong tries lock it for 15 minutes, even against the right PIN', async () => {
    const { clock, pins, userId } = await setUp();
    for (let i = 0; i < 4; i += 1) {
      expect(await verify(pins, userId, OTHER_PIN)).toMatchObject({ code: 'pin_wrong' });
    }
    expect(await verify(pins, userId, OTHER_PIN)).toMatchObject({
      ok: false,
      code: 'pin_locked',
      retryAfterSeconds: 15 * 60,
    });
    expect(await auditActions(userId)).toEqual(['pin.set', 'pin.locked']);
    clock.advanceMs(10 * MINUTE);
    expect(await verify(pins, userId, PIN)).toMatchObject({
      code: 'pin_locked',
      retryAfterSeconds: 5 * 60,
    });
    expect(await pins.status(userId)).toEqual({
      set: true,
      lockedUntil: new Date(clock.nowMs() + 5 * MINUTE),
      triesLeft: 0,
    });
    clock.advanceMs(5 * MINUTE);
    expect(await verify(pins, userId, PIN)).toEqual({ ok: true });
    expect(await pins.status(userId)).toMatchObject({ lockedUntil: null, triesLeft: 5 });
  });

  it('the second lock of a streak lasts 30 minutes, and a day later the streak is forgotten', async () => {
    const { clock, pins, userId } = await setUp();
    const lockOut = async () => {
      for (let i = 0; i < 4; i += 1) await verify(pins, userId, OTHER_PIN);
      return verify(pins, userId, OTHER_PIN);
    };
    expect(await lockOut()).toMatchObject({ retryAfterSeconds: 15 * 60 });
    clock.advanceMs(15 * MINUTE);
    // A right PIN between the locks does not shorten the next one.
    expect(await verify(pins, userId, PIN)).toEqual({ ok: true });
    expect(await lockOut()).toMatchObject({ code: 'pin_locked', retryAfterSeconds: 30 * 60 });
    clock.advanceMs(30 * MINUTE);
    expect(await lockOut()).toMatchObject({ retryAfterSeconds: 60 * 60 });
    clock.advanceMs(60 * MINUTE + 24 * 60 * MINUTE);
    expect(await lockOut()).toMatchObject({ retryAfterSeconds: 15 * 60 });
    expect((await auditActions(userId)).filter((a) => a === 'pin.locked')).toHaveLength(4);
  });

  it('setting a new PIN with the password lifts a lock', async () => {
    const { pins, userId } = await setUp();
    for (let i = 0; i < 5; i += 1) await verify(pins, userId, OTHER_PIN);
    expect(await verify(pins, userId, PIN)).toMatchObject({ code: 'pin_locked' });
    await pins.setPin(userId, { pin: OTHER_PIN, currentPassword: PASSWORD }, ctx);
    expect(await pins.status(userId)).toEqual({ set: true, lockedUntil: null, triesLeft: 5 });
    expect(await verify(pins, userId, OTHER_PIN)).toEqual({ ok: true });
  });

  it('a wrong try rolled back with its transaction is not counted', async () => {
    const { pins, userId } = await setUp();
    await expect(
      withTransaction(db.pool, async (tx) => {
        await pins.verifyPin(tx, userId, OTHER_PIN, ctx);
        throw new Error('the payment failed');
      }),
    ).rejects.toThrow('the payment failed');
    expect((await pins.status(userId)).triesLeft).toBe(5);
  });

  it('20 concurrent wrong tries: exactly five are counted, the rest find it locked', async () => {
    const { pins, userId } = await setUp();
    const pool = db.newPool(20);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        withTransaction(pool, (tx) =>
          pins.verifyPin(tx, userId, String(135790 + i * 7).padStart(6, '0'), ctx),
        ),
      ),
    );
    const codes = results.map((r) => (r.ok ? 'ok' : r.code));
    expect(codes.filter((c) => c === 'pin_wrong')).toHaveLength(4);
    expect(codes.filter((c) => c === 'pin_locked')).toHaveLength(16);
    const { rows } = await db.pool.query<{ lockouts: number; failures: number }>(
      'SELECT lockouts, failures FROM payment_pins WHERE user_id = $1',
      [userId],
    );
    expect(rows[0]).toEqual({ lockouts: 1, failures: 0 });
    expect((await auditActions(userId)).filter((a) => a === 'pin.locked')).toHaveLength(1);
  });

  it('the right PIN waiting behind the locking try finds the PIN locked', async () => {
    const { pins, userId } = await setUp();
    for (let i = 0; i < 4; i += 1) await verify(pins, userId, OTHER_PIN);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      expect(await pins.verifyPin(client, userId, OTHER_PIN, ctx)).toMatchObject({
        code: 'pin_locked',
      });
      let settled = false;
      const right = verify(pins, userId, PIN).finally(() => {
        settled = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      // The locking try has not committed, so the right PIN waits rather than reading old counters.
      expect(settled).toBe(false);
      await client.query('COMMIT');
      expect(await right).toMatchObject({ code: 'pin_locked', retryAfterSeconds: 15 * 60 });
    } finally {
      client.release();
    }
  });
});
