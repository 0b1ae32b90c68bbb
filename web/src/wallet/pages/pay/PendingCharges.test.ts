import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../shared/api';
import { declineCharge, pendingCharges } from './PendingCharges';

const NOW = Date.parse('2026-11-23T17:20:00Z');

function confirmation(intent: string, expires: string, amountMinor = '25000') {
  return {
    id: `evt_${intent}`,
    type: 'payment.requires_confirmation',
    data: {
      charge_id: `chg_${intent}`,
      payment_intent_id: intent,
      merchant_id: 'mch_1',
      merchant_name_zh: '荷包咖啡',
      merchant_name_en: 'Hebao Coffee',
      amount_minor: amountMinor,
      currency: 'CNY',
      expires_at: expires,
    },
  };
}

describe('pending charges', () => {
  it('are the confirmations not yet paid nor expired, oldest first', () => {
    const events = [
      { id: 'evt_paid', type: 'payment.succeeded', data: { payment_intent_id: 'pi_b' } },
      confirmation('pi_c', '2026-11-23T17:24:00Z', '30001'),
      confirmation('pi_b', '2026-11-23T17:23:00Z'),
      confirmation('pi_a', '2026-11-23T17:19:00Z'),
      confirmation('pi_d', '2026-11-23T17:22:00Z'),
    ];
    const pending = pendingCharges(events, NOW);
    expect(pending.map((c) => c.scanned.payment_intent)).toEqual(['pi_d', 'pi_c']);
    expect(pending[1]?.scanned.amount).toEqual({ amount: '300.01', currency: 'CNY' });
    expect(pending[1]?.scanned.kind).toBe('payment_intent');
  });

  it('leave out a charge declined on any device', () => {
    const events = [
      { id: 'evt_no', type: 'payment.declined', data: { payment_intent_id: 'pi_c' } },
      confirmation('pi_c', '2026-11-23T17:24:00Z'),
      confirmation('pi_d', '2026-11-23T17:22:00Z'),
    ];
    expect(pendingCharges(events, NOW).map((c) => c.scanned.payment_intent)).toEqual(['pi_d']);
  });

  it('skip events whose data is not a charge', () => {
    const broken = confirmation('pi_x', '2026-11-23T17:24:00Z', '12.5');
    expect(pendingCharges([broken], NOW)).toEqual([]);
  });
});

describe('declining a charge', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  function answer(status: number, body: unknown) {
    const fetch = vi.fn(
      async () =>
        new Response(JSON.stringify(body), {
          status,
          headers: { 'content-type': 'application/json' },
        }),
    );
    vi.stubGlobal('fetch', fetch);
    return fetch;
  }

  it('posts to the charge’s decline route', async () => {
    const fetch = answer(200, { id: 'chg_a', status: 'failed', failure_code: 'declined_by_payer' });
    await declineCharge('chg_a');
    expect(fetch).toHaveBeenCalledWith(
      '/v1/charges/chg_a/decline',
      expect.objectContaining({ method: 'POST' }),
    );
  });

  it('throws the API’s problem when the charge is no longer waiting', async () => {
    answer(409, { code: 'charge_not_pending', title: 'No longer waiting' });
    const declined = declineCharge('chg_b');
    await expect(declined).rejects.toBeInstanceOf(ApiError);
    await expect(declined).rejects.toMatchObject({ code: 'charge_not_pending' });
  });
});
