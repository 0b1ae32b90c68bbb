import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

/** A screen: a heading (the page's name for screen readers too), an optional back link. */
export function Page({
  title,
  back,
  actions,
  children,
}: {
  readonly title: string;
  readonly back?: string;
  readonly actions?: ReactNode;
  readonly children: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <section className="page">
      <header className="page-header">
        {back === undefined ? null : (
          <Link to={back} className="back-link">
            <span aria-hidden="true">‹</span> {t('common:back')}
          </Link>
        )}
        <h1>{title}</h1>
        {actions === undefined ? null : <div className="page-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}
