/** Change the password; the API signs out every other session when it changes. */
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, fieldError } from '../../../shared/api';
import { Button, ErrorNotice, TextField } from '../../../shared/ui';
import { unlessField } from '../auth/formError';

export function PasswordSection() {
  const { t } = useTranslation('security');
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [missing, setMissing] = useState(false);
  const change = useMutation({
    mutationFn: () =>
      api<{ sessions_signed_out: number }>('/v1/me/password', {
        method: 'POST',
        body: { current_password: current, new_password: next },
      }),
    onSuccess: () => {
      setCurrent('');
      setNext('');
    },
  });
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const incomplete = current === '' || next === '';
    setMissing(incomplete);
    if (!incomplete) change.mutate();
  };
  const formProblem = unlessField(change.error, ['current_password', 'new_password']);
  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">{t('password.title')}</h2>
      <form onSubmit={submit} noValidate>
        <TextField
          label={t('password.current')}
          type="password"
          autoComplete="current-password"
          value={current}
          error={
            missing && current === ''
              ? t('auth:passwordRequired')
              : fieldError(change.error, 'current_password')
          }
          onChange={(event) => setCurrent(event.target.value)}
        />
        <TextField
          label={t('password.new')}
          type="password"
          autoComplete="new-password"
          hint={t('password.hint')}
          value={next}
          error={
            missing && next === ''
              ? t('password.newRequired')
              : fieldError(change.error, 'new_password')
          }
          onChange={(event) => setNext(event.target.value)}
        />
        {formProblem === undefined ? null : <ErrorNotice error={formProblem} />}
        {change.data === undefined ? null : (
          <p className="notice notice-ok" role="status">
            {t('password.changed', { count: change.data.sessions_signed_out })}
          </p>
        )}
        <Button type="submit" variant="secondary" busy={change.isPending}>
          {t('password.submit')}
        </Button>
      </form>
    </section>
  );
}
