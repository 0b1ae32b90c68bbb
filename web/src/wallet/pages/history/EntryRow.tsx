import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { MoneyText } from '../../../shared/ui';
import {
  dateTime,
  merchantNameOf,
  signedAmount,
  statusBadgeClass,
  statusKey,
  type HistoryEntry,
} from './types';

/** One movement in the list: what it was, when, how much, its status; opens its receipt. */
export function EntryRow({ entry }: { readonly entry: HistoryEntry }) {
  const { t, i18n } = useTranslation('history');
  const incoming = entry.direction === 'incoming';
  const merchant = merchantNameOf(entry, i18n.language);
  return (
    <li>
      <Link to={`/activity/${entry.id}`} className="history-row">
        <span className="history-row-main">
          <span className="history-row-title">
            {t(`entry.${entry.type}_${entry.direction}`)}
            {merchant === undefined ? null : ` · ${merchant}`}
          </span>
          {entry.note === null || entry.note === '' ? null : (
            <span className="history-row-note">{entry.note}</span>
          )}
          <span className="muted">{dateTime(entry.created_at, i18n.language)}</span>
        </span>
        <span className="history-row-side">
          <MoneyText
            value={signedAmount(entry)}
            className={incoming ? 'amount-in' : ''}
            {...(incoming ? { sign: 'always' as const } : {})}
          />
          {entry.status === 'completed' ? null : (
            <span className={statusBadgeClass(entry.status)}>
              {t(statusKey(entry.type, entry.status))}
            </span>
          )}
        </span>
      </Link>
    </li>
  );
}
