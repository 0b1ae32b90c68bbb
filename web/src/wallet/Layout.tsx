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
          <Link to="/notifications" className="icon-link" aria-label={t('nav.notifications')}>
            <BellIcon />
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

/** Drawn, not an emoji: emoji fonts are not everywhere (headless browsers, some kiosks). */
function BellIcon() {
  return (
    <svg width="24" height="24" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path
        d="M12 3a6 6 0 0 0-6 6v3.6L4.3 15.4A1 1 0 0 0 5.2 17h13.6a1 1 0 0 0 .9-1.6L18 12.6V9a6 6 0 0 0-6-6Zm-2.2 15.5a2.3 2.3 0 0 0 4.4 0Z"
        fill="currentColor"
      />
    </svg>
  );
}
