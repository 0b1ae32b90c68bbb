import { act, renderHook } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ApiError, NetworkError } from './api';
import { needsStepUp, useIdempotentSubmit } from './payment';

const problem = (code: string, status = 400) =>
  new ApiError({ type: '', title: code, status, code });

/** A send that records the keys it was given and answers from a script. */
function scripted(answers: Array<'ok' | Error>) {
  const keys: string[] = [];
  const send = async (_body: { amount: string }, key: string) => {
    keys.push(key);
    const answer = answers.shift() ?? 'ok';
    if (answer !== 'ok') throw answer;
    return { paid: key };
  };
  return { keys, send };
}

describe('an idempotent submit', () => {
  it('re-sends the same key after a network failure, so checking again cannot pay twice', async () => {
    const { keys, send } = scripted([new NetworkError(new TypeError('offline')), 'ok']);
    const { result } = renderHook(() => useIdempotentSubmit(send));
    await act(async () => {
      await expect(result.current.submit({ amount: '12.50' })).rejects.toBeInstanceOf(NetworkError);
    });
    expect(result.current.uncertain).toBe(true);
    await act(async () => {
      await expect(result.current.submit({ amount: '12.50' })).resolves.toEqual({ paid: keys[0] });
    });
    expect(result.current.uncertain).toBe(false);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
  });

  it('takes a new key for a changed body, after an answer, and after any problem', async () => {
    const { keys, send } = scripted([
      new NetworkError(new TypeError('offline')),
      'ok',
      problem('insufficient_funds'),
      'ok',
    ]);
    const { result } = renderHook(() => useIdempotentSubmit(send));
    await act(async () => {
      await result.current.submit({ amount: '1.00' }).catch(() => undefined);
      await result.current.submit({ amount: '2.00' });
      await result.current.submit({ amount: '2.00' }).catch(() => undefined);
      await result.current.submit({ amount: '2.00' });
    });
    expect(new Set(keys).size).toBe(4);
    expect(result.current.uncertain).toBe(false);
  });

  it('forgets an uncertain attempt when reset', async () => {
    const { keys, send } = scripted([new NetworkError(new TypeError('offline')), 'ok']);
    const { result } = renderHook(() => useIdempotentSubmit(send));
    await act(async () => {
      await result.current.submit({ amount: '5.00' }).catch(() => undefined);
    });
    act(() => result.current.reset());
    expect(result.current.uncertain).toBe(false);
    await act(async () => {
      await result.current.submit({ amount: '5.00' });
    });
    expect(keys[1]).not.toBe(keys[0]);
  });
});

describe('step-up', () => {
  it('is needed for the step-up codes only', () => {
    expect(needsStepUp(problem('step_up_required', 403))).toBe(true);
    expect(needsStepUp(problem('confirmation_invalid', 403))).toBe(true);
    expect(needsStepUp(problem('insufficient_funds', 409))).toBe(false);
    expect(needsStepUp(new NetworkError(null))).toBe(false);
  });
});
