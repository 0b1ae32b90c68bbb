/** The account's security events, newest first: sign-ins, failed tries, changes to factors. */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../../../shared/api';
import { Empty, ErrorNotice, Loading, LoadMore } from '../../../shared/ui';
import { keyOf, useFormatTime } from './format';

interface SecurityEvent {
  readonly id: string;
  readonly action: string;
  readonly occurred_at: string;
  readonly ip: string | null;
}

interface EventPage {
  readonly data: SecurityEvent[];
  readonly has_more: boolean;
}

const PAGE_SIZE = 20;
const WARNINGS = new Set(['login.failed', 'login.locked', 'login.mfa_failed', 'pin.locked']);

export function EventsSection() {
  const { t } = useTranslation('security');
  const formatTime = useFormatTime();
  const events = useInfiniteQuery({
    queryKey: ['security', 'events'],
    initialPageParam: '',
    queryFn: ({ pageParam }) =>
      api<EventPage>(
        `/v1/me/security-events?limit=${PAGE_SIZE}${
          pageParam === '' ? '' : `&starting_after=${encodeURIComponent(pageParam)}`
        }`,
      ),
    getNextPageParam: (last) => (last.has_more ? last.data.at(-1)?.id : undefined),
  });
  const list = events.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <section className="card" aria-labelledby="events-title">
      <h2 id="events-title">{t('events.title')}</h2>
      {events.isPending ? <Loading /> : null}
      {events.error === null ? null : (
        <ErrorNotice error={events.error} onRetry={() => void events.refetch()} />
      )}
      {events.isSuccess && list.length === 0 ? <Empty>{t('events.empty')}</Empty> : null}
      <ul className="list">
        {list.map((event) => (
          <li key={event.id}>
            <p className="security-item-title">
              {t(`events.action.${keyOf(event.action)}`, { defaultValue: event.action })}{' '}
              {WARNINGS.has(event.action) ? (
                <span className="badge badge-warn">{t('events.warning')}</span>
              ) : null}
            </p>
            <p className="muted">
              {formatTime(event.occurred_at)}
              {event.ip === null ? '' : ` · ${event.ip}`}
            </p>
          </li>
        ))}
      </ul>
      <LoadMore list={events} />
    </section>
  );
}
