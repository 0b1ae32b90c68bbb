/**
 * What a wallet user does, step by step through the UI, for the tests to build on: sign up
 * (verify the phone with the code from the development inbox, choose a payment PIN), sign in,
 * bind a card and top up, send money, confirm a payment with the PIN, read the balance.
 */
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { latestCode, newPhone } from './api';
import { pattern, text } from './locale';

export const DEMO_PASSWORD = 'hebao demo password';
export const DEMO_PIN = '480317';
export const DEMO_USERS = {
  liLei: '+8613800000001',
  hanMeimei: '+8613800000002',
  /** Owns the demo merchant, Hebao Coffee. */
  jimGreen: '+8613800000003',
} as const;

/** Waits until `locator` is there (Playwright's auto-waiting, as an assertion). */
export async function visible(locator: Locator, timeout = 20_000): Promise<Locator> {
  await locator.first().waitFor({ state: 'visible', timeout });
  return locator.first();
}

/** The input labelled with the text of `id` (TextField, SelectField, PinPad). */
export function field(page: Page | Locator, id: string): Locator {
  return page.getByLabel(text(id), { exact: true });
}

export function button(page: Page | Locator, id: string): Locator {
  return page.getByRole('button', { name: text(id), exact: true });
}

export function heading(page: Page | Locator, id: string): Locator {
  return page.getByRole('heading', { name: pattern(id) });
}

/** Signs in on the wallet's sign-in page and waits until it has moved on. */
export async function signIn(page: Page, login: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto('/signin');
  await field(page, 'auth:contactLabel').fill(login);
  await field(page, 'auth:passwordLabel').fill(password);
  await button(page, 'auth:signIn.submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 30_000 });
}

export interface NewUser {
  readonly phone: string;
  readonly name: string;
  readonly password: string;
  readonly pin: string;
}

/**
 * Signs up a new user through the pages: details, the code sent to the phone, then the payment
 * PIN; ends on the home page, signed in.
 */
export async function signUp(page: Page, name = 'Test User'): Promise<NewUser> {
  const user: NewUser = {
    phone: newPhone(),
    name,
    password: 'plum blossom over the west lake',
    pin: '139482',
  };
  await page.goto('/signup');
  await field(page, 'auth:contactLabel').fill(user.phone);
  await field(page, 'auth:signUp.nameLabel').fill(user.name);
  await field(page, 'auth:passwordLabel').fill(user.password);
  const since = new Date(Date.now() - 1000);
  await button(page, 'auth:signUp.submit').click();
  await visible(heading(page, 'auth:verify.title'));
  await field(page, 'auth:verify.codeLabel').fill(await latestCode(user.phone, since));
  await button(page, 'auth:verify.submit').click();
  await page.waitForURL(/\/pin/, { timeout: 30_000 });
  await choosePin(page, user.pin, user.password);
  await page.waitForURL((url) => url.pathname === '/', { timeout: 30_000 });
  return user;
}

/** The PIN page: six digits, the same again, then the account password. */
export async function choosePin(page: Page, pin: string, password: string): Promise<void> {
  await (await visible(field(page, 'auth:pin.firstLabel'))).fill(pin);
  await (await visible(field(page, 'auth:pin.repeatLabel'))).fill(pin);
  await (await visible(field(page, 'auth:pin.passwordLabel'))).fill(password);
  await button(page, 'auth:pin.submitSet').click();
}

/** Types the PIN into the pad of the open confirmation sheet. */
export async function enterPin(page: Page, pin: string): Promise<void> {
  const dialog = page.getByRole('dialog');
  await (await visible(field(dialog, 'common:pin.label'))).fill(pin);
}

/** Binds the sandbox bank's test Visa card on the cards page. */
export async function bindCard(page: Page, holder: string): Promise<void> {
  await page.goto('/cards');
  await field(page, 'funds:bind.number').fill('4242 4242 4242 4242');
  await field(page, 'funds:bind.expiry').fill(`12/${(new Date().getUTCFullYear() + 3) % 100}`);
  await field(page, 'funds:bind.cvc').fill('123');
  await field(page, 'funds:bind.holder').fill(holder);
  await button(page, 'funds:bind.submit').click();
  await visible(page.getByRole('status').filter({ hasText: pattern('funds:bind.done') }));
}

/** Tops up `amount` CNY from the first bound card and waits for the bank to settle it. */
export async function topUp(page: Page, amount: string): Promise<void> {
  await page.goto('/topup');
  await (await visible(page.getByLabel(pattern('funds:topup.amount')))).fill(amount);
  await button(page, 'funds:topup.submit').click();
  await visible(heading(page, 'funds:topup.status.succeeded'), 60_000);
}

/** Sends `amount` CNY to `phone`, confirming a new payee and the PIN when asked. */
export async function sendMoney(page: Page, phone: string, amount: string, pin: string) {
  await page.goto('/send');
  await field(page, 'send:search.label').fill(phone);
  await (await visible(page.getByRole('button', { name: pattern('send:search.choose') }))).click();
  await page.getByLabel(pattern('send:form.amount')).fill(amount);
  await button(page, 'send:form.submit').click();
  const newPayee = button(page, 'send:newPayee.confirm');
  const pinPad = page.getByRole('dialog').getByLabel(text('common:pin.label'), { exact: true });
  await visible(newPayee.or(pinPad));
  if (await newPayee.isVisible()) await newPayee.click();
  await enterPin(page, pin);
  await visible(page.getByText(pattern('send:result.to')));
}

/** The available CNY balance as the home page shows it (the text, e.g. "¥1,000.00"). */
export async function homeBalance(page: Page): Promise<string> {
  const wallet = page
    .getByRole('region', { name: text('home:balances.title') })
    .getByRole('listitem')
    .filter({ hasText: text('home:balances.available', { currency: 'CNY' }) });
  const amount = wallet.locator('.money-balance');
  await visible(amount);
  return (await amount.innerText()).trim();
}

/** Signs up and tops up: a user with money, on the home page. */
export async function userWithMoney(page: Page, amount: string, name?: string): Promise<NewUser> {
  const user = await signUp(page, name);
  await bindCard(page, user.name);
  await topUp(page, amount);
  await page.goto('/');
  const digits = (shown: string) => shown.replace(/\D/g, '');
  await expect
    .poll(async () => digits(await homeBalance(page)), { timeout: 20_000 })
    .toBe(digits(amount));
  return user;
}
