/**
 * The payment PIN (/pin): choose six digits, type them again, then confirm with the account
 * password (the API asks for it both to set a first PIN and to change one). PINs that are too
 * easy to guess are refused before the second entry, with the API's own rules and words.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import { pinChoiceProblem, pinCodes } from '../../../../src/identity/pin-policy';
import { api, fieldError } from '../../shared/api';
import { Button, ErrorNotice, Loading, Page, PinPad, TextField } from '../../shared/ui';
import { unlessField } from './auth/formError';
import { safeNext } from './auth/next';
import { PIN_STATUS_KEY, usePinStatus, type PinStatus } from './auth/pinStatus';
import './auth/auth.css';

type Step =
  { readonly kind: 'first' } | { readonly kind: 'repeat' | 'password'; readonly pin: string };

export default function PaymentPin() {
  const { t } = useTranslation('auth');
  const [search] = useSearchParams();
  const next = safeNext(search);
  const status = usePinStatus();
  const title = status.data?.set === true ? t('pin.changeTitle') : t('pin.setTitle');
  return (
    <Page title={status.isPending ? t('pin.setTitle') : title} back={next}>
      {status.isPending ? <Loading /> : null}
      {status.error === null ? null : (
        <ErrorNotice error={status.error} onRetry={() => void status.refetch()} />
      )}
      {status.data === undefined ? null : <PinForm status={status.data} next={next} />}
    </Page>
  );
}

function PinForm({ status, next }: { readonly status: PinStatus; readonly next: string }) {
  const { t, i18n } = useTranslation('auth');
  const [step, setStep] = useState<Step>({ kind: 'first' });
  const [pinError, setPinError] = useState<string | undefined>();

  const chooseFirst = (pin: string): void => {
    const problem = pinChoiceProblem(pin);
    if (problem !== undefined) {
      setPinError(pinCodes[problem].title[i18n.language === 'en' ? 'en' : 'zh-CN']);
      return;
    }
    setPinError(undefined);
    setStep({ kind: 'repeat', pin });
  };

  const chooseRepeat = (pin: string, first: string): void => {
    if (pin !== first) {
      setPinError(t('pin.mismatch'));
      setStep({ kind: 'first' });
      return;
    }
    setStep({ kind: 'password', pin });
  };

  const refused = (message: string): void => {
    setPinError(message);
    setStep({ kind: 'first' });
  };

  return (
    <div className="card pin-steps">
      {status.set ? null : <p>{t('pin.intro')}</p>}
      {status.locked_until === null ? null : (
        <p className="notice notice-info">{t('pin.locked')}</p>
      )}
      {step.kind === 'first' ? (
        <PinPad
          key="first"
          label={status.set ? t('pin.newLabel') : t('pin.firstLabel')}
          error={pinError}
          onComplete={chooseFirst}
        />
      ) : step.kind === 'repeat' ? (
        <PinPad
          key="repeat"
          label={t('pin.repeatLabel')}
          onComplete={(pin) => chooseRepeat(pin, step.pin)}
        />
      ) : (
        <PasswordConfirm
          pin={step.pin}
          isChange={status.set}
          next={next}
          onPinRefused={refused}
          onRestart={() => setStep({ kind: 'first' })}
        />
      )}
    </div>
  );
}

function PasswordConfirm({
  pin,
  isChange,
  next,
  onPinRefused,
  onRestart,
}: {
  readonly pin: string;
  readonly isChange: boolean;
  readonly next: string;
  readonly onPinRefused: (message: string) => void;
  readonly onRestart: () => void;
}) {
  const { t } = useTranslation('auth');
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState(false);
  const mutation = useMutation({
    mutationFn: () =>
      api('/v1/me/payment-pin', {
        method: 'PUT',
        body: { pin, current_password: password },
      }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: PIN_STATUS_KEY });
      await navigate(next, { replace: true });
    },
    onError: (error) => {
      const refused = fieldError(error, 'pin');
      if (refused !== undefined) onPinRefused(refused);
    },
  });

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setMissing(password === '');
    if (password !== '') mutation.mutate();
  };

  const formProblem = unlessField(mutation.error, ['current_password', 'pin']);
  return (
    <form onSubmit={submit} noValidate className="pin-password">
      <p>{t('pin.passwordIntro')}</p>
      <TextField
        label={t('pin.passwordLabel')}
        type="password"
        autoComplete="current-password"
        autoFocus
        value={password}
        error={missing ? t('passwordRequired') : fieldError(mutation.error, 'current_password')}
        onChange={(event) => setPassword(event.target.value)}
      />
      {formProblem === undefined ? null : <ErrorNotice error={formProblem} />}
      <div className="form-actions">
        <Button type="submit" busy={mutation.isPending}>
          {isChange ? t('pin.submitChange') : t('pin.submitSet')}
        </Button>
        <Button variant="ghost" onClick={onRestart}>
          {t('pin.restart')}
        </Button>
      </div>
    </form>
  );
}
