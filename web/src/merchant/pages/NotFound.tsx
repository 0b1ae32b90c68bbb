import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { Page } from '../../shared/ui';

/** A portal address that leads nowhere. */
export default function NotFound() {
  const { t } = useTranslation('merchant');
  return (
    <Page title={t('notFound.title')}>
      <p>{t('common:errors.notFound')}</p>
      <Link to="/">{t('nav.dashboard')}</Link>
    </Page>
  );
}
