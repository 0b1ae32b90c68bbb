import { Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, NavLink, Outlet } from 'react-router';
import { LanguageSwitch, Loading } from '../shared/ui';
import { LiveEvents } from './live';

/** The signed-in frame: header, the page, and the tab bar a thumb can reach. */
export function Layout() {
  const { t } = useTranslation('wallet');
  return (
    <div className="app">
      <a href="#main" className="skip-link">
        {t('common:skipToContent')}
      </a>
      <header className="app-header">
        <Link to="/">{t('common:appName')}</Link>
        <div className="row">
          <Link to="/notifications" aria-label={t('nav.notifications')}>
            <span aria-hidden="true">🔔</span>
          </Link>
          <LanguageSwitch />
        </div>
      </header>
      <LiveEvents />
      <main id="main" className="app-main" tabIndex={-1}>
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
      <nav className="tab-bar" aria-label={t('common:nav.main')}>
        <NavLink to="/" end>
          {t('nav.home')}
        </NavLink>
        <NavLink to="/scan">{t('nav.scan')}</NavLink>
        <NavLink to="/activity">{t('nav.activity')}</NavLink>
        <NavLink to="/settings">{t('nav.me')}</NavLink>
      </nav>
    </div>
  );
}
