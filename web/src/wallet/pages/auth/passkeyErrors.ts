/**
 * What to tell the user when the browser's passkey prompt fails: cancelled or timed out, no
 * passkey here, this one already added, or an API problem (whose title is already translated).
 */
import { ApiError } from '../../../shared/api';

export type PasskeyFailure = 'cancelled' | 'unsupported' | 'exists' | 'failed';

export function passkeyFailureOf(error: unknown): PasskeyFailure | undefined {
  if (error instanceof ApiError) return undefined;
  const name = error instanceof Error ? error.name : '';
  if (name === 'NotAllowedError' || name === 'AbortError') return 'cancelled';
  if (name === 'InvalidStateError') return 'exists';
  if (name === 'NotSupportedError' || name === 'SecurityError') return 'unsupported';
  return 'failed';
}
