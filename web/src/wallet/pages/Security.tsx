/**
 * The security center (/security): payment PIN, two-step verification, passkeys, password,
 * where the account is signed in, and what happened to it lately.
 */
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ErrorNotice, Loading, Page } from '../../shared/ui';
import { usePinStatus } from './auth/pinStatus';
import { EventsSection } from './security/Events';
import { MfaSection } from './security/Mfa';
import { PasskeysSection } from './security/Passkeys';
import { PasswordSection } from './security/Password';
import { SessionsSection } from './security/Sessions';
import './security/security.css';

export default function Security() {
  const { t } = useTranslation('security');
  return (
    <Page title={t('title')} back="/settings">
      <PinSection />
      <MfaSection />
      <PasskeysSection />
      <PasswordSection />
      <SessionsSection />
      <EventsSection />
    </Page>
  );
}

function PinSection() {
  const { t } = useTranslation('security');
  const status = usePinStatus();
  return (
    <section className="card" aria-labelledby="pin-title">
      <div className="row-between">
        <h2 id="pin-title">{t('pin.title')}</h2>
        {status.data === undefined ? null : status.data.locked_until !== null ? (
          <span className="badge badge-error">{t('pin.locked')}</span>
        ) : status.data.set ? (
          <span className="badge badge-ok">{t('pin.set')}</span>
        ) : (
          <span className="badge badge-warn">{t('pin.notSet')}</span>
        )}
      </div>
      {status.isPending ? <Loading /> : null}
      {status.error === null ? null : (
        <ErrorNotice error={status.error} onRetry={() => void status.refetch()} />
      )}
      {status.data === undefined ? null : (
        <Link to="/pin?next=%2Fsecurity" className="btn btn-secondary security-link-button">
          {status.data.set ? t('pin.change') : t('pin.setUp')}
        </Link>
      )}
    </section>
  );
}
