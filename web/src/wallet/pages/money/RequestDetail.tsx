/**
 * One money request: its progress and shares; the payer pays (with the PIN when the API asks)
 * or declines their share, the requester can cancel it while it is open.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { api } from '../../../shared/api';
import { Button, ErrorNotice, Loading, MoneyText, Page } from '../../../shared/ui';
import { useMe } from '../../session';
import { PaymentProblem } from './PaymentProblem';
import { usePaymentFlow } from './payment-flow';
import { PersonName } from './Person';
import { requestKey, useRequest, type MoneyRequest, type Share } from './requests-api';
import { StepUpSheet } from './StepUpSheet';
import { WALLETS_KEY } from './wallets';

export function RequestDetail() {
  const { t } = useTranslation('requests');
  const id = useParams()['id'] ?? '';
  const request = useRequest(id);
  const me = useMe().data?.id;
  return (
    <Page title={t('detail.title')} back="/requests">
      {request.isPending ? (
        <Loading />
      ) : request.error ? (
        <ErrorNotice error={request.error} onRetry={() => void request.refetch()} />
      ) : (
        <RequestView request={request.data} me={me} />
      )}
    </Page>
  );
}

function RequestView({
  request,
  me,
}: {
  readonly request: MoneyRequest;
  readonly me?: string | undefined;
}) {
  const { t } = useTranslation('requests');
  const { progress } = request;
  const mine = request.shares.find((share) => share.payer_id === me);
  return (
    <>
      <section className="card">
        <p className="muted">
          {t('detail.from')} <PersonName id={request.requester_id} me={me} />
        </p>
        <p className="money-balance">
          <MoneyText value={request.amount} />
        </p>
        {request.note === null ? null : <p>{request.note}</p>}
        <p>
          <span className={`badge ${request.status === 'completed' ? 'badge-ok' : ''}`}>
            {t(`status.${request.status}`)}
          </span>
        </p>
        <label className="muted" htmlFor={`progress-${request.id}`}>
          {t('detail.paidOf', {
            paid: progress.paid,
            shares: progress.shares,
            declined: progress.declined,
          })}
        </label>
        <progress
          id={`progress-${request.id}`}
          className="money-progress"
          max={progress.shares}
          value={progress.paid}
        />
        <p className="muted">
          {t('detail.collected')} <MoneyText value={progress.paid_amount} />
        </p>
      </section>
      <section className="card" aria-labelledby="request-shares">
        <h2 id="request-shares">{t('detail.shares')}</h2>
        <ul className="list">
          {request.shares.map((share) => (
            <li key={share.payer_id} className="row-between">
              <span>
                <PersonName id={share.payer_id} me={me} />{' '}
                <span className={`badge ${badgeOf(share)}`}>{t(`share.${share.status}`)}</span>
              </span>
              <MoneyText value={share.amount} />
            </li>
          ))}
        </ul>
      </section>
      {request.status !== 'open' ? null : request.role === 'requester' ? (
        <CancelRequest request={request} />
      ) : mine?.status === 'pending' ? (
        <PayShare request={request} share={mine} />
      ) : null}
    </>
  );
}

function badgeOf(share: Share): string {
  if (share.status === 'paid') return 'badge-ok';
  return share.status === 'declined' ? 'badge-error' : 'badge-warn';
}

function useStoreRequest() {
  const client = useQueryClient();
  return (updated: MoneyRequest): void => {
    client.setQueryData(requestKey(updated.id), updated);
    void client.invalidateQueries({ queryKey: ['requests', 'list'] });
  };
}

function PayShare({ request, share }: { readonly request: MoneyRequest; readonly share: Share }) {
  const { t } = useTranslation('requests');
  const client = useQueryClient();
  const store = useStoreRequest();
  const flow = usePaymentFlow(
    (body: { readonly confirmation?: string }, key: string) =>
      api<MoneyRequest>(`/v1/requests/${request.id}/pay`, {
        method: 'POST',
        body,
        idempotencyKey: key,
      }),
    (updated: MoneyRequest) => {
      store(updated);
      void client.invalidateQueries({ queryKey: WALLETS_KEY });
      void client.invalidateQueries({ queryKey: ['transactions'] });
    },
  );
  const decline = useMutation({
    mutationFn: () => api<MoneyRequest>(`/v1/requests/${request.id}/decline`, { method: 'POST' }),
    onSuccess: store,
  });
  return (
    <section className="card" aria-labelledby="request-answer">
      <h2 id="request-answer">{t('detail.yourShare')}</h2>
      <p className="money-balance">
        <MoneyText value={share.amount} />
      </p>
      <PaymentProblem
        error={flow.error}
        uncertain={flow.uncertain}
        busy={flow.busy}
        onCheckAgain={flow.checkAgain}
      />
      {decline.error === null ? null : <ErrorNotice error={decline.error} />}
      <div className="form-actions">
        <Button
          busy={flow.busy}
          onClick={() => void flow.pay({}, { amount: share.amount, payee: request.requester_id })}
        >
          {t('detail.pay')}
        </Button>
        <Button variant="secondary" busy={decline.isPending} onClick={() => decline.mutate()}>
          {t('detail.decline')}
        </Button>
      </div>
      <StepUpSheet
        target={flow.stepUpTarget}
        onConfirmed={flow.confirmed}
        onClose={flow.cancelStepUp}
      />
    </section>
  );
}

function CancelRequest({ request }: { readonly request: MoneyRequest }) {
  const { t } = useTranslation('requests');
  const store = useStoreRequest();
  const cancel = useMutation({
    mutationFn: () => api<MoneyRequest>(`/v1/requests/${request.id}/cancel`, { method: 'POST' }),
    onSuccess: store,
  });
  return (
    <section className="card">
      {cancel.error === null ? null : <ErrorNotice error={cancel.error} />}
      <Button variant="danger" busy={cancel.isPending} onClick={() => cancel.mutate()}>
        {t('detail.cancel')}
      </Button>
    </section>
  );
}
