import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useId, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, NavLink, Outlet } from 'react-router';
import { api, ApiError } from '../shared/api';
import { Button, ErrorNotice, LanguageSwitch, Loading } from '../shared/ui';
import {
  ME_QUERY_KEY,
  MerchantContext,
  saveMerchantId,
  savedMerchantId,
  useMe,
  useMerchants,
} from './session';
import type { Merchant } from './types';

const Onboarding = lazy(() => import('./pages/Onboarding'));

/**
 * The portal's frame: skip link, header (name, merchant switch, language, sign out), the section
 * links and the page. Without a session it asks to sign in; without a merchant it onboards.
 */
export function Layout() {
  const { t } = useTranslation();
  const me = useMe();
  const signedIn = me.isSuccess;
  const merchants = useMerchants(signedIn);
  const [selected, setSelected] = useState(savedMerchantId);
  const list = merchants.data ?? [];
  const merchant = list.find((m) => m.id === selected) ?? list[0] ?? null;

  const select = (id: string) => {
    saveMerchantId(id);
    setSelected(id);
  };

  let body: ReactNode;
  if (me.isPending || (signedIn && merchants.isPending)) body = <Loading />;
  else if (me.error instanceof ApiError && me.error.status === 401) body = <SignInNeeded />;
  else if (me.error) body = <ErrorNotice error={me.error} onRetry={() => void me.refetch()} />;
  else if (merchants.error) {
    body = <ErrorNotice error={merchants.error} onRetry={() => void merchants.refetch()} />;
  } else if (merchant === null) body = <Onboarding />;
  else body = <Outlet />;

  return (
    <MerchantContext.Provider value={merchant}>
      <div className="app">
        <a href="#main" className="skip-link">
          {t('common:skipToContent')}
        </a>
        <Header merchants={list} merchant={merchant} onSelect={select} signedIn={signedIn} />
        {merchant === null ? null : <SectionLinks />}
        <main id="main" className="app-main wide" tabIndex={-1}>
          <Suspense fallback={<Loading />}>{body}</Suspense>
        </main>
      </div>
    </MerchantContext.Provider>
  );
}

function Header({
  merchants,
  merchant,
  onSelect,
  signedIn,
}: {
  readonly merchants: readonly Merchant[];
  readonly merchant: Merchant | null;
  readonly onSelect: (id: string) => void;
  readonly signedIn: boolean;
}) {
  const { t } = useTranslation('merchant');
  const switchId = useId();
  return (
    <header className="app-header">
      <p className="app-title" role="heading" aria-level={2}>
        <Link to="/">{t('common:merchantAppName')}</Link>
      </p>
      <div className="row">
        {merchants.length > 1 && merchant !== null ? (
          <div className="merchant-switch">
            <label htmlFor={switchId} className="visually-hidden">
              {t('layout.merchantSwitch')}
            </label>
            <select
              id={switchId}
              value={merchant.id}
              onChange={(event) => onSelect(event.target.value)}
            >
              {merchants.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name_zh} · {m.name_en}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <LanguageSwitch />
        {signedIn ? <SignOut /> : null}
      </div>
    </header>
  );
}

function SignOut() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const signOut = async () => {
    setBusy(true);
    try {
      await api('/v1/auth/logout', { method: 'POST' });
    } finally {
      setBusy(false);
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== ME_QUERY_KEY[0] });
      await queryClient.invalidateQueries({ queryKey: ME_QUERY_KEY });
    }
  };
  return (
    <Button variant="ghost" busy={busy} onClick={() => void signOut()}>
      {t('common:signOut')}
    </Button>
  );
}

function SectionLinks() {
  const { t } = useTranslation('merchant');
  return (
    <nav className="side-nav" aria-label={t('common:nav.main')}>
      <NavLink to="/" end>
        {t('nav.dashboard')}
      </NavLink>
      <NavLink to="/payments">{t('nav.payments')}</NavLink>
      <NavLink to="/collect">{t('nav.collect')}</NavLink>
      <NavLink to="/qr">{t('nav.qr')}</NavLink>
      <NavLink to="/settlements">{t('nav.settlements')}</NavLink>
      <NavLink to="/api-keys">{t('nav.apiKeys')}</NavLink>
      <NavLink to="/webhooks">{t('nav.webhooks')}</NavLink>
      <NavLink to="/merchant">{t('nav.merchant')}</NavLink>
    </nav>
  );
}

/** Signing in happens in the wallet, which comes back here afterwards. */
function SignInNeeded() {
  const { t } = useTranslation('merchant');
  return (
    <section className="page">
      <h1>{t('signIn.title')}</h1>
      <p>{t('signIn.body')}</p>
      <p>
        <a className="btn btn-primary" href="/signin?next=/merchant/">
          {t('signIn.link')}
        </a>
      </p>
    </section>
  );
}
