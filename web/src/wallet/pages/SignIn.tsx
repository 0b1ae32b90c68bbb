/**
 * Sign in (/signin): a phone number or email and the password, then a second factor when the
 * account has MFA on; or a passkey alone. Afterwards, on to `next`.
 */
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api, fieldError } from '../../shared/api';
import { Button, ErrorNotice, TextField } from '../../shared/ui';
import type { Me } from '../session';
import { unlessField } from './auth/formError';
import { MfaStep } from './auth/MfaStep';
import { safeNext } from './auth/next';
import { PasskeySignIn } from './auth/PasskeySignIn';
import { PublicFrame } from './auth/PublicFrame';
import { isMfaRequired, useFinishSignIn, type MfaRequired, type SignedIn } from './auth/signIn';

export default function SignIn() {
  const [search] = useSearchParams();
  const next = safeNext(search);
  const finish = useFinishSignIn();
  const [challenge, setChallenge] = useState<MfaRequired | null>(null);
  const onSignedIn = (user: Me): void => void finish(user, next);
  return (
    <PublicFrame>
      <div className="card">
        {challenge === null ? (
          <PasswordStep next={next} onSignedIn={onSignedIn} onMfa={setChallenge} />
        ) : (
          <MfaStep
            challenge={challenge}
            onSignedIn={onSignedIn}
            onRestart={() => setChallenge(null)}
          />
        )}
      </div>
    </PublicFrame>
  );
}

interface Credentials {
  readonly login: string;
  readonly password: string;
}

function PasswordStep({
  next,
  onSignedIn,
  onMfa,
}: {
  readonly next: string;
  readonly onSignedIn: (user: Me) => void;
  readonly onMfa: (challenge: MfaRequired) => void;
}) {
  const { t } = useTranslation('auth');
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState<{ login?: string; password?: string }>({});
  const mutation = useMutation({
    mutationFn: (body: Credentials) =>
      api<SignedIn | MfaRequired>('/v1/auth/login', { method: 'POST', body }),
    onSuccess: (answer) => (isMfaRequired(answer) ? onMfa(answer) : onSignedIn(answer.user)),
  });

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const checked = {
      ...(login.trim() === '' ? { login: t('contactRequired') } : {}),
      ...(password === '' ? { password: t('passwordRequired') } : {}),
    };
    setMissing(checked);
    if (Object.keys(checked).length > 0) return;
    mutation.mutate({ login: login.trim(), password });
  };

  const formProblem = unlessField(mutation.error, ['login', 'password']);
  const signUp = next === '/' ? '/signup' : `/signup?next=${encodeURIComponent(next)}`;
  return (
    <>
      <form onSubmit={submit} noValidate>
        <h1>{t('signIn.title')}</h1>
        <TextField
          label={t('contactLabel')}
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          value={login}
          error={missing.login ?? fieldError(mutation.error, 'login')}
          onChange={(event) => setLogin(event.target.value)}
        />
        <TextField
          label={t('passwordLabel')}
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          error={missing.password ?? fieldError(mutation.error, 'password')}
          onChange={(event) => setPassword(event.target.value)}
        />
        {formProblem === undefined ? null : <ErrorNotice error={formProblem} />}
        <Button type="submit" block busy={mutation.isPending}>
          {t('signIn.submit')}
        </Button>
      </form>
      <p className="auth-divider">{t('signIn.or')}</p>
      <PasskeySignIn onSignedIn={onSignedIn} />
      <p className="auth-alt">
        {t('signIn.noAccount')} <Link to={signUp}>{t('signIn.toSignUp')}</Link>
      </p>
    </>
  );
}
