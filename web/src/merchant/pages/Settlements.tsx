import { useInfiniteQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../../shared/api';
import { Empty, ErrorNotice, Loading, LoadMore, MoneyText, Page } from '../../shared/ui';
import { StatusBadge, useDates } from '../parts';
import { portalPath, useMerchant } from '../session';
import type { ListPage, Settlement } from '../types';

/** T+1 settlements, one per day: gross, fees, refunds, net and whether it was paid out. */
export default function Settlements() {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const dates = useDates();
  const list = useInfiniteQuery({
    queryKey: ['settlements', merchant.id],
    queryFn: ({ pageParam }) =>
      api<ListPage<Settlement>>(
        portalPath(
          merchant,
          `/settlements?limit=30${pageParam === '' ? '' : `&starting_after=${pageParam}`}`,
        ),
      ),
    initialPageParam: '',
    getNextPageParam: (last) => (last.has_more ? last.data.at(-1)?.id : undefined),
  });
  const rows = list.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <Page title={t('settlements.title')}>
      <p className="muted">{t('settlements.intro')}</p>
      {list.isPending ? <Loading /> : null}
      {list.error ? <ErrorNotice error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.isSuccess && rows.length === 0 ? <Empty>{t('settlements.empty')}</Empty> : null}
      {rows.length > 0 ? (
        <div className="card table-scroll">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">{t('settlements.day')}</th>
                <th scope="col" className="num">
                  {t('figures.gross')}
                </th>
                <th scope="col" className="num">
                  {t('figures.fees')}
                </th>
                <th scope="col" className="num">
                  {t('figures.refunds')}
                </th>
                <th scope="col" className="num">
                  {t('figures.net')}
                </th>
                <th scope="col">{t('settlements.status')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={s.id}>
                  <th scope="row">{dates.day(s.day)}</th>
                  <td className="num">
                    <MoneyText value={s.gross} />
                  </td>
                  <td className="num">
                    <MoneyText value={s.fees} />
                  </td>
                  <td className="num">
                    <MoneyText value={s.refunds} />
                  </td>
                  <td className="num">
                    <MoneyText value={s.net} />
                  </td>
                  <td>
                    <StatusBadge status={s.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <LoadMore list={list} />
    </Page>
  );
}
