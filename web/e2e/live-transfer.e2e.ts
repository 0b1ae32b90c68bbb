/**
 * Issue test 2: two users side by side. Money one of them sends shows up in the other's window
 * at once, as a notification and in the balance, without reloading the page.
 */
import { describe, expect, it } from 'vitest';
import { useBrowser } from './browser';
import { pattern } from './locale';
import { DEMO_PIN, DEMO_USERS, homeBalance, sendMoney, signIn, visible } from './wallet';

const browsing = useBrowser();

/** "¥1,234.56" to minor units, for comparing balances. */
function minor(shown: string): bigint {
  return BigInt(shown.replace(/[^\d]/g, ''));
}

describe('a transfer between two signed-in users', () => {
  it('reaches the payee live: a notification and the new balance, no reload', async () => {
    const payer = await browsing.open();
    const payee = await browsing.open();
    await signIn(payer, DEMO_USERS.liLei);
    await signIn(payee, DEMO_USERS.hanMeimei);
    await payee.goto('/');
    const before = minor(await homeBalance(payee));
    // A reload would lose this mark.
    await payee.evaluate(() => document.documentElement.setAttribute('data-e2e-mark', 'kept'));

    await sendMoney(payer, DEMO_USERS.hanMeimei, '120.00', DEMO_PIN);

    const toast = payee
      .getByRole('status')
      .or(payee.getByRole('alert'))
      .filter({ hasText: pattern('notifications:event.transfer.receivedFrom') });
    await visible(toast, 30_000);
    await expect
      .poll(async () => minor(await homeBalance(payee)), { timeout: 30_000 })
      .toBe(before + 120_00n);
    const mark = await payee.evaluate(() => document.documentElement.getAttribute('data-e2e-mark'));
    expect(mark, 'the payee page was reloaded').toBe('kept');
    expect(new URL(payee.url()).pathname).toBe('/');
  });
});
