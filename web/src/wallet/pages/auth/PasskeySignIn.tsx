/**
 * "Sign in with a passkey": a discoverable passkey of this site stands in for both the login and
 * the password, so nothing is typed.
 */
import { browserSupportsWebAuthn, startAuthentication } from '@simplewebauthn/browser';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../../shared/api';
import { Button, ErrorNotice } from '../../../shared/ui';
import type { Me } from '../../session';
import { passkeyFailureOf } from './passkeyErrors';
import type { PasskeyRequestOptions, SignedIn } from './signIn';

interface PasskeyOptions {
  readonly challenge_id: string;
  readonly options: PasskeyRequestOptions;
}

async function signInWithPasskey(): Promise<SignedIn> {
  const started = await api<PasskeyOptions>('/v1/auth/passkey/options', { method: 'POST' });
  const response = await startAuthentication({ optionsJSON: started.options });
  return api<SignedIn>('/v1/auth/passkey', {
    method: 'POST',
    body: { challenge_id: started.challenge_id, response },
  });
}

export function PasskeySignIn({ onSignedIn }: { readonly onSignedIn: (user: Me) => void }) {
  const { t } = useTranslation('auth');
  const [unsupported, setUnsupported] = useState(false);
  const mutation = useMutation({
    mutationFn: signInWithPasskey,
    onSuccess: (signedIn) => onSignedIn(signedIn.user),
  });
  const failure = mutation.error === null ? undefined : passkeyFailureOf(mutation.error);
  return (
    <div>
      <Button
        variant="secondary"
        block
        busy={mutation.isPending}
        onClick={() => {
          const supported = browserSupportsWebAuthn();
          setUnsupported(!supported);
          if (supported) mutation.mutate();
        }}
      >
        {t('signIn.passkey')}
      </Button>
      {unsupported ? (
        <p className="field-error" role="alert">
          {t('passkey.noWebAuthn')}
        </p>
      ) : null}
      {mutation.error === null ? null : failure === undefined ? (
        <ErrorNotice error={mutation.error} />
      ) : (
        <p className="field-error" role="alert">
          {t(`passkey.${failure}`)}
        </p>
      )}
    </div>
  );
}
