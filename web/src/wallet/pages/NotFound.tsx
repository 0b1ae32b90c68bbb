import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { Page } from '../../shared/ui';

export default function NotFound() {
  const { t } = useTranslation();
  return (
    <Page title={t('errors.notFound')}>
      <Link to="/">{t('wallet:nav.home')}</Link>
    </Page>
  );
}
