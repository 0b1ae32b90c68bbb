/**
 * The second step of a sign-in with MFA on: a code from the authenticator app, one of the
 * recovery codes, or a passkey, whichever the account has.
 */
import { browserSupportsWebAuthn, startAuthentication } from '@simplewebauthn/browser';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, fieldError } from '../../../shared/api';
import { Button, ErrorNotice, TextField } from '../../../shared/ui';
import type { Me } from '../../session';
import { unlessField } from './formError';
import { passkeyFailureOf } from './passkeyErrors';
import type { MfaRequired, SignedIn } from './signIn';

type Proof =
  { readonly totp: string } | { readonly recovery_code: string } | { readonly passkey: unknown };

const TOTP_PATTERN = /^[0-9]{6}$/;
const RECOVERY_PATTERN = /^[0-9A-Za-z]{5}-?[0-9A-Za-z]{5}$/;

export function MfaStep({
  challenge,
  onSignedIn,
  onRestart,
}: {
  readonly challenge: MfaRequired;
  readonly onSignedIn: (user: Me) => void;
  readonly onRestart: () => void;
}) {
  const { t } = useTranslation('auth');
  const canRecover = challenge.methods.includes('recovery_code');
  const [method, setMethod] = useState<'totp' | 'recovery_code'>(
    challenge.methods.includes('totp') ? 'totp' : 'recovery_code',
  );
  const [code, setCode] = useState('');
  const [invalid, setInvalid] = useState<string | undefined>();
  const mutation = useMutation({
    mutationFn: (proof: Proof) =>
      api<SignedIn>('/v1/auth/mfa', {
        method: 'POST',
        body: { challenge_id: challenge.challenge_id, ...proof },
      }),
    onSuccess: (signedIn) => onSignedIn(signedIn.user),
  });

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const text = code.trim();
    const pattern = method === 'totp' ? TOTP_PATTERN : RECOVERY_PATTERN;
    if (!pattern.test(text)) {
      setInvalid(t(method === 'totp' ? 'mfa.totpFormat' : 'mfa.recoveryFormat'));
      return;
    }
    setInvalid(undefined);
    mutation.mutate(method === 'totp' ? { totp: text } : { recovery_code: text });
  };

  const switchMethod = (): void => {
    setMethod(method === 'totp' ? 'recovery_code' : 'totp');
    setCode('');
    setInvalid(undefined);
    mutation.reset();
  };

  const fieldProblem = invalid ?? fieldError(mutation.error, method);
  const otherProblem = unlessField(mutation.error, [method]);
  const expired =
    mutation.error instanceof ApiError && mutation.error.code === 'mfa_challenge_invalid';

  return (
    <form onSubmit={submit} noValidate>
      <h1>{t('mfa.title')}</h1>
      <p className="muted">{t(method === 'totp' ? 'mfa.totpIntro' : 'mfa.recoveryIntro')}</p>
      {method === 'totp' ? (
        <TextField
          key="totp"
          label={t('mfa.totpLabel')}
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={6}
          autoFocus
          value={code}
          error={fieldProblem}
          onChange={(event) => setCode(event.target.value)}
        />
      ) : (
        <TextField
          key="recovery"
          label={t('mfa.recoveryLabel')}
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          maxLength={11}
          autoFocus
          value={code}
          error={fieldProblem}
          onChange={(event) => setCode(event.target.value)}
        />
      )}
      {otherProblem === undefined ? null : <ErrorNotice error={otherProblem} />}
      <Button type="submit" block busy={mutation.isPending} disabled={expired}>
        {t('mfa.verify')}
      </Button>
      <div className="form-actions">
        {canRecover && challenge.methods.includes('totp') ? (
          <button type="button" className="link-button" onClick={switchMethod}>
            {t(method === 'totp' ? 'mfa.useRecovery' : 'mfa.useTotp')}
          </button>
        ) : null}
        <button type="button" className="link-button" onClick={onRestart}>
          {t('mfa.restart')}
        </button>
      </div>
      {challenge.methods.includes('passkey') && challenge.passkey_options !== undefined ? (
        <PasskeyProof challenge={challenge} onProof={(passkey) => mutation.mutate({ passkey })} />
      ) : null}
    </form>
  );
}

/** Answers the challenge's passkey options with one of the account's passkeys. */
function PasskeyProof({
  challenge,
  onProof,
}: {
  readonly challenge: MfaRequired;
  readonly onProof: (passkey: unknown) => void;
}) {
  const { t } = useTranslation('auth');
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const ask = async (): Promise<void> => {
    if (challenge.passkey_options === undefined) return;
    if (!browserSupportsWebAuthn()) {
      setFailure(t('passkey.noWebAuthn'));
      return;
    }
    setBusy(true);
    setFailure(undefined);
    try {
      onProof(await startAuthentication({ optionsJSON: challenge.passkey_options }));
    } catch (error) {
      setFailure(t(`passkey.${passkeyFailureOf(error) ?? 'failed'}`));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <p className="auth-divider">{t('signIn.or')}</p>
      <Button variant="secondary" block busy={busy} onClick={() => void ask()}>
        {t('mfa.usePasskey')}
      </Button>
      {failure === undefined ? null : (
        <p className="field-error" role="alert">
          {failure}
        </p>
      )}
    </>
  );
}
