import { useCallback, useRef, useState } from 'react';
import { api, ApiError, NetworkError, newIdempotencyKey } from './api';
import type { MoneyWire } from './money';

/** Codes that mean "confirm this payment with the PIN (or a passkey) and send it again". */
export const STEP_UP_CODES: readonly string[] = ['step_up_required', 'confirmation_invalid'];

export function needsStepUp(error: unknown): boolean {
  return error instanceof ApiError && STEP_UP_CODES.includes(error.code);
}

/**
 * Confirms one payment with the payment PIN: a single-use confirmation bound to this amount and
 * payee (`POST /v1/me/confirmations`), to send with the payment.
 */
export async function confirmWithPin(
  amount: MoneyWire,
  payee: string,
  pin: string,
): Promise<string> {
  const created = await api<{ confirmation: string }>('/v1/me/confirmations', {
    method: 'POST',
    body: { amount, payee, pin },
  });
  return created.confirmation;
}

/**
 * Sends a money-moving request with an Idempotency-Key, and keeps that key while the outcome is
 * unknown. The API stores every answer it gives (success or a 4xx), so:
 * - after an answer, the next submit gets a new key (a changed form is a new attempt);
 * - after a network failure, `uncertain` is true and submitting the same body again re-sends the
 *   same key, which returns what happened the first time instead of paying twice.
 */
export function useIdempotentSubmit<Body, Result>(
  send: (body: Body, idempotencyKey: string) => Promise<Result>,
): {
  readonly submit: (body: Body) => Promise<Result>;
  readonly uncertain: boolean;
  readonly reset: () => void;
} {
  const pending = useRef<{ readonly key: string; readonly body: string } | null>(null);
  const [uncertain, setUncertain] = useState(false);
  const submit = useCallback(
    async (body: Body): Promise<Result> => {
      const text = JSON.stringify(body);
      const attempt =
        pending.current !== null && pending.current.body === text
          ? pending.current
          : { key: newIdempotencyKey(), body: text };
      pending.current = attempt;
      try {
        const result = await send(body, attempt.key);
        pending.current = null;
        setUncertain(false);
        return result;
      } catch (error) {
        if (error instanceof NetworkError) {
          setUncertain(true);
        } else {
          pending.current = null;
          setUncertain(false);
        }
        throw error;
      }
    },
    [send],
  );
  const reset = useCallback(() => {
    pending.current = null;
    setUncertain(false);
  }, []);
  return { submit, uncertain, reset };
}
