/**
 * Sign up (/signup): a phone number or email, a name and a password; then the code sent to that
 * contact. Verifying does not open a session, so the page signs in with the same credentials and
 * goes on to set the payment PIN.
 */
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api, ApiError, fieldError } from '../../shared/api';
import { Button, ErrorNotice, TextField } from '../../shared/ui';
import { unlessField } from './auth/formError';
import { safeNext } from './auth/next';
import { PublicFrame } from './auth/PublicFrame';
import { isMfaRequired, useFinishSignIn, type MfaRequired, type SignedIn } from './auth/signIn';

interface Registration {
  readonly login: string;
  readonly password: string;
  readonly sentTo: string;
}

export default function SignUp() {
  const { t } = useTranslation('auth');
  const [search] = useSearchParams();
  const next = safeNext(search);
  const [registered, setRegistered] = useState<Registration | null>(null);
  return (
    <PublicFrame>
      <div className="card">
        {registered === null ? (
          <DetailsStep onRegistered={setRegistered} />
        ) : (
          <VerifyStep registration={registered} next={next} />
        )}
      </div>
      <p className="auth-alt">
        {t('signUp.haveAccount')}{' '}
        <Link to={next === '/' ? '/signin' : `/signin?next=${encodeURIComponent(next)}`}>
          {t('signUp.toSignIn')}
        </Link>
      </p>
    </PublicFrame>
  );
}

interface Details {
  readonly contact: string;
  readonly displayName: string;
  readonly password: string;
}

type Missing = Partial<Record<keyof Details, string>>;

function DetailsStep({ onRegistered }: { readonly onRegistered: (r: Registration) => void }) {
  const { t, i18n } = useTranslation('auth');
  const [details, setDetails] = useState<Details>({ contact: '', displayName: '', password: '' });
  const [missing, setMissing] = useState<Missing>({});
  const mutation = useMutation({
    mutationFn: (input: Details) => {
      const contact = input.contact.trim();
      return api<{ verification: { sent_to: string } }>('/v1/auth/register', {
        method: 'POST',
        body: {
          ...(contact.includes('@') ? { email: contact } : { phone: contact }),
          display_name: input.displayName.trim(),
          password: input.password,
          locale: i18n.language === 'en' ? 'en' : 'zh-CN',
        },
      });
    },
    onSuccess: (created, input) =>
      onRegistered({
        login: input.contact.trim(),
        password: input.password,
        sentTo: created.verification.sent_to,
      }),
  });

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const checked: Missing = {
      ...(details.contact.trim() === '' ? { contact: t('contactRequired') } : {}),
      ...(details.displayName.trim() === '' ? { displayName: t('signUp.nameRequired') } : {}),
      ...(details.password === '' ? { password: t('passwordRequired') } : {}),
    };
    setMissing(checked);
    if (Object.keys(checked).length === 0) mutation.mutate(details);
  };

  const set = (field: keyof Details) => (event: { target: { value: string } }) =>
    setDetails({ ...details, [field]: event.target.value });
  const error = mutation.error;
  const formProblem = unlessField(error, ['phone', 'email', 'password', 'display_name']);
  return (
    <form onSubmit={submit} noValidate>
      <h1>{t('signUp.title')}</h1>
      <TextField
        label={t('contactLabel')}
        name="username"
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        hint={t('signUp.contactHint')}
        value={details.contact}
        error={missing.contact ?? fieldError(error, 'phone') ?? fieldError(error, 'email')}
        onChange={set('contact')}
      />
      <TextField
        label={t('signUp.nameLabel')}
        name="nickname"
        autoComplete="nickname"
        hint={t('signUp.nameHint')}
        value={details.displayName}
        error={missing.displayName ?? fieldError(error, 'display_name')}
        onChange={set('displayName')}
      />
      <TextField
        label={t('passwordLabel')}
        name="new-password"
        type="password"
        autoComplete="new-password"
        hint={t('signUp.passwordHint')}
        value={details.password}
        error={missing.password ?? fieldError(error, 'password')}
        onChange={set('password')}
      />
      {formProblem === undefined ? null : <ErrorNotice error={formProblem} />}
      <Button type="submit" block busy={mutation.isPending}>
        {t('signUp.submit')}
      </Button>
    </form>
  );
}

/** Checks the code, then signs in with the credentials just chosen. */
async function verifyAndSignIn(registration: Registration, code: string): Promise<SignedIn> {
  try {
    await api('/v1/auth/verify-contact', {
      method: 'POST',
      body: { login: registration.login, code },
    });
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'contact_already_verified')) throw error;
  }
  const answer = await api<SignedIn | MfaRequired>('/v1/auth/login', {
    method: 'POST',
    body: { login: registration.login, password: registration.password },
  });
  if (isMfaRequired(answer)) throw new MfaNeeded();
  return answer;
}

/** A verified account that already asks for a second factor: finish on the sign-in page. */
class MfaNeeded extends Error {
  constructor() {
    super('mfa_required');
    this.name = 'MfaNeeded';
  }
}

function VerifyStep({
  registration,
  next,
}: {
  readonly registration: Registration;
  readonly next: string;
}) {
  const { t } = useTranslation('auth');
  const finish = useFinishSignIn();
  const [code, setCode] = useState('');
  const [invalid, setInvalid] = useState<string | undefined>();
  const verify = useMutation({
    mutationFn: (text: string) => verifyAndSignIn(registration, text),
    onSuccess: (signedIn) => finish(signedIn.user, `/pin?next=${encodeURIComponent(next)}`),
  });
  const resend = useMutation({
    mutationFn: () =>
      api('/v1/auth/verify-contact/resend', {
        method: 'POST',
        body: { login: registration.login },
      }),
  });

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const text = code.trim();
    if (!/^[0-9]{6}$/.test(text)) {
      setInvalid(t('verify.codeFormat'));
      return;
    }
    setInvalid(undefined);
    resend.reset();
    verify.mutate(text);
  };

  if (verify.error instanceof MfaNeeded) {
    return (
      <div className="notice notice-info" role="status">
        <p>{t('verify.signInNow')}</p>
        <p>
          <Link to={`/signin?next=${encodeURIComponent(next)}`}>{t('signUp.toSignIn')}</Link>
        </p>
      </div>
    );
  }
  const formProblem = unlessField(verify.error, ['code']);
  return (
    <form onSubmit={submit} noValidate>
      <h1>{t('verify.title')}</h1>
      <p>{t('verify.sentTo', { to: registration.sentTo })}</p>
      <TextField
        label={t('verify.codeLabel')}
        inputMode="numeric"
        autoComplete="one-time-code"
        maxLength={6}
        autoFocus
        value={code}
        error={invalid ?? fieldError(verify.error, 'code')}
        onChange={(event) => setCode(event.target.value)}
      />
      {formProblem === undefined ? null : <ErrorNotice error={formProblem} />}
      {resend.isSuccess ? (
        <p className="notice notice-ok" role="status">
          {t('verify.resent')}
        </p>
      ) : null}
      {resend.error === null ? null : <ErrorNotice error={resend.error} />}
      <Button type="submit" block busy={verify.isPending}>
        {t('verify.submit')}
      </Button>
      <div className="form-actions">
        <Button variant="ghost" busy={resend.isPending} onClick={() => resend.mutate()}>
          {t('verify.resend')}
        </Button>
      </div>
    </form>
  );
}
