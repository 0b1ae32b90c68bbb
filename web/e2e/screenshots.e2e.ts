/**
 * Issue test 6: a picture of every main page of both apps, on a phone (390×844) and a desktop
 * (1280×800), in `test-results/screenshots/<width>x<height>/<name>.png` (and the whole page as
 * `<name>.full.png`). Each page must load without an error notice.
 */
import { describe, expect, it } from 'vitest';
import { DESKTOP, PHONE, screenshot, useBrowser, type Viewport } from './browser';
import { openPortal } from './merchant';
import {
  errorsShown,
  MERCHANT_PAGES,
  PUBLIC_PAGES,
  visit,
  WALLET_PAGES,
  type MainPage,
} from './pages';
import { DEMO_USERS, signIn } from './wallet';
import type { Page } from 'playwright-core';

const browsing = useBrowser();

/** Visits and photographs each page; a page that fails is reported and the rest still taken. */
async function photograph(page: Page, pages: readonly MainPage[]): Promise<void> {
  const failures: string[] = [];
  for (const main of pages) {
    try {
      await visit(page, main);
      const shown = await errorsShown(page);
      if (shown.length > 0) failures.push(`${main.name} shows: ${shown.join(' / ')}`);
    } catch (error) {
      failures.push(`${main.name}: ${(error as Error).message.split('\n')[0]}`);
    }
    await screenshot(page, main.name);
  }
  expect(failures).toEqual([]);
}

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as [string, Viewport][])('screenshots on a %s', (_, viewport) => {
  it('of the pages before signing in', async () => {
    await photograph(await browsing.open({ viewport }), PUBLIC_PAGES);
  });

  it('of the wallet', async () => {
    const page = await browsing.open({ viewport });
    await signIn(page, DEMO_USERS.liLei);
    await photograph(page, WALLET_PAGES);
  });

  it('of the merchant portal', async () => {
    const page = await browsing.open({ viewport });
    await openPortal(page);
    await photograph(page, MERCHANT_PAGES);
  });
});
