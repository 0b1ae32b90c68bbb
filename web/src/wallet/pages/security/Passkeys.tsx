/**
 * Passkeys: add one with this device's authenticator (it then signs in without a password and
 * confirms payments), see them all, remove one.
 */
import { browserSupportsWebAuthn, startRegistration } from '@simplewebauthn/browser';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../../shared/api';
import { Button, Empty, ErrorNotice, Loading, TextField } from '../../../shared/ui';
import { passkeyFailureOf } from '../auth/passkeyErrors';
import { useFormatTime } from './format';

interface Passkey {
  readonly id: string;
  readonly name: string;
  readonly created_at: string;
  readonly last_used_at: string | null;
}

type CreationOptions = Parameters<typeof startRegistration>[0]['optionsJSON'];

const PASSKEYS_KEY = ['security', 'passkeys'] as const;

async function addPasskey(name: string): Promise<Passkey> {
  const options = await api<CreationOptions>('/v1/me/passkeys/registration-options', {
    method: 'POST',
  });
  const response = await startRegistration({ optionsJSON: options });
  return api<Passkey>('/v1/me/passkeys', {
    method: 'POST',
    body: { response, ...(name === '' ? {} : { name }) },
  });
}

export function PasskeysSection() {
  const { t } = useTranslation('security');
  const queryClient = useQueryClient();
  const passkeys = useQuery({
    queryKey: PASSKEYS_KEY,
    queryFn: () => api<{ data: Passkey[] }>('/v1/me/passkeys'),
  });
  // Passkeys count as a second factor and leave security events: refresh every security query.
  const changed = () => queryClient.invalidateQueries({ queryKey: ['security'] });
  return (
    <section className="card" aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">{t('passkeys.title')}</h2>
      <p className="muted">{t('passkeys.intro')}</p>
      {passkeys.isPending ? <Loading /> : null}
      {passkeys.error === null ? null : (
        <ErrorNotice error={passkeys.error} onRetry={() => void passkeys.refetch()} />
      )}
      {passkeys.data?.data.length === 0 ? <Empty>{t('passkeys.empty')}</Empty> : null}
      <ul className="list">
        {(passkeys.data?.data ?? []).map((passkey) => (
          <PasskeyRow key={passkey.id} passkey={passkey} onRemoved={changed} />
        ))}
      </ul>
      <AddPasskey onAdded={changed} />
    </section>
  );
}

function PasskeyRow({
  passkey,
  onRemoved,
}: {
  readonly passkey: Passkey;
  readonly onRemoved: () => Promise<void>;
}) {
  const { t } = useTranslation('security');
  const formatTime = useFormatTime();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation({
    mutationFn: () => api(`/v1/me/passkeys/${passkey.id}`, { method: 'DELETE' }),
    onSuccess: onRemoved,
  });
  return (
    <li>
      <div className="row-between">
        <div>
          <p className="security-item-title">{passkey.name}</p>
          <p className="muted">
            {t('passkeys.added', { time: formatTime(passkey.created_at) })}
            {passkey.last_used_at === null
              ? null
              : ` · ${t('passkeys.lastUsed', { time: formatTime(passkey.last_used_at) })}`}
          </p>
        </div>
        {confirming ? null : (
          <Button variant="secondary" onClick={() => setConfirming(true)}>
            {t('passkeys.remove')}
            <span className="visually-hidden"> {passkey.name}</span>
          </Button>
        )}
      </div>
      {confirming ? (
        <div className="notice notice-info" role="group" aria-label={t('passkeys.remove')}>
          <p>{t('passkeys.confirmRemove', { name: passkey.name })}</p>
          {remove.error === null ? null : <ErrorNotice error={remove.error} />}
          <div className="form-actions">
            <Button variant="danger" busy={remove.isPending} onClick={() => remove.mutate()}>
              {t('passkeys.confirmRemoveButton')}
            </Button>
            <Button variant="ghost" onClick={() => setConfirming(false)}>
              {t('common:cancel')}
            </Button>
          </div>
        </div>
      ) : null}
    </li>
  );
}

function AddPasskey({ onAdded }: { readonly onAdded: () => Promise<void> }) {
  const { t } = useTranslation('security');
  const [name, setName] = useState('');
  const [unsupported, setUnsupported] = useState(false);
  const add = useMutation({
    mutationFn: () => addPasskey(name.trim()),
    onSuccess: async () => {
      setName('');
      await onAdded();
    },
  });
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const supported = browserSupportsWebAuthn();
    setUnsupported(!supported);
    if (supported) add.mutate();
  };
  const failure = add.error === null ? undefined : passkeyFailureOf(add.error);
  return (
    <form onSubmit={submit} noValidate className="security-add">
      <TextField
        label={t('passkeys.nameLabel')}
        hint={t('passkeys.nameHint')}
        maxLength={64}
        value={name}
        onChange={(event) => setName(event.target.value)}
      />
      {unsupported ? (
        <p className="field-error" role="alert">
          {t('passkeys.noWebAuthn')}
        </p>
      ) : null}
      {add.error === null ? null : failure === undefined ? (
        <ErrorNotice error={add.error} />
      ) : (
        <p className="field-error" role="alert">
          {t(`auth:passkey.${failure}`)}
        </p>
      )}
      {add.isSuccess ? (
        <p className="notice notice-ok" role="status">
          {t('passkeys.addedNotice')}
        </p>
      ) : null}
      <Button type="submit" variant="secondary" busy={add.isPending}>
        {t('passkeys.add')}
      </Button>
    </form>
  );
}
