/**
 * What the demo merchant's owner (Jim Green) does in the merchant portal at `/merchant/`: sign in
 * (through the wallet's sign-in page, which comes back to the portal) and refund a payment.
 */
import type { Page } from 'playwright-core';
import { pattern, text } from './locale';
import { button, DEMO_PASSWORD, DEMO_USERS, field, signIn, visible } from './wallet';

/**
 * Opens the portal signed in as the demo merchant's owner, on its dashboard, the way a visitor
 * gets there: the portal's "sign in" link, the wallet's sign-in page, and back to the portal.
 */
export async function signInToPortal(page: Page): Promise<void> {
  await page.goto('/merchant/');
  await (await visible(page.getByRole('link', { name: text('merchant:signIn.link') }))).click();
  await field(page, 'auth:contactLabel').fill(DEMO_USERS.jimGreen);
  await field(page, 'auth:passwordLabel').fill(DEMO_PASSWORD);
  await button(page, 'auth:signIn.submit').click();
  await page.waitForURL((url) => url.pathname.startsWith('/merchant'), { timeout: 30_000 });
  await visible(portalHeading(page));
}

/** Signs in on the wallet's page, then opens the portal (for tests about the portal's pages). */
export async function openPortal(page: Page): Promise<void> {
  await signIn(page, DEMO_USERS.jimGreen);
  await page.goto('/merchant/');
  await visible(portalHeading(page));
}

function portalHeading(page: Page) {
  return page.getByRole('heading', { name: text('merchant:dashboard.title'), level: 1 });
}

/** Finds payment `intentId` in the portal's list of payments and refunds all of it. */
export async function refundInPortal(page: Page, intentId: string, description: string) {
  await (await visible(page.getByRole('link', { name: text('merchant:nav.payments') }))).click();
  const row = page.getByRole('row').filter({ hasText: intentId });
  await (await visible(row.getByRole('link', { name: description }))).click();
  await visible(page.getByRole('heading', { name: text('merchant:refund.title') }));
  await button(page, 'merchant:refund.submit').click();
  await visible(page.getByRole('status').filter({ hasText: pattern('merchant:refund.done') }));
}
