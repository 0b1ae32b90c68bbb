/**
 * One money-moving submit with everything around it: the Idempotency-Key, the step-up when the
 * API asks for the PIN (the same body is sent again with the confirmation), and the uncertain
 * state after a dropped connection, whose "check again" re-sends the very same body and key.
 */
import { useCallback, useRef, useState } from 'react';
import { needsStepUp, useIdempotentSubmit } from '../../../shared/payment';
import type { StepUpTarget } from './StepUpSheet';

interface Attempt<Body> {
  readonly body: Body;
  readonly target: StepUpTarget;
}

export function usePaymentFlow<Body extends { readonly confirmation?: string }, Result>(
  send: (body: Body, idempotencyKey: string) => Promise<Result>,
  onDone: (result: Result) => void,
) {
  const { submit, uncertain, reset } = useIdempotentSubmit(send);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [stepUp, setStepUp] = useState<Attempt<Body> | null>(null);
  const last = useRef<Attempt<Body> | null>(null);

  const pay = useCallback(
    async (body: Body, target: StepUpTarget): Promise<void> => {
      last.current = { body, target };
      setBusy(true);
      setError(null);
      try {
        onDone(await submit(body));
      } catch (failure) {
        if (needsStepUp(failure)) setStepUp({ body, target });
        else setError(failure);
      } finally {
        setBusy(false);
      }
    },
    [submit, onDone],
  );

  const confirmed = (confirmation: string): void => {
    if (stepUp === null) return;
    setStepUp(null);
    void pay({ ...stepUp.body, confirmation }, stepUp.target);
  };

  const checkAgain = (): void => {
    if (last.current !== null) void pay(last.current.body, last.current.target);
  };

  const clear = (): void => {
    reset();
    setError(null);
  };

  return {
    pay,
    busy,
    error,
    uncertain,
    checkAgain,
    clear,
    stepUpTarget: stepUp?.target ?? null,
    confirmed,
    cancelStepUp: () => setStepUp(null),
  };
}
