import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, fieldError } from '../../shared/api';
import { Button, Empty, ErrorNotice, Loading, Page, TextField } from '../../shared/ui';
import { ConfirmSheet, SecretSheet, StatusBadge, useDates } from '../parts';
import { portalPath, useMerchant } from '../session';
import type { ListPage, WebhookDelivery, WebhookEndpoint } from '../types';

/** Webhook endpoints (secret shown once, enable, disable, rotate, delete) and the delivery log. */
export default function Webhooks() {
  const { t } = useTranslation('merchant');
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <Page title={t('webhooks.title')}>
      <p className="muted">{t('webhooks.intro')}</p>
      <Endpoints onSecret={setSecret} />
      <CreateEndpoint onSecret={setSecret} />
      <Deliveries />
      <SecretSheet
        secret={secret}
        title={t('webhooks.secretTitle')}
        onClose={() => setSecret(null)}
      />
    </Page>
  );
}

function useEndpointsKey() {
  const merchant = useMerchant();
  return ['webhook-endpoints', merchant.id];
}

function Endpoints({ onSecret }: { readonly onSecret: (secret: string) => void }) {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const endpoints = useQuery({
    queryKey: useEndpointsKey(),
    queryFn: () =>
      api<ListPage<WebhookEndpoint>>(portalPath(merchant, '/webhook-endpoints?limit=100')),
  });
  const [deleting, setDeleting] = useState<WebhookEndpoint | null>(null);
  return (
    <section>
      <h2>{t('webhooks.endpoints')}</h2>
      {endpoints.isPending ? <Loading /> : null}
      {endpoints.error ? (
        <ErrorNotice error={endpoints.error} onRetry={() => void endpoints.refetch()} />
      ) : null}
      {endpoints.data?.data.length === 0 ? <Empty>{t('webhooks.empty')}</Empty> : null}
      {endpoints.data?.data.map((endpoint) => (
        <EndpointCard
          key={endpoint.id}
          endpoint={endpoint}
          onSecret={onSecret}
          onDelete={() => setDeleting(endpoint)}
        />
      ))}
      <DeleteEndpoint endpoint={deleting} onClose={() => setDeleting(null)} />
    </section>
  );
}

function EndpointCard({
  endpoint,
  onSecret,
  onDelete,
}: {
  readonly endpoint: WebhookEndpoint;
  readonly onSecret: (secret: string) => void;
  readonly onDelete: () => void;
}) {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const queryClient = useQueryClient();
  const key = useEndpointsKey();
  const path = portalPath(merchant, `/webhook-endpoints/${endpoint.id}`);
  const toggle = useMutation({
    mutationFn: (enabled: boolean) =>
      api<WebhookEndpoint>(path, { method: 'PATCH', body: { enabled } }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: key }),
  });
  const rotate = useMutation({
    mutationFn: () =>
      api<WebhookEndpoint & { secret: string }>(`${path}/rotate-secret`, {
        method: 'POST',
        body: {},
      }),
    onSuccess: (rotated) => {
      onSecret(rotated.secret);
      void queryClient.invalidateQueries({ queryKey: key });
    },
  });
  const dates = useDates();
  const enabled = endpoint.status !== 'disabled';
  return (
    <article className="card">
      <div className="row-between">
        <h3 className="mono">{endpoint.url}</h3>
        <StatusBadge status={endpoint.status} />
      </div>
      {endpoint.description === '' ? null : <p>{endpoint.description}</p>}
      <p className="muted mono">{endpoint.event_types.join(', ')}</p>
      <p className="muted">
        {t('webhooks.lastSuccess', { date: dates.dateTime(endpoint.last_success_at) })}
      </p>
      {toggle.error ? <ErrorNotice error={toggle.error} /> : null}
      {rotate.error ? <ErrorNotice error={rotate.error} /> : null}
      <div className="form-actions">
        <Button
          variant="secondary"
          busy={toggle.isPending}
          aria-label={`${enabled ? t('webhooks.disable') : t('webhooks.enable')} ${endpoint.url}`}
          onClick={() => toggle.mutate(!enabled)}
        >
          {enabled ? t('webhooks.disable') : t('webhooks.enable')}
        </Button>
        <Button
          variant="secondary"
          busy={rotate.isPending}
          aria-label={`${t('webhooks.rotate')} ${endpoint.url}`}
          onClick={() => rotate.mutate()}
        >
          {t('webhooks.rotate')}
        </Button>
        <Button
          variant="danger"
          aria-label={`${t('webhooks.delete')} ${endpoint.url}`}
          onClick={onDelete}
        >
          {t('webhooks.delete')}
        </Button>
      </div>
    </article>
  );
}

function DeleteEndpoint({
  endpoint,
  onClose,
}: {
  readonly endpoint: WebhookEndpoint | null;
  readonly onClose: () => void;
}) {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const queryClient = useQueryClient();
  const key = useEndpointsKey();
  const remove = useMutation({
    mutationFn: (id: string) =>
      api(portalPath(merchant, `/webhook-endpoints/${id}`), { method: 'DELETE' }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: key });
      onClose();
    },
  });
  return (
    <ConfirmSheet
      open={endpoint !== null}
      title={t('webhooks.deleteTitle')}
      action={t('webhooks.delete')}
      busy={remove.isPending}
      error={remove.error}
      onConfirm={() => endpoint !== null && remove.mutate(endpoint.id)}
      onClose={() => {
        remove.reset();
        onClose();
      }}
    >
      <p>{t('webhooks.deleteBody', { url: endpoint?.url ?? '' })}</p>
    </ConfirmSheet>
  );
}

function CreateEndpoint({ onSecret }: { readonly onSecret: (secret: string) => void }) {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const queryClient = useQueryClient();
  const key = useEndpointsKey();
  const types = useQuery({
    queryKey: ['webhook-event-types', merchant.id],
    queryFn: () => api<{ data: string[] }>(portalPath(merchant, '/webhook-event-types')),
    staleTime: Infinity,
  });
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [chosen, setChosen] = useState<readonly string[]>([]);
  const [formError, setFormError] = useState<string>();
  const create = useMutation({
    mutationFn: (body: { url: string; event_types: readonly string[]; description: string }) =>
      api<WebhookEndpoint & { secret: string }>(portalPath(merchant, '/webhook-endpoints'), {
        method: 'POST',
        body,
      }),
    onSuccess: (created) => {
      onSecret(created.secret);
      setUrl('');
      setDescription('');
      setChosen([]);
      void queryClient.invalidateQueries({ queryKey: key });
    },
  });
  const toggle = (type: string, on: boolean) =>
    setChosen((current) => (on ? [...current, type] : current.filter((c) => c !== type)));

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!/^https?:\/\/\S+$/.test(url.trim())) return setFormError(t('webhooks.urlInvalid'));
    if (chosen.length === 0) return setFormError(t('webhooks.typesRequired'));
    setFormError(undefined);
    create.mutate({ url: url.trim(), event_types: chosen, description: description.trim() });
  };

  const urlProblem = fieldError(create.error, 'url');
  const otherProblem = create.error !== null && urlProblem === undefined ? create.error : null;
  return (
    <form className="card" onSubmit={onSubmit} noValidate>
      <h2>{t('webhooks.create')}</h2>
      <TextField
        label={t('webhooks.url')}
        type="url"
        inputMode="url"
        placeholder="https://"
        value={url}
        onChange={(event) => setUrl(event.target.value)}
        error={urlProblem}
      />
      <TextField
        label={t('webhooks.description')}
        value={description}
        onChange={(event) => setDescription(event.target.value)}
      />
      <fieldset className="checks">
        <legend>{t('webhooks.eventTypes')}</legend>
        {types.isPending ? <Loading /> : null}
        {types.error ? <ErrorNotice error={types.error} /> : null}
        {types.data?.data.map((type) => (
          <label key={type}>
            <input
              type="checkbox"
              checked={chosen.includes(type)}
              onChange={(event) => toggle(type, event.target.checked)}
            />
            <span className="mono">{type}</span>
          </label>
        ))}
      </fieldset>
      {formError === undefined ? null : (
        <p className="field-error" role="alert">
          {formError}
        </p>
      )}
      {otherProblem === null ? null : <ErrorNotice error={otherProblem} />}
      <div className="form-actions">
        <Button type="submit" busy={create.isPending}>
          {t('webhooks.createSubmit')}
        </Button>
      </div>
    </form>
  );
}

function Deliveries() {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const dates = useDates();
  const queryClient = useQueryClient();
  const key = ['webhook-deliveries', merchant.id];
  const deliveries = useQuery({
    queryKey: key,
    queryFn: () =>
      api<ListPage<WebhookDelivery>>(portalPath(merchant, '/webhook-deliveries?limit=50')),
  });
  const resend = useMutation({
    mutationFn: (id: string) =>
      api<WebhookDelivery>(portalPath(merchant, `/webhook-deliveries/${id}/resend`), {
        method: 'POST',
      }),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: key }),
  });
  return (
    <section>
      <h2>{t('webhooks.deliveries')}</h2>
      {deliveries.isPending ? <Loading /> : null}
      {deliveries.error ? (
        <ErrorNotice error={deliveries.error} onRetry={() => void deliveries.refetch()} />
      ) : null}
      {resend.error ? <ErrorNotice error={resend.error} /> : null}
      {deliveries.data?.data.length === 0 ? <Empty>{t('webhooks.noDeliveries')}</Empty> : null}
      {deliveries.data !== undefined && deliveries.data.data.length > 0 ? (
        <div className="card table-scroll">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">{t('webhooks.event')}</th>
                <th scope="col">{t('webhooks.state')}</th>
                <th scope="col">{t('webhooks.attempts')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('apiKeys.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {deliveries.data.data.map((d) => (
                <tr key={d.id}>
                  <td>
                    <span className="mono">{d.event_type}</span>
                    <div className="muted">{dates.dateTime(d.created_at)}</div>
                  </td>
                  <td>
                    <StatusBadge status={d.state} />
                    {d.last_status === null ? null : (
                      <div className="muted">
                        {t('webhooks.httpStatus', { status: d.last_status })}
                      </div>
                    )}
                  </td>
                  <td>{d.attempt_count}</td>
                  <td>
                    <Button
                      variant="secondary"
                      busy={resend.isPending && resend.variables === d.id}
                      onClick={() => resend.mutate(d.id)}
                    >
                      {t('webhooks.resend')}
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
