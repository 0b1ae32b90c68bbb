/**
 * Issue test 1, the whole journey of a payment: a new user signs up, verifies the phone, tops up,
 * scans a merchant's dynamic QR code from a picture, pays with the PIN; the merchant sees the
 * payment in the portal and refunds it; the wallet shows the refund.
 */
import { describe, expect, inject, it } from 'vitest';
import { createIntent, getIntent, qrPng } from './api';
import { DESKTOP, screenshot, useBrowser } from './browser';
import { pattern, text } from './locale';
import { refundInPortal, signInToPortal } from './merchant';
import { enterPin, field, homeBalance, userWithMoney, visible } from './wallet';

const browsing = useBrowser();

describe('paying a merchant and getting a refund', () => {
  it('goes from sign-up to a refunded QR payment', async () => {
    const wallet = await browsing.open();
    const user = await userWithMoney(wallet, '500.00', 'Wang Fang');

    const description = 'Two pour-overs and a cake';
    const intent = await createIntent('128.00', description);
    const picture = await qrPng(intent.qr_payload, intent.id);
    await wallet.goto('/scan');
    await visible(wallet.getByRole('heading', { name: text('scan:title') }));
    const chooser = wallet.waitForEvent('filechooser');
    await field(wallet, 'scan:image.choose').click();
    await (await chooser).setFiles(picture);

    const merchant = inject('demoMerchant').name;
    await visible(wallet.getByText(merchant));
    await screenshot(wallet, 'scan-confirm');
    await (
      await visible(wallet.getByRole('button', { name: pattern('scan:confirm.pay') }))
    ).click();
    await enterPin(wallet, user.pin);
    await visible(wallet.getByRole('heading', { name: text('scan:result.title') }), 30_000);
    await screenshot(wallet, 'scan-result');
    await visible(
      wallet.getByText(text('scan:result.paid', { amount: '¥128.00', name: merchant })),
    );
    expect((await getIntent(intent.id)).status).toBe('succeeded');
    await wallet.goto('/');
    await expect.poll(() => homeBalance(wallet)).toBe('¥372.00');

    const portal = await browsing.open({ viewport: DESKTOP });
    await signInToPortal(portal);
    await refundInPortal(portal, intent.id, description);
    await expect
      .poll(async () => (await getIntent(intent.id)).amount_refunded.amount, { timeout: 30_000 })
      .toBe('128.00');

    // Live, or at the latest on the next visit to the home page.
    await expect
      .poll(
        async () => {
          await wallet.goto('/');
          return homeBalance(wallet);
        },
        { timeout: 30_000, interval: 2_000 },
      )
      .toBe('¥500.00');
    await wallet.goto('/activity');
    const refund = wallet
      .getByRole('link')
      .filter({ hasText: text('history:entry.refund_incoming') })
      .filter({ hasText: '¥128.00' });
    await visible(refund);
  });
});
