/**
 * Issue test 5: signing in and paying with the keyboard alone (Tab, typing, Enter, Space; the
 * mouse is never used), so that everything on the way is focusable and in a sensible order.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, it } from 'vitest';
import { useBrowser } from './browser';
import { pattern, text } from './locale';
import { DEMO_PASSWORD, DEMO_PIN, DEMO_USERS, field, visible } from './wallet';

const browsing = useBrowser();
const TABS_MAX = 60;

async function focused(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element === document.activeElement).catch(() => false);
}

/** Presses Tab until `target` has the focus (failing after a page's worth of stops). */
async function tabTo(page: Page, target: Locator): Promise<void> {
  await visible(target);
  for (let i = 0; i < TABS_MAX; i++) {
    if (await focused(target.first())) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target.toString()}`);
}

describe('keyboard only', () => {
  it('signs in and sends money without the mouse', async () => {
    const page = await browsing.open();
    await page.goto('/signin');
    await tabTo(page, field(page, 'auth:contactLabel'));
    await page.keyboard.type(DEMO_USERS.hanMeimei);
    await tabTo(page, field(page, 'auth:passwordLabel'));
    await page.keyboard.type(DEMO_PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/', { timeout: 30_000 });

    await tabTo(page, page.getByRole('link', { name: text('home:actions.send'), exact: true }));
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/send/);
    await tabTo(page, field(page, 'send:search.label'));
    await page.keyboard.type(DEMO_USERS.liLei);
    await tabTo(page, page.getByRole('button', { name: pattern('send:search.choose') }));
    await page.keyboard.press('Enter');
    await tabTo(page, page.getByLabel(pattern('send:form.amount')));
    await page.keyboard.type('101.50');
    await tabTo(page, page.getByRole('button', { name: text('send:form.submit'), exact: true }));
    await page.keyboard.press('Space');

    // Han Meimei has never paid Li Lei: that is confirmed first; then comes the PIN sheet.
    const confirmPayee = page.getByRole('button', { name: text('send:newPayee.confirm') });
    const pin = page.getByRole('dialog').getByLabel(text('common:pin.label'), { exact: true });
    await visible(confirmPayee.or(pin));
    if (await confirmPayee.isVisible()) {
      await tabTo(page, confirmPayee);
      await page.keyboard.press('Enter');
    }
    await tabTo(page, pin);
    await page.keyboard.type(DEMO_PIN);
    await visible(page.getByText(pattern('send:result.to')), 30_000);
    await visible(page.getByText('¥101.50'));
  });
});
