/**
 * Chromium for a test file: one browser per file, a fresh context (cookies, storage) per user,
 * and every page watched: an uncaught error, a console error (i18next's "missing translation"
 * among them) or a 5xx answer fails the test it happened in. Debian's Chromium at
 * /usr/bin/chromium unless `HEBAO_E2E_CHROMIUM` names another Chromium or Chrome.
 */
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, inject } from 'vitest';

export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;

export interface Viewport {
  readonly width: number;
  readonly height: number;
}

export interface Browsing {
  /**
   * A page in a new context: a new user, signed out, with nothing stored, whose browser speaks
   * English (so the apps start in English).
   */
  open(options?: { readonly viewport?: Viewport }): Promise<Page>;
}

/** How long an action waits for its element; the slow steps (a bank settling) wait longer. */
const ACTION_TIMEOUT_MS = 20_000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
];

/** Registers the hooks of a test file that drives the browser. */
export function useBrowser(): Browsing {
  let browser: Browser | undefined;
  let contexts: BrowserContext[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: process.env.HEBAO_E2E_CHROMIUM ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    });
  });

  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      await keepFailure(contexts, `${context.task.suite?.name ?? ''} ${context.task.name}`);
    }
    await Promise.all(contexts.map((c) => c.close()));
    contexts = [];
    const seen = new Set(problems.splice(0));
    expect([...seen], 'errors on the page').toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  return {
    async open(options = {}) {
      if (browser === undefined) throw new Error('the browser is not running');
      const context = await browser.newContext({
        baseURL: inject('baseUrl'),
        viewport: options.viewport ?? PHONE,
        locale: 'en-US',
        serviceWorkers: 'block',
      });
      contexts.push(context);
      context.setDefaultTimeout(ACTION_TIMEOUT_MS);
      const page = await context.newPage();
      watch(page, problems);
      return page;
    },
  };
}

function watch(page: Page, problems: string[]): void {
  page.on('pageerror', (error) => problems.push(`page error at ${page.url()}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // Chromium logs every 4xx answer; the API's refusals are part of the flows under test.
    if (message.text().startsWith('Failed to load resource')) return;
    problems.push(`console error at ${page.url()}: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 500) {
      problems.push(`${response.status()} from ${response.request().method()} ${response.url()}`);
    }
  });
}

/** What each page showed when a test failed, in `test-results/failures/`. */
async function keepFailure(contexts: readonly BrowserContext[], test: string): Promise<void> {
  const dir = 'test-results/failures';
  mkdirSync(dir, { recursive: true });
  const name = test.replace(/[^\w-]+/g, '-').slice(0, 80);
  const pages = contexts.flatMap((c) => c.pages());
  await Promise.all(
    pages.map((page, i) =>
      page
        .screenshot({ path: `${dir}/${name}-${i + 1}.png`, fullPage: true })
        .catch(() => undefined),
    ),
  );
}

/**
 * Saves what the screen shows as `test-results/screenshots/<width>x<height>/<name>.png`, and the
 * whole page, scrolled, as `<name>.full.png`.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const size = page.viewportSize() ?? PHONE;
  const dir = `test-results/screenshots/${size.width}x${size.height}`;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: `${dir}/${name}.png` });
  await page.screenshot({ path: `${dir}/${name}.full.png`, fullPage: true });
}
