import { describe, expect, it } from 'vitest';
import { AssertionError } from '../lib/assert.js';
import { manualClock } from '../lib/clock.js';
import { createBankState } from './bank-state.js';

const START_MS = Date.UTC(2031, 2, 14, 10);
const card = { expMonth: 3, expYear: 2031, cvc: '123', holderName: 'Li Lei' };

function setup(number = '4242424242424242') {
  const clock = manualClock(START_MS);
  const state = createBankState({ clock });
  const tokenized = state.tokenize({ ...card, number });
  if (!tokenized.ok) throw new Error(tokenized.code);
  const input = {
    reference: 'top_1',
    cardToken: tokenized.card.token,
    amount: { amount: '12.50', currency: 'CNY' },
  };
  return { clock, state, token: tokenized.card.token, input };
}

describe('bank state', () => {
  it('creates a pending movement once per reference and kind', () => {
    const { state, input } = setup();
    const first = state.createMovement('charge', input);
    expect(first).toMatchObject({ ok: true, created: true, movement: { status: 'pending' } });
    const again = state.createMovement('charge', input);
    expect(again).toMatchObject({ ok: true, created: false });
    if (first.ok && again.ok) expect(again.movement).toBe(first.movement);
    expect(state.createMovement('payout', input)).toMatchObject({ ok: true, created: true });
    expect(
      state.createMovement('charge', { ...input, amount: { amount: '12.5', currency: 'CNY' } }),
    ).toMatchObject({ ok: true, created: false });
  });

  it('refuses a reused reference with other details', () => {
    const { state, input } = setup();
    state.createMovement('charge', input);
    for (const change of [
      { amount: { amount: '12.51', currency: 'CNY' } },
      { amount: { amount: '12.50', currency: 'USD' } },
      { cardToken: 'btk_other' },
    ]) {
      expect(state.createMovement('charge', { ...input, ...change })).toMatchObject({
        ok: false,
        code: 'reference_reused',
      });
    }
  });

  it('refuses a card that expired after tokenization, but still answers a retry', () => {
    const { clock, state, input } = setup();
    const first = state.createMovement('charge', input);
    clock.advanceMs(30 * 24 * 3_600_000);
    expect(state.createMovement('charge', { ...input, reference: 'top_2' })).toMatchObject({
      ok: false,
      code: 'card_expired',
    });
    expect(state.createMovement('charge', input)).toEqual({ ...first, created: false });
  });

  it.each([
    ['a reference with spaces', { reference: 'top 1' }, 'validation_failed'],
    ['a reference starting with -', { reference: '-top' }, 'validation_failed'],
    ['a zero amount', { amount: { amount: '0', currency: 'CNY' } }, 'amount_invalid'],
    ['too many decimals', { amount: { amount: '1.005', currency: 'CNY' } }, 'amount_invalid'],
    ['an unknown currency', { amount: { amount: '1', currency: 'XXY' } }, 'amount_invalid'],
    ['an unknown token', { cardToken: 'btk_nope' }, 'card_token_unknown'],
  ])('refuses %s', (_what, change, code) => {
    const { state, input } = setup();
    expect(state.createMovement('charge', { ...input, ...change })).toMatchObject({
      ok: false,
      code,
    });
  });

  it('settles to the outcome of the card, once, with increasing event sequences', () => {
    const { clock, state, input } = setup('4000000000009995');
    const created = state.createMovement('charge', input);
    if (!created.ok) throw new Error(created.code);
    const movement = created.movement;
    expect(state.nextEvent(movement, 'charge.pending').sequence).toBe(1);
    clock.advanceMs(500);
    expect(state.settle(movement)).toBe('failed');
    expect(movement).toMatchObject({
      status: 'failed',
      failureCode: 'insufficient_funds',
      settledAtMs: START_MS + 500,
    });
    const final = state.nextEvent(movement, 'charge.failed');
    expect(final).toMatchObject({
      sequence: 2,
      failureCode: 'insufficient_funds',
      amount: { amount: '12.50', currency: 'CNY' },
    });
    expect(() => state.settle(movement)).toThrow(AssertionError);
  });

  it('declines payouts to cards ending in 0077 only', () => {
    const declined = setup('4000000000000077');
    const payout = declined.state.createMovement('payout', declined.input);
    const charge = declined.state.createMovement('charge', declined.input);
    if (!payout.ok || !charge.ok) throw new Error('not created');
    expect(declined.state.settle(payout.movement)).toBe('failed');
    expect(payout.movement.failureCode).toBe('payout_declined');
    expect(declined.state.settle(charge.movement)).toBe('succeeded');
  });
});
