/**
 * Issue test 3: the payment code (付款码). The page shows an 18-digit code behind the PIN, a
 * merchant's till charges it with the digits read off the screen, and the code changes when its
 * minute is up (the page's clock is moved on rather than waited for).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { asMerchant, charge, type Charge } from './api';
import { screenshot, useBrowser } from './browser';
import { pattern, text } from './locale';
import { DEMO_PIN, DEMO_USERS, field, signIn, visible } from './wallet';

const browsing = useBrowser();

/** The digits of the code on the screen, without the grouping spaces. */
async function shownCode(page: Page): Promise<string> {
  const digits = page.locator('p').filter({ hasText: text('paycode:digitsLabel') });
  await visible(digits);
  const shown = (await digits.innerText()).replace(text('paycode:digitsLabel'), '');
  return shown.replace(/\D/g, '');
}

/** The seconds the countdown says are left. */
async function secondsLeft(page: Page): Promise<number> {
  const countdown = page.getByText(pattern('paycode:refreshIn'));
  return Number.parseInt((await countdown.innerText()).replace(/\D/g, ''), 10);
}

describe('the payment code', () => {
  it('shows a code a till can charge, and a new one every minute', async () => {
    const page = await browsing.open();
    await page.clock.install();
    await signIn(page, DEMO_USERS.hanMeimei);
    await page.goto('/paycode');
    await visible(page.getByRole('heading', { name: text('paycode:title'), level: 1 }));
    await (await visible(field(page, 'common:pin.label'))).fill(DEMO_PIN);

    const first = await shownCode(page);
    expect(first).toMatch(/^\d{18}$/);
    await visible(page.getByRole('img', { name: text('paycode:barcodeLabel') }));
    await visible(page.getByRole('img', { name: text('paycode:qrLabel') }));
    await screenshot(page, 'pay-code-shown');

    const charged = await charge(first, '23.50');
    await expect
      .poll(async () => (await asMerchant<Charge>(`/v1/charges/${charged.id}`)).status, {
        timeout: 20_000,
      })
      .toBe('succeeded');

    const left = await secondsLeft(page);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(60);
    await page.clock.runFor(1_000);
    await expect.poll(() => secondsLeft(page)).not.toBe(left);
    await page.clock.fastForward((left + 1) * 1_000);
    await expect.poll(() => shownCode(page)).not.toBe(first);
    expect(await shownCode(page)).toMatch(/^\d{18}$/);
  });
});
