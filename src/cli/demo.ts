/**
 * Demo data for development: a few users with verified phones, a payment PIN, a bound test card
 * and a balance topped up through the sandbox bank, a transfer between two of them, and a demo
 * merchant (run by the third user) with an API key and one paid payment. Run once
 * on the first `npm start` (when the first demo user does not exist) and by `hebao seed-demo`.
 * Everything goes through the same services the API uses; nothing is written around them.
 */
import { readDevInbox } from '../events/index.js';
import type { User } from '../identity/index.js';
import { API_KEY_SCOPES } from '../merchants/index.js';
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

export interface DemoData {
  readonly logins: readonly DemoLogin[];
  readonly merchant: {
    readonly id: string;
    readonly name: string;
    /** Shown once, when the merchant is created; undefined when it existed already. */
    readonly apiKey: string | undefined;
  };
}

/** Whether the demo users exist already. */
export async function demoSeeded(rt: Runtime): Promise<boolean> {
  return (await rt.identity.identity.findUser(DEMO_USERS[0].phone)) !== undefined;
}

export async function seedDemo(rt: Runtime): Promise<DemoData> {
  const users: User[] = [];
  for (const demo of DEMO_USERS) users.push(await demoUser(rt, demo));
  const cards = await Promise.all(
    users.map((user, i) => topUp(rt, user, 1000_00n + BigInt(i) * 500_00n)),
  );
  const [lilei, meimei, jim] = users;
  if (lilei === undefined || meimei === undefined || jim === undefined) {
    throw new Error('demo users missing');
  }
  {
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
  return {
    logins: DEMO_USERS.map((d) => ({ login: d.phone, name: d.name })),
    merchant: await demoMerchant(rt, jim, cards[2]!, lilei),
  };
}

/** Jim's coffee shop: a merchant, an API key, and a payment by Li Lei. */
async function demoMerchant(
  rt: Runtime,
  owner: User,
  cardId: string,
  payer: User,
): Promise<DemoData['merchant']> {
  const [existing] = await rt.merchants.listOwned(owner.id);
  if (existing !== undefined) {
    return { id: existing.id, name: existing.nameEn, apiKey: undefined };
  }
  const created = await rt.merchants.create(owner.id, {
    nameZh: '荷包咖啡',
    nameEn: 'Hebao Coffee',
    mcc: '5814',
    city: 'Shanghai',
    country: 'CN',
    currency: 'CNY',
    settlementCardId: cardId,
    feeRateBp: 60,
  });
  if (!created.ok) throw new Error(`demo merchant: ${created.code}`);
  const merchant = created.merchant;
  const key = await rt.merchants.createApiKey(owner.id, merchant.id, {
    name: 'demo server',
    scopes: API_KEY_SCOPES,
  });
  if (!key.ok) throw new Error(`demo API key: ${key.code}`);
  const intent = await rt.payments.createIntent(merchant, {
    amount: money(32_00n, 'CNY'),
    description: 'Flat white',
    metadata: { order: 'demo-1' },
    expiresInSeconds: 300,
  });
  if (!intent.ok) throw new Error(`demo payment intent: ${intent.code}`);
  const paid = await rt.payments.confirm(payer.id, intent.intent.id, undefined);
  if (!paid.ok) throw new Error(`demo payment: ${paid.code}`);
  return { id: merchant.id, name: merchant.nameEn, apiKey: key.secret };
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

/** Binds a test card, tops up from it and waits for the bank; returns the card's id. */
async function topUp(rt: Runtime, user: User, amountMinor: bigint): Promise<string> {
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
    if (topup?.status === 'succeeded') return card.card.id;
    if (topup?.status === 'failed') throw new Error(`demo top-up ${topup.id} failed`);
    if (Date.now() > deadline) throw new Error(`demo top-up ${started.topup.id} did not settle`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
