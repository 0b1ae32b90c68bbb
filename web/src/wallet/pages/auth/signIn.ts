/**
 * The sign-in answers of the API and what the app does once a session exists: forget anything
 * cached for whoever was here before, keep the new user as the `me` query, and move on.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { useNavigate } from 'react-router';
import { ME_QUERY_KEY, type Me } from '../../session';

export interface SignedIn {
  readonly session_id: string;
  readonly user: Me;
}

export interface MfaRequired {
  readonly mfa_required: true;
  readonly challenge_id: string;
  readonly methods: readonly ('totp' | 'recovery_code' | 'passkey')[];
  readonly passkey_options?: PasskeyRequestOptions;
}

/** `PublicKeyCredentialRequestOptionsJSON`, passed to the browser as the API gave it. */
export type PasskeyRequestOptions = Parameters<
  typeof import('@simplewebauthn/browser').startAuthentication
>[0]['optionsJSON'];

export function isMfaRequired(answer: SignedIn | MfaRequired): answer is MfaRequired {
  return 'mfa_required' in answer;
}

/** Call with the signed-in user; it resets the cache and goes to `to` (in this app or the portal). */
export function useFinishSignIn(): (user: Me, to: string) => Promise<void> {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return useCallback(
    async (user, to) => {
      queryClient.clear();
      if (to === '/merchant' || to.startsWith('/merchant/')) {
        // The merchant portal is another app: load it, do not route inside the wallet.
        window.location.assign(to);
        return;
      }
      queryClient.setQueryData(ME_QUERY_KEY, user);
      await navigate(to, { replace: true });
      void queryClient.invalidateQueries({ queryKey: ME_QUERY_KEY });
    },
    [queryClient, navigate],
  );
}
