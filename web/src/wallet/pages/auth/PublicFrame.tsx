/**
 * The frame of the pages a visitor sees before signing in: the app's name, the page, and the
 * language switch last (so that the form comes first in the tab order).
 */
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSwitch } from '../../../shared/ui';
import './auth.css';

export function PublicFrame({ children }: { readonly children: ReactNode }) {
  const { t } = useTranslation('auth');
  return (
    <div className="public-frame">
      <header className="public-brand">
        <span className="public-logo" aria-hidden="true">
          荷
        </span>
        <span>{t('common:appName')}</span>
      </header>
      <main className="public-main">{children}</main>
      <footer className="public-footer">
        <LanguageSwitch />
      </footer>
    </div>
  );
}
