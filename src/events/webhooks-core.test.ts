/**
 * Goal: the pure core of webhooks decides as documented: the retry schedule, what a delivery
 * becomes after an attempt or while its endpoint is off, what a response means, an endpoint's status
 * after a patch, which event types an endpoint may subscribe to, and the event body. Needs no
 * database.
 */
import { describe, expect, it } from 'vitest';
import { limits } from '../limits.js';
import {
  afterAttempt,
  parkedDelivery,
  patchedStatus,
  responseOutcome,
  retryDelayMs,
  validateEventTypes,
  webhookEventBody,
  type WebhookEndpointStatus,
} from './webhooks-core.js';

describe('retry schedule', () => {
  it('doubles from 30 s to the 6 h cap, shortened by at most a fifth of jitter', () => {
    expect(retryDelayMs(1, 0)).toBe(30_000);
    expect(retryDelayMs(2, 0)).toBe(60_000);
    expect(retryDelayMs(3, 0)).toBe(120_000);
    expect(retryDelayMs(1, 0.999)).toBeGreaterThanOrEqual(24_000);
    expect(retryDelayMs(20, 0)).toBe(limits.webhookRetryMaxMs);
    expect(retryDelayMs(50, 0.5)).toBe(19_440_000);
    for (let n = 1; n < 9; n++) {
      expect(retryDelayMs(n + 1, 0.999)).toBeGreaterThan(retryDelayMs(n, 0));
    }
  });

  const created = Date.UTC(2031, 2, 14);
  const base = { state: 'pending' as const, eventCreatedAtMs: created, succeeded: false };

  it('succeeds on a 2xx, from any state', () => {
    for (const state of ['pending', 'failed', 'succeeded'] as const) {
      const end = { ...base, state, attemptCount: 3, attemptedAtMs: created, succeeded: true };
      expect(afterAttempt(end, 0)).toEqual({
        state: 'succeeded',
        nextAttemptAtMs: null,
        gaveUp: false,
      });
    }
  });

  it('schedules a pending delivery until the next attempt would fall after 3 days', () => {
    const end = { ...base, attemptCount: 1, attemptedAtMs: created };
    expect(afterAttempt(end, 0)).toEqual({
      state: 'pending',
      nextAttemptAtMs: created + 30_000,
      gaveUp: false,
    });
    const late = created + limits.webhookRetryWindowMs - limits.webhookRetryMaxMs + 1;
    expect(afterAttempt({ ...end, attemptCount: 15, attemptedAtMs: late }, 0)).toEqual({
      state: 'failed',
      nextAttemptAtMs: null,
      gaveUp: true,
    });
    const cap = { ...end, attemptCount: limits.webhookAttemptsPerDeliveryMax };
    expect(afterAttempt(cap, 0).state).toBe('failed');
  });

  it('leaves a failed or succeeded delivery as it is when a resend fails', () => {
    for (const state of ['failed', 'succeeded'] as const) {
      const end = { ...base, state, attemptCount: 9, attemptedAtMs: created };
      expect(afterAttempt(end, 0)).toEqual({ state, nextAttemptAtMs: null, gaveUp: false });
    }
  });
});

describe('event types and bodies', () => {
  it('accepts explicit types, sorted and without repeats', () => {
    expect(
      validateEventTypes(['refund.succeeded', 'payment_intent.succeeded', 'refund.succeeded']),
    ).toEqual({ ok: true, eventTypes: ['payment_intent.succeeded', 'refund.succeeded'] });
  });

  it.each([
    ['none', []],
    ['a wildcard', ['*']],
    ['a prefix wildcard', ['payment_intent.*']],
    ['an upper-case type', ['Payment_intent.succeeded']],
    ['a type without a dot', ['payment']],
    [
      'too many',
      Array.from({ length: limits.webhookEventTypesPerEndpointMax + 1 }, (_, i) => `a.t${i}`),
    ],
    ['a too long type', [`a.${'b'.repeat(limits.webhookEventTypeLengthMax)}`]],
  ])('refuses %s', (_what, types) => {
    const result = validateEventTypes(types);
    expect(result.ok ? 'ok' : result.code).toBe('webhook_event_types_invalid');
  });

  it('refuses types outside a catalogue when one is given', () => {
    const catalogue = new Set(['payment_intent.succeeded']);
    expect(validateEventTypes(['payment_intent.succeeded'], catalogue).ok).toBe(true);
    expect(validateEventTypes(['payment_intent.succeded'], catalogue).ok).toBe(false);
  });

  it('sends { id, type, created, data }', () => {
    const createdAt = new Date(Date.UTC(2031, 2, 14, 10));
    const body = webhookEventBody({ id: 'evt_1', type: 'a.b', createdAt, data: { x: '1' } });
    expect(JSON.parse(body)).toEqual({
      id: 'evt_1',
      type: 'a.b',
      created: '2031-03-14T10:00:00.000Z',
      data: { x: '1' },
    });
  });
});

describe('responses, parked deliveries and patched endpoints', () => {
  it.each([
    [200, 200, null],
    [204, 204, null],
    [302, 302, 'redirects are not followed'],
    [500, 500, null],
    [99, null, 'the response had no valid HTTP status'],
    [600, null, 'the response had no valid HTTP status'],
    [200.5, null, 'the response had no valid HTTP status'],
  ])('reads status %s as %s with error %s', (status, recorded, error) => {
    const outcome = responseOutcome({ status, excerpt: 'ok' });
    expect(outcome).toEqual({ status: recorded, error, excerpt: recorded === null ? null : 'ok' });
  });

  it('parks a delivery of an endpoint that is off until its window ends, then fails it', () => {
    const created = new Date(Date.UTC(2031, 2, 14));
    const deadline = new Date(created.getTime() + limits.webhookRetryWindowMs);
    expect(parkedDelivery(created, 'disabled', created)).toEqual({
      state: 'pending',
      nextAttemptAt: deadline,
      error: null,
    });
    expect(parkedDelivery(created, 'failing', deadline)).toEqual({
      state: 'failed',
      nextAttemptAt: null,
      error: 'gave up: the endpoint is failing',
    });
  });

  const cases: ReadonlyArray<
    readonly [WebhookEndpointStatus, boolean | undefined, WebhookEndpointStatus, string | null]
  > = [
    ['enabled', undefined, 'enabled', null],
    ['failing', undefined, 'failing', 'was failing'],
    ['failing', true, 'enabled', null],
    ['disabled', true, 'enabled', null],
    ['enabled', false, 'disabled', 'disabled by its owner'],
    ['failing', false, 'disabled', 'disabled by its owner'],
  ];
  it.each(cases)('patches %s with enabled %s to %s (%s)', (before, enabled, status, reason) => {
    const disabledReason = before === 'enabled' ? null : 'was failing';
    expect(patchedStatus({ status: before, disabledReason }, enabled)).toEqual({ status, reason });
  });
});
