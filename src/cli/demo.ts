/**
 * Demo data for development: a few users with verified phones, a payment PIN, a bound test card
 * and a balance topped up through the sandbox bank, and a transfer between two of them. Run once
 * on the first `npm start` (when the first demo user does not exist) and by `hebao seed-demo`.
 * Everything goes through the same services the API uses; nothing is written around them.
 */
import { readDevInbox } from '../events/index.js';
import type { User } from '../identity/index.js';
import { money } from '../money/index.js';
import type { Runtime } from './runtime.js';

export const DEMO_PASSWORD = 'hebao demo password';
export const DEMO_PIN = '480317';

const DEMO_USERS = [
  { phone: '+8613800000001', name: '李雷 Li Lei', locale: 'zh-CN' },
  { phone: '+8613800000002', name: '韩梅梅 Han Meimei', locale: 'zh-CN' },
  { phone: '+8613800000003', name: 'Jim Green', locale: 'en' },
] as const;

/** Top-ups settle through the sandbox bank's callbacks; this is how long seeding waits. */
const SETTLE_WAIT_MS = 30_000;

export interface DemoLogin {
  readonly login: string;
  readonly name: string;
}

/** Whether the demo users exist already. */
export async function demoSeeded(rt: Runtime): Promise<boolean> {
  return (await rt.identity.identity.findUser(DEMO_USERS[0].phone)) !== undefined;
}

export async function seedDemo(rt: Runtime): Promise<DemoLogin[]> {
  const users: User[] = [];
  for (const demo of DEMO_USERS) users.push(await demoUser(rt, demo));
  await Promise.all(users.map((user, i) => topUp(rt, user, 1000_00n + BigInt(i) * 500_00n)));
  const [lilei, meimei] = users;
  if (lilei !== undefined && meimei !== undefined) {
    const paid = await rt.wallet.transfer(lilei.id, {
      recipientId: meimei.id,
      amount: money(25_00n, 'CNY'),
      note: 'Coffee ☕',
      arrival: 'instant',
      confirmation: undefined,
      confirmNewPayee: true,
      idempotencyKey: 'demo-coffee',
    });
    if (!paid.ok) throw new Error(`demo transfer refused: ${paid.code}`);
  }
  return DEMO_USERS.map((d) => ({ login: d.phone, name: d.name }));
}

async function demoUser(rt: Runtime, demo: (typeof DEMO_USERS)[number]): Promise<User> {
  const { identity, pins } = rt.identity;
  const existing = await identity.findUser(demo.phone);
  if (existing !== undefined) return existing;
  const ctx = { ip: '127.0.0.1', userAgent: 'hebao seed-demo' };
  const registered = await identity.register(
    { phone: demo.phone, password: DEMO_PASSWORD, displayName: demo.name, locale: demo.locale },
    ctx,
  );
  if (!registered.ok) throw new Error(`demo user ${demo.phone}: ${registered.code}`);
  await rt.messages.deliverDue();
  const [message] = await readDevInbox(rt.pool, demo.phone);
  const code = /\b([0-9]{6})\b/.exec(message?.body ?? '')?.[1];
  if (code === undefined) throw new Error(`no verification code for ${demo.phone}`);
  const verified = await identity.verifyContact(demo.phone, code, ctx);
  if (!verified.ok) throw new Error(`demo user ${demo.phone}: ${verified.code}`);
  const pin = await pins.setPin(
    registered.user.id,
    { pin: DEMO_PIN, currentPassword: DEMO_PASSWORD },
    ctx,
  );
  if (!pin.ok) throw new Error(`demo PIN for ${demo.phone}: ${pin.code}`);
  return verified.user;
}

async function topUp(rt: Runtime, user: User, amountMinor: bigint): Promise<void> {
  const card = await rt.funding.bindCard(user.id, {
    number: '4242424242424242',
    expMonth: 12,
    expYear: new Date(rt.clock.nowMs()).getUTCFullYear() + 3,
    cvc: '123',
    holderName: user.displayName,
  });
  if (!card.ok) throw new Error(`demo card for ${user.id}: ${card.code}`);
  const started = await rt.funding.topUp(user.id, {
    cardId: card.card.id,
    amount: money(amountMinor, 'CNY'),
    idempotencyKey: `demo-topup-${user.id}`,
  });
  if (!started.ok) throw new Error(`demo top-up for ${user.id}: ${started.code}`);
  const deadline = Date.now() + SETTLE_WAIT_MS;
  for (;;) {
    const topup = await rt.funding.getTopup(user.id, started.topup.id);
    if (topup?.status === 'succeeded') return;
    if (topup?.status === 'failed') throw new Error(`demo top-up ${topup.id} failed`);
    if (Date.now() > deadline) throw new Error(`demo top-up ${started.topup.id} did not settle`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
