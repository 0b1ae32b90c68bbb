/**
 * Money requests and bill splitting: the requests I sent and those sent to me, asking one or
 * several people for money, and paying, declining or cancelling a request.
 */
import { useTranslation } from 'react-i18next';
import { Link, NavLink, Route, Routes } from 'react-router';
import { Empty, ErrorNotice, Loading, LoadMore, MoneyText, Page } from '../../shared/ui';
import { useMe } from '../session';
import { NewRequest } from './money/NewRequest';
import { PersonName } from './money/Person';
import { RequestDetail } from './money/RequestDetail';
import { useRequestList, type MoneyRequest, type RequestRole } from './money/requests-api';
import './money/money.css';

export default function Requests() {
  return (
    <Routes>
      <Route index element={<RequestList role="received" />} />
      <Route path="sent" element={<RequestList role="sent" />} />
      <Route path="new" element={<NewRequest />} />
      <Route path=":id" element={<RequestDetail />} />
    </Routes>
  );
}

function RequestList({ role }: { readonly role: RequestRole }) {
  const { t } = useTranslation('requests');
  const list = useRequestList(role);
  const requests = list.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <Page
      title={t('title')}
      back="/"
      actions={
        <Link className="btn btn-primary" to="/requests/new">
          {t('new.link')}
        </Link>
      }
    >
      <nav className="money-tabs" aria-label={t('tabs.label')}>
        <NavLink to="/requests" end>
          {t('tabs.received')}
        </NavLink>
        <NavLink to="/requests/sent">{t('tabs.sent')}</NavLink>
      </nav>
      <section className="card">
        {list.isPending ? (
          <Loading />
        ) : list.error ? (
          <ErrorNotice error={list.error} onRetry={() => void list.refetch()} />
        ) : requests.length === 0 ? (
          <Empty>{t(`empty.${role}`)}</Empty>
        ) : (
          <ul className="list">
            {requests.map((request) => (
              <li key={request.id}>
                <RequestRow request={request} />
              </li>
            ))}
          </ul>
        )}
        <LoadMore list={list} />
      </section>
    </Page>
  );
}

function RequestRow({ request }: { readonly request: MoneyRequest }) {
  const { t } = useTranslation('requests');
  const me = useMe().data?.id;
  const mine = request.shares.find((share) => share.payer_id === me);
  return (
    <Link to={`/requests/${request.id}`} className="money-row-link">
      <span className="money-recipient-text">
        <span className="money-recipient-name">
          {request.role === 'payer' ? (
            <>
              {t('row.from')} <PersonName id={request.requester_id} me={me} />
            </>
          ) : (
            t('row.toPeople', { count: request.progress.shares })
          )}
        </span>
        {request.note === null ? null : <span className="muted">{request.note}</span>}
        <span className="muted">
          {t(`status.${request.status}`)}
          {' · '}
          {mine === undefined
            ? t('progress', { paid: request.progress.paid, shares: request.progress.shares })
            : t(`share.${mine.status}`)}
        </span>
      </span>
      <MoneyText value={mine?.amount ?? request.amount} />
    </Link>
  );
}
