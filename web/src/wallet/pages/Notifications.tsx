/**
 * Notifications: the user's events (incoming money, payment results, security alerts), newest
 * first, a page at a time. Balance refreshes are not news and are left out.
 */
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../shared/api';
import { Empty, ErrorNotice, Loading, LoadMore, Page } from '../../shared/ui';
import { describeEvent, eventLink, eventPerson, TOLD_TYPES, type UserEvent } from './money/events';
import './money/money.css';

const PAGE_SIZE = 20;
const TOLD: readonly string[] = TOLD_TYPES;

export default function Notifications() {
  const { t } = useTranslation('notifications');
  const events = useInfiniteQuery({
    queryKey: ['events'],
    initialPageParam: '',
    queryFn: ({ pageParam }) =>
      api<{ data: UserEvent[]; has_more: boolean }>(
        `/v1/events?limit=${PAGE_SIZE}${pageParam === '' ? '' : `&starting_after=${pageParam}`}`,
      ),
    getNextPageParam: (page) => (page.has_more ? page.data.at(-1)?.id : undefined),
  });
  const shown = (events.data?.pages.flatMap((page) => page.data) ?? []).filter((event) =>
    TOLD.includes(event.type),
  );
  return (
    <Page title={t('title')} back="/">
      <section className="card">
        {events.isPending ? (
          <Loading />
        ) : events.error ? (
          <ErrorNotice error={events.error} onRetry={() => void events.refetch()} />
        ) : shown.length === 0 && !events.hasNextPage ? (
          <Empty>{t('empty')}</Empty>
        ) : (
          <ul className="list">
            {shown.map((event) => (
              <li key={event.id}>
                <EventRow event={event} />
              </li>
            ))}
          </ul>
        )}
        <LoadMore list={events} />
      </section>
    </Page>
  );
}

function EventRow({ event }: { readonly event: UserEvent }) {
  const { t, i18n } = useTranslation('notifications');
  const client = useQueryClient();
  const person = useQuery({
    queryKey: ['event-person', event.id],
    queryFn: () => eventPerson(client, event),
    staleTime: Infinity,
  });
  const text = describeEvent(t, i18n.language, event, person.data?.display_name ?? undefined);
  const when = new Date(event.created_at).toLocaleString(i18n.language, {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
  const link = eventLink(event);
  const body = (
    <span className="money-recipient-text">
      <span className={event.type === 'security.alert' ? 'money-recipient-name' : undefined}>
        {text}
      </span>
      <time className="muted" dateTime={event.created_at}>
        {when}
      </time>
    </span>
  );
  return link === undefined ? (
    body
  ) : (
    <Link to={link} className="money-row-link">
      {body}
    </Link>
  );
}
