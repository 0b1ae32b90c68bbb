import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, fieldError } from '../../shared/api';
import { Button, Empty, ErrorNotice, Loading, Page, TextField } from '../../shared/ui';
import { ConfirmSheet, SecretSheet, useDates } from '../parts';
import { useMerchant } from '../session';
import type { ApiKey, ListPage } from '../types';

/** The scopes a key can have, as the API names them. */
const SCOPES = [
  'payment_intents:read',
  'payment_intents:write',
  'refunds:read',
  'refunds:write',
  'webhooks:read',
  'webhooks:write',
  'settlements:read',
] as const;

/** API keys for the merchant's server: list, create (secret shown once) and revoke. */
export default function ApiKeys() {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const keys = useQuery({
    queryKey: ['api-keys', merchant.id],
    queryFn: () => api<ListPage<ApiKey>>(`/v1/merchants/${merchant.id}/api-keys`),
  });
  return (
    <Page title={t('apiKeys.title')}>
      <p className="muted">{t('apiKeys.intro')}</p>
      {keys.isPending ? <Loading /> : null}
      {keys.error ? <ErrorNotice error={keys.error} onRetry={() => void keys.refetch()} /> : null}
      {keys.data?.data.length === 0 ? <Empty>{t('apiKeys.empty')}</Empty> : null}
      {keys.data !== undefined && keys.data.data.length > 0 ? (
        <KeyTable keys={keys.data.data} />
      ) : null}
      <CreateKey />
    </Page>
  );
}

function KeyTable({ keys }: { readonly keys: readonly ApiKey[] }) {
  const { t } = useTranslation('merchant');
  const dates = useDates();
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  return (
    <section className="card">
      <ul className="list key-list">
        {keys.map((key) => (
          <li key={key.id}>
            <div className="row-between">
              <strong>{key.name}</strong>
              <span className={`badge ${key.mode === 'live' ? 'badge-ok' : ''}`}>
                {t(`apiKeys.mode.${key.mode}`)}
              </span>
            </div>
            <span className="mono">
              sk_{key.mode}_…{key.last4}
            </span>
            <span className="muted mono">{key.scopes.join(' ')}</span>
            <span className="muted">
              {t('apiKeys.lastUsedAt', { date: dates.dateTime(key.last_used_at) })}
            </span>
            <div>
              {key.revoked_at === null ? (
                <Button
                  variant="danger"
                  aria-label={t('apiKeys.revokeNamed', { name: key.name })}
                  onClick={() => setRevoking(key)}
                >
                  {t('apiKeys.revoke')}
                </Button>
              ) : (
                <span className="badge badge-error">
                  {t('apiKeys.revokedAt', { date: dates.dateTime(key.revoked_at) })}
                </span>
              )}
            </div>
          </li>
        ))}
      </ul>
      <RevokeKey apiKey={revoking} onClose={() => setRevoking(null)} />
    </section>
  );
}

function RevokeKey({
  apiKey,
  onClose,
}: {
  readonly apiKey: ApiKey | null;
  readonly onClose: () => void;
}) {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: (id: string) =>
      api<ApiKey>(`/v1/merchants/${merchant.id}/api-keys/${id}`, { method: 'DELETE' }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['api-keys', merchant.id] });
      onClose();
    },
  });
  return (
    <ConfirmSheet
      open={apiKey !== null}
      title={t('apiKeys.revokeTitle')}
      action={t('apiKeys.revoke')}
      busy={revoke.isPending}
      error={revoke.error}
      onConfirm={() => apiKey !== null && revoke.mutate(apiKey.id)}
      onClose={() => {
        revoke.reset();
        onClose();
      }}
    >
      <p>{t('apiKeys.revokeBody', { name: apiKey?.name ?? '' })}</p>
    </ConfirmSheet>
  );
}

function CreateKey() {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<readonly string[]>(SCOPES);
  const [formError, setFormError] = useState<string>();
  const [secret, setSecret] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (body: { name: string; scopes: readonly string[] }) =>
      api<ApiKey & { secret: string }>(`/v1/merchants/${merchant.id}/api-keys`, {
        method: 'POST',
        body,
      }),
    onSuccess: (created) => {
      setSecret(created.secret);
      setName('');
      void queryClient.invalidateQueries({ queryKey: ['api-keys', merchant.id] });
    },
  });
  const toggle = (scope: string, on: boolean) =>
    setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)));

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim() === '') return setFormError(t('apiKeys.nameRequired'));
    if (scopes.length === 0) return setFormError(t('apiKeys.scopesRequired'));
    setFormError(undefined);
    create.mutate({ name: name.trim(), scopes: SCOPES.filter((s) => scopes.includes(s)) });
  };

  return (
    <>
      <form className="card" onSubmit={onSubmit} noValidate>
        <h2>{t('apiKeys.create')}</h2>
        <TextField
          label={t('apiKeys.name')}
          maxLength={64}
          value={name}
          onChange={(event) => setName(event.target.value)}
          error={fieldError(create.error, 'name')}
        />
        <fieldset className="checks">
          <legend>{t('apiKeys.scopes')}</legend>
          {SCOPES.map((scope) => (
            <label key={scope}>
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(event) => toggle(scope, event.target.checked)}
              />
              <span className="mono">{scope}</span>
            </label>
          ))}
        </fieldset>
        <p className="muted">{t('apiKeys.modeNote')}</p>
        {formError === undefined ? null : (
          <p className="field-error" role="alert">
            {formError}
          </p>
        )}
        {create.error && fieldError(create.error, 'name') === undefined ? (
          <ErrorNotice error={create.error} />
        ) : null}
        <div className="form-actions">
          <Button type="submit" busy={create.isPending}>
            {t('apiKeys.createSubmit')}
          </Button>
        </div>
      </form>
      <SecretSheet
        secret={secret}
        title={t('apiKeys.secretTitle')}
        onClose={() => setSecret(null)}
      />
    </>
  );
}
