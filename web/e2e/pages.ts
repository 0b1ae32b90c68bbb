/**
 * The main pages of both apps, where they are, and how to tell that one has finished loading: its
 * heading is shown and nothing is loading or busy any more. The screenshot and language tests go
 * through all of them.
 */
import type { Page } from 'playwright-core';
import { asMerchant, asUser } from './api';

export interface MainPage {
  readonly name: string;
  /** The path, or how to find it (a receipt needs a transaction's id). */
  readonly path: string | ((page: Page) => Promise<string>);
}

async function latestReceipt(page: Page): Promise<string> {
  const list = await asUser<{ data: { id: string }[] }>(page, '/v1/transactions?limit=1');
  const id = list.data[0]?.id;
  if (id === undefined) throw new Error('the user has no transactions for a receipt');
  return `/activity/${id}`;
}

async function latestPayment(): Promise<string> {
  const list = await asMerchant<{ data: { id: string }[] }>('/v1/payment-intents?limit=1');
  const id = list.data[0]?.id;
  if (id === undefined) throw new Error('the demo merchant has no payments');
  return `/merchant/payments/${id}`;
}

/** Before signing in. */
export const PUBLIC_PAGES: readonly MainPage[] = [
  { name: 'sign-in', path: '/signin' },
  { name: 'sign-up', path: '/signup' },
];

/** Signed in as a user with some history (Li Lei of the demo data). */
export const WALLET_PAGES: readonly MainPage[] = [
  { name: 'home', path: '/' },
  { name: 'send', path: '/send' },
  { name: 'top-up', path: '/topup' },
  { name: 'withdraw', path: '/withdraw' },
  { name: 'cards', path: '/cards' },
  { name: 'requests', path: '/requests' },
  { name: 'scan', path: '/scan' },
  { name: 'pay-code', path: '/paycode' },
  { name: 'collect', path: '/collect' },
  { name: 'activity', path: '/activity' },
  { name: 'receipt', path: latestReceipt },
  { name: 'insights', path: '/insights' },
  { name: 'notifications', path: '/notifications' },
  { name: 'security', path: '/security' },
  { name: 'settings', path: '/settings' },
  { name: 'payment-pin', path: '/pin' },
];

/** Signed in as the demo merchant's owner (Jim Green). */
export const MERCHANT_PAGES: readonly MainPage[] = [
  { name: 'merchant-dashboard', path: '/merchant/' },
  { name: 'merchant-payments', path: '/merchant/payments' },
  { name: 'merchant-payment', path: latestPayment },
  { name: 'merchant-intents', path: '/merchant/collect' },
  { name: 'merchant-qr-sign', path: '/merchant/qr' },
  { name: 'merchant-settlements', path: '/merchant/settlements' },
  { name: 'merchant-api-keys', path: '/merchant/api-keys' },
  { name: 'merchant-webhooks', path: '/merchant/webhooks' },
  { name: 'merchant-profile', path: '/merchant/merchant' },
];

/** Opens `main` and waits until it has settled. */
export async function visit(page: Page, main: MainPage): Promise<void> {
  const path = typeof main.path === 'string' ? main.path : await main.path(page);
  await page.goto(path);
  await settle(page);
}

/**
 * Waits until the page shows its heading and no loading state or busy element remains, then
 * gives a moment for the last paint. A page that shows an error once loaded has a problem.
 */
export async function settle(page: Page): Promise<void> {
  await page.locator('h1').first().waitFor({ state: 'visible', timeout: 30_000 });
  await page.waitForFunction(
    () => document.querySelector('.state-loading, [aria-busy="true"]') === null,
    undefined,
    { timeout: 30_000 },
  );
  await page.waitForTimeout(200);
}

/** The text of any error notice showing (an error on load is a bug in a main page). */
export async function errorsShown(page: Page): Promise<string[]> {
  return page.locator('.notice-error:visible').allInnerTexts();
}
