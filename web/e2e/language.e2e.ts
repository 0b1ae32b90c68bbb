/**
 * Issue test 4: switching the language changes every visible string. On each main page the
 * language switch goes from one language to the other (both directions are exercised, as the
 * choice carries over to the next page); afterwards:
 * - no visible text (nor an aria-label, placeholder, title or alt) is a raw translation key;
 * - no "missing translation" reached the console (the browser helper fails the test on it);
 * - no phrase of the language switched from is left on the page;
 * - no line of text is the same in both languages unless it is data: amounts, dates, ids, phone
 *   numbers, the demo people's and merchant's names, technical names set in code type (`code`,
 *   `.mono`: API scopes, event types), and the few strings the locale files themselves spell the
 *   same in both languages (a brand, say).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useBrowser } from './browser';
import { allTexts, text, type Language } from './locale';
import { openPortal } from './merchant';
import { MERCHANT_PAGES, PUBLIC_PAGES, settle, visit, WALLET_PAGES, type MainPage } from './pages';
import { DEMO_USERS, signIn } from './wallet';

const browsing = useBrowser();

/** Names and notes of the demo data, shown as they are in any language. */
const DATA = [
  '李雷 Li Lei',
  '韩梅梅 Han Meimei',
  'Jim Green',
  'Hebao Coffee',
  '荷包咖啡',
  'Coffee ☕',
  'Flat white',
  'demo server',
  'Shanghai',
  '中文',
  'English',
  // How the server names this browser's device (sessions, security alerts).
  'Chrome on Linux',
];

/** Strings the locale files give the same in both languages (their fixed parts). */
function sameInBoth(): string[] {
  const zh = new Set(allTexts('zh-CN'));
  return allTexts('en')
    .filter((s) => zh.has(s))
    .flatMap((s) => s.split(/\{\{\s*\w+\s*\}\}/))
    .map((s) => s.trim())
    .filter((s) => s.length >= 2);
}

const SHARED = [...DATA, ...sameInBoth()].sort((a, b) => b.length - a.length);

/**
 * Phrases of `language`'s locale files that the other language does not have: seen on a page in
 * the other language, they are left over from before the switch. Only phrases long enough not
 * to be a name or a code by chance (two English words, three Chinese characters).
 */
function phrasesOnlyIn(language: Language): string[] {
  const other = allTexts(language === 'en' ? 'zh-CN' : 'en').join('\n');
  const long = language === 'en' ? /[A-Za-z]{2,} [A-Za-z]{2,}/ : /\p{Script=Han}{3,}/u;
  return [
    ...new Set(
      allTexts(language)
        .flatMap((s) => s.split(/\{\{\s*\w+\s*\}\}/))
        .map((s) => s.trim())
        .filter((s) => long.test(s) && !other.includes(s)),
    ),
  ];
}

const PHRASES: Readonly<Record<Language, string[]>> = {
  en: phrasesOnlyIn('en'),
  'zh-CN': phrasesOnlyIn('zh-CN'),
};

const RAW_KEY = [
  /^[a-z][a-zA-Z0-9_]*(\.[a-zA-Z0-9_]+)+$/, // signIn.title
  /^[a-z][a-zA-Z0-9_-]*:[a-zA-Z0-9_.]+$/, // auth:signIn.title
  /\{\{|\}\}/, // an unfilled placeholder
];

/** What is left of a line once data is taken out; letters left means words. */
function words(line: string, data: readonly string[]): string {
  let rest = line;
  for (const shared of [...data, ...SHARED]) rest = rest.split(shared).join(' ');
  return rest
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/\S+@\S+/g, ' ')
    .replace(/\b[a-z]{2,5}_[0-9A-Za-z_…]{4,}/g, ' ') // ids and keys: trf_…, mch_…, sk_test_…
    .replace(/\b[A-Z]{2,}\b/g, ' ') // codes and brands: CNY, VISA
    .replace(/[^\p{L}]+/gu, ' ')
    .trim();
}

interface Shown {
  readonly lang: string;
  readonly lines: string[];
  readonly attributes: string[];
  /** Text set as code: names the API defines, the same in every language. */
  readonly code: string[];
}

/** Every line of rendered text, and the text of labelling attributes of visible elements. */
function shown(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    const lines = document.body.innerText
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
    const attributes: string[] = [];
    for (const element of document.querySelectorAll(
      '[aria-label], [placeholder], [title], img[alt]',
    )) {
      const box = element.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      for (const name of ['aria-label', 'placeholder', 'title', 'alt']) {
        const value = element.getAttribute(name)?.trim();
        if (value) attributes.push(value);
      }
    }
    const code = [...document.querySelectorAll<HTMLElement>('code, kbd, samp, .mono')]
      .map((element) => element.innerText.trim())
      .filter((value) => value !== '')
      .sort((a, b) => b.length - a.length);
    return { lang: document.documentElement.lang, lines, attributes, code };
  });
}

const SWITCH_NAMES = new RegExp(
  `^(${text('common:language', {}, 'en')}|${text('common:language', {}, 'zh-CN')})$`,
);

async function switchTo(page: Page, language: Language): Promise<void> {
  await page.getByRole('combobox', { name: SWITCH_NAMES }).first().selectOption(language);
  await page.waitForFunction((lang) => document.documentElement.lang === lang, language);
  await settle(page);
}

/** Checks one page both ways round; returns what is wrong with it. */
async function checkPage(page: Page, main: MainPage, from: Language, to: Language) {
  await visit(page, main);
  const before = await shown(page);
  await switchTo(page, to);
  const after = await shown(page);
  const problems: string[] = [];
  if (before.lang !== from) problems.push(`${main.name}: started in ${before.lang}, not ${from}`);
  for (const [language, seen] of [
    [from, before],
    [to, after],
  ] as const) {
    for (const value of [...seen.lines, ...seen.attributes]) {
      if (seen.code.includes(value)) continue;
      if (RAW_KEY.some((re) => re.test(value))) {
        problems.push(`${main.name} (${language}): raw key "${value}"`);
      }
    }
  }
  const stale = PHRASES[from].filter((phrase) => after.lines.some((line) => line.includes(phrase)));
  for (const phrase of stale) problems.push(`${main.name}: "${phrase}" is still shown in ${to}`);
  const earlier = new Set(before.lines);
  for (const line of after.lines) {
    // One letter alone (a logo's 荷, a key's ⌫) is decoration, not a sentence.
    if (earlier.has(line) && words(line, after.code).length > 1) {
      problems.push(`${main.name}: "${line}" is the same in ${from} and ${to}`);
    }
  }
  return problems;
}

async function checkAll(page: Page, pages: readonly MainPage[], first: Language): Promise<void> {
  const problems: string[] = [];
  let from = first;
  for (const main of pages) {
    const to: Language = from === 'en' ? 'zh-CN' : 'en';
    try {
      problems.push(...(await checkPage(page, main, from, to)));
    } catch (error) {
      problems.push(`${main.name}: ${(error as Error).message.split('\n')[0]}`);
    }
    from = (await page.evaluate(() => document.documentElement.lang)) as Language;
  }
  expect(problems).toEqual([]);
}

describe('switching between 中文 and English', () => {
  it('translates the pages before signing in', async () => {
    await checkAll(await browsing.open(), PUBLIC_PAGES, 'en');
  });

  it('translates every page of the wallet', async () => {
    const page = await browsing.open();
    await signIn(page, DEMO_USERS.liLei);
    await checkAll(page, WALLET_PAGES, 'en');
  });

  it('translates every page of the merchant portal', async () => {
    const page = await browsing.open();
    await openPortal(page);
    await checkAll(page, MERCHANT_PAGES, 'en');
  });
});
