/**
 * The wallet's home: balances per currency, the quick actions, and the last few movements. In
 * elder mode only the balances, the four main actions and the activity, larger.
 */
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { minorOf } from '../../shared/money';
import { Empty, ErrorNotice, Loading, MoneyText } from '../../shared/ui';
import { merchantNameOf } from './history/types';
import { PersonName } from './money/Person';
import {
  signedAmount,
  useRecentActivity,
  useWallets,
  type HistoryEntry,
  type Wallet,
} from './money/wallets';
import './money/money.css';

const MAIN_ACTIONS = [
  { to: '/scan', key: 'scan' },
  { to: '/paycode', key: 'paycode' },
  { to: '/send', key: 'send' },
  { to: '/topup', key: 'topup' },
] as const;

const MORE_ACTIONS = [
  { to: '/collect', key: 'collect' },
  { to: '/withdraw', key: 'withdraw' },
  { to: '/requests', key: 'requests' },
  { to: '/cards', key: 'cards' },
] as const;

export default function Home() {
  const { t } = useTranslation('home');
  const elder = document.documentElement.classList.contains('elder');
  const actions = elder ? MAIN_ACTIONS : [...MAIN_ACTIONS, ...MORE_ACTIONS];
  return (
    <section className="page">
      <h1 className="visually-hidden">{t('title')}</h1>
      <Balances />
      <nav className="card" aria-label={t('actions.label')}>
        <ul className="money-actions">
          {actions.map((action) => (
            <li key={action.key}>
              <Link to={action.to}>{t(`actions.${action.key}`)}</Link>
            </li>
          ))}
        </ul>
      </nav>
      <RecentActivity />
    </section>
  );
}

function Balances() {
  const { t } = useTranslation('home');
  const wallets = useWallets();
  return (
    <section className="card" aria-labelledby="home-balances">
      <h2 id="home-balances">{t('balances.title')}</h2>
      {wallets.isPending ? (
        <Loading />
      ) : wallets.error ? (
        <ErrorNotice error={wallets.error} onRetry={() => void wallets.refetch()} />
      ) : wallets.data.length === 0 ? (
        <Empty>
          <span>
            {t('balances.empty')} <Link to="/topup">{t('actions.topup')}</Link>
          </span>
        </Empty>
      ) : (
        <ul className="list">
          {wallets.data.map((wallet) => (
            <BalanceRow key={wallet.currency} wallet={wallet} />
          ))}
        </ul>
      )}
    </section>
  );
}

function BalanceRow({ wallet }: { readonly wallet: Wallet }) {
  const { t } = useTranslation('home');
  const pending = (minorOf(wallet.pending) ?? 0n) !== 0n;
  return (
    <li>
      <p className="muted">{t('balances.available', { currency: wallet.currency })}</p>
      <p className="money-balance">
        <MoneyText value={wallet.available} />
      </p>
      {pending ? (
        <p className="muted">
          {t('balances.pending')} <MoneyText value={wallet.pending} />
        </p>
      ) : null}
    </li>
  );
}

function RecentActivity() {
  const { t } = useTranslation('home');
  const activity = useRecentActivity(5);
  return (
    <section className="card" aria-labelledby="home-activity">
      <div className="row-between">
        <h2 id="home-activity">{t('activity.title')}</h2>
        <Link to="/activity">{t('activity.seeAll')}</Link>
      </div>
      {activity.isPending ? (
        <Loading />
      ) : activity.error ? (
        <ErrorNotice error={activity.error} onRetry={() => void activity.refetch()} />
      ) : activity.data.length === 0 ? (
        <Empty>{t('activity.empty')}</Empty>
      ) : (
        <ul className="list">
          {activity.data.map((entry) => (
            <li key={entry.id}>
              <ActivityRow entry={entry} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ActivityRow({ entry }: { readonly entry: HistoryEntry }) {
  const { t, i18n } = useTranslation('home');
  const when = new Date(entry.created_at).toLocaleString(i18n.language, {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
  return (
    <Link to={`/activity/${entry.id}`} className="money-row-link">
      <span className="money-recipient-text">
        <span className="money-recipient-name">
          <EntryTitle entry={entry} />
        </span>
        <span className="muted">
          {when}
          {entry.status === 'completed' ? null : ` · ${t(`status.${entry.status}`)}`}
        </span>
      </span>
      <MoneyText
        value={signedAmount(entry)}
        {...(entry.direction === 'incoming'
          ? { sign: 'always' as const, className: 'amount-in' }
          : {})}
      />
    </Link>
  );
}

function EntryTitle({ entry }: { readonly entry: HistoryEntry }) {
  const { t, i18n } = useTranslation('home');
  const other = entry.counterparty_id;
  const merchant = merchantNameOf(entry, i18n.language);
  if (merchant !== undefined) return <>{`${t(`type.${entry.type}`)} · ${merchant}`}</>;
  if (entry.type !== 'p2p') return <>{t(`type.${entry.type}`)}</>;
  if (other === null || !other.startsWith('usr_')) return <>{t('type.payment')}</>;
  return (
    <>
      {t(entry.direction === 'incoming' ? 'activity.from' : 'activity.to')}{' '}
      <PersonName id={other} />
    </>
  );
}
