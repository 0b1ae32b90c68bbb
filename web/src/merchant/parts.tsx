import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Button, ErrorNotice, Sheet } from '../shared/ui';

/** Small pieces the portal's pages share: badges, dates, copying, secrets and confirmations. */

const TONES: Readonly<Record<string, string>> = {
  succeeded: 'badge-ok',
  active: 'badge-ok',
  enabled: 'badge-ok',
  paid: 'badge-ok',
  requires_payment: 'badge-warn',
  requires_capture: 'badge-warn',
  processing: 'badge-warn',
  pending: 'badge-warn',
  pending_review: 'badge-warn',
  failing: 'badge-warn',
  canceled: '',
  empty: '',
  disabled: '',
  failed: 'badge-error',
  suspended: 'badge-error',
};

/** A status word from the API as a translated badge (`merchant:status.<value>`). */
export function StatusBadge({ status }: { readonly status: string }) {
  const { t } = useTranslation('merchant');
  return <span className={`badge ${TONES[status] ?? ''}`}>{t(`status.${status}`)}</span>;
}

/** Formats API timestamps and days in the UI language. */
export function useDates() {
  const { i18n } = useTranslation();
  const dateTime = new Intl.DateTimeFormat(i18n.language, {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
  const day = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeZone: 'UTC' });
  return {
    dateTime: (iso: string | null) => (iso === null ? '—' : dateTime.format(new Date(iso))),
    /** `YYYY-MM-DD` as written, whatever the browser's time zone. */
    day: (text: string) => day.format(new Date(`${text}T00:00:00Z`)),
  };
}

export function CopyButton({ text, label }: { readonly text: string; readonly label?: string }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState(false);
  return (
    <Button
      variant="secondary"
      onClick={() =>
        void navigator.clipboard.writeText(text).then(
          () => setCopied(true),
          () => setCopied(false),
        )
      }
    >
      {copied ? t('common:copied') : (label ?? t('common:copy'))}
    </Button>
  );
}

/** A secret the API shows once: the value, a copy button and the warning. */
export function SecretSheet({
  secret,
  title,
  onClose,
}: {
  readonly secret: string | null;
  readonly title: string;
  readonly onClose: () => void;
}) {
  const { t } = useTranslation('merchant');
  return (
    <Sheet open={secret !== null} title={title} onClose={onClose}>
      <p className="notice notice-info">{t('secret.warning')}</p>
      <p>
        <code className="secret-value" aria-label={t('secret.label')}>
          {secret}
        </code>
      </p>
      <div className="form-actions">
        {secret === null ? null : <CopyButton text={secret} label={t('secret.copy')} />}
        <Button onClick={onClose}>{t('secret.saved')}</Button>
      </div>
    </Sheet>
  );
}

/** Asks before something that cannot be undone; shows the failure if the action fails. */
export function ConfirmSheet({
  open,
  title,
  children,
  action,
  busy,
  error,
  onConfirm,
  onClose,
}: {
  readonly open: boolean;
  readonly title: string;
  readonly children: ReactNode;
  readonly action: string;
  readonly busy: boolean;
  readonly error: unknown;
  readonly onConfirm: () => void;
  readonly onClose: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Sheet open={open} title={title} onClose={onClose}>
      {children}
      {error ? <ErrorNotice error={error} /> : null}
      <div className="form-actions">
        <Button variant="secondary" onClick={onClose}>
          {t('common:cancel')}
        </Button>
        <Button variant="danger" busy={busy} onClick={onConfirm}>
          {action}
        </Button>
      </div>
    </Sheet>
  );
}
