/**
 * The authenticator app (TOTP): set it up (scan the QR code or type the secret, confirm with a
 * first code, save the recovery codes shown once), replace the recovery codes, or turn it off.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import QRCode from 'qrcode';
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, fieldError } from '../../../shared/api';
import { Button, ErrorNotice, Loading, TextField } from '../../../shared/ui';
import { unlessField } from '../auth/formError';

interface MfaStatus {
  readonly totp_enabled: boolean;
  readonly recovery_codes_left: number;
}

interface Enrollment {
  readonly secret: string;
  readonly otpauth_uri: string;
}

const MFA_KEY = ['security', 'mfa'] as const;
const TOTP_PATTERN = /^[0-9]{6}$/;
const RECOVERY_PATTERN = /^[0-9A-Za-z]{5}-?[0-9A-Za-z]{5}$/;

export function MfaSection() {
  const { t } = useTranslation('security');
  const queryClient = useQueryClient();
  const status = useQuery({ queryKey: MFA_KEY, queryFn: () => api<MfaStatus>('/v1/me/mfa') });
  const [codes, setCodes] = useState<readonly string[] | null>(null);
  // The security queries all change with it: the status, and the events that record it.
  const changed = () => queryClient.invalidateQueries({ queryKey: ['security'] });
  const showCodes = (shown: readonly string[]): void => {
    setCodes(shown);
    void changed();
  };
  return (
    <section className="card" aria-labelledby="mfa-title">
      <div className="row-between">
        <h2 id="mfa-title">{t('mfa.title')}</h2>
        {status.data === undefined ? null : status.data.totp_enabled ? (
          <span className="badge badge-ok">{t('mfa.on')}</span>
        ) : (
          <span className="badge">{t('mfa.off')}</span>
        )}
      </div>
      <p className="muted">{t('mfa.intro')}</p>
      {status.isPending ? <Loading /> : null}
      {status.error === null ? null : (
        <ErrorNotice error={status.error} onRetry={() => void status.refetch()} />
      )}
      {codes !== null ? (
        <RecoveryCodes codes={codes} onDone={() => setCodes(null)} />
      ) : status.data === undefined ? null : status.data.totp_enabled ? (
        <TotpManage status={status.data} onCodes={showCodes} onDisabled={changed} />
      ) : (
        <TotpSetup onConfirmed={showCodes} />
      )}
    </section>
  );
}

function TotpSetup({ onConfirmed }: { readonly onConfirmed: (codes: readonly string[]) => void }) {
  const { t } = useTranslation('security');
  const start = useMutation({
    mutationFn: () => api<Enrollment>('/v1/me/mfa/totp', { method: 'POST' }),
  });
  if (start.data === undefined) {
    return (
      <>
        {start.error === null ? null : <ErrorNotice error={start.error} />}
        <Button busy={start.isPending} onClick={() => start.mutate()}>
          {t('mfa.setUp')}
        </Button>
      </>
    );
  }
  return <TotpConfirm enrollment={start.data} onConfirmed={onConfirmed} onCancel={start.reset} />;
}

function TotpConfirm({
  enrollment,
  onConfirmed,
  onCancel,
}: {
  readonly enrollment: Enrollment;
  readonly onConfirmed: (codes: readonly string[]) => void;
  readonly onCancel: () => void;
}) {
  const { t } = useTranslation('security');
  const [code, setCode] = useState('');
  const [invalid, setInvalid] = useState(false);
  const confirm = useMutation({
    mutationFn: (text: string) =>
      api<{ recovery_codes: string[] }>('/v1/me/mfa/totp/confirm', {
        method: 'POST',
        body: { code: text },
      }),
    onSuccess: (answer) => onConfirmed(answer.recovery_codes),
  });
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const text = code.trim();
    setInvalid(!TOTP_PATTERN.test(text));
    if (TOTP_PATTERN.test(text)) confirm.mutate(text);
  };
  const formProblem = unlessField(confirm.error, ['code']);
  return (
    <form onSubmit={submit} noValidate>
      <ol className="security-steps">
        <li>
          <p>{t('mfa.scan')}</p>
          <QrImage text={enrollment.otpauth_uri} />
          <p className="muted">{t('mfa.typeSecret')}</p>
          <code className="security-secret" aria-label={t('mfa.secretLabel')}>
            {enrollment.secret}
          </code>
        </li>
        <li>
          <TextField
            label={t('mfa.codeLabel')}
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={6}
            value={code}
            error={invalid ? t('mfa.codeFormat') : fieldError(confirm.error, 'code')}
            onChange={(event) => setCode(event.target.value)}
          />
        </li>
      </ol>
      {formProblem === undefined ? null : <ErrorNotice error={formProblem} />}
      <div className="form-actions">
        <Button type="submit" busy={confirm.isPending}>
          {t('mfa.turnOn')}
        </Button>
        <Button variant="ghost" onClick={onCancel}>
          {t('common:cancel')}
        </Button>
      </div>
    </form>
  );
}

/** The otpauth URI as a QR code image, drawn in the browser. */
function QrImage({ text }: { readonly text: string }) {
  const { t } = useTranslation('security');
  const [source, setSource] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(text, { margin: 1, width: 200 }).then(
      (url) => live && setSource(url),
      () => live && setSource(''),
    );
    return () => {
      live = false;
    };
  }, [text]);
  if (source === null) return <Loading />;
  if (source === '') return null;
  return <img className="security-qr" src={source} alt={t('mfa.qrAlt')} width={200} height={200} />;
}

function RecoveryCodes({
  codes,
  onDone,
}: {
  readonly codes: readonly string[];
  readonly onDone: () => void;
}) {
  const { t } = useTranslation('security');
  const [copied, setCopied] = useState(false);
  const copy = async (): Promise<void> => {
    await navigator.clipboard.writeText(codes.join('\n'));
    setCopied(true);
  };
  return (
    <div className="notice notice-info" role="region" aria-labelledby="recovery-title">
      <h3 id="recovery-title">{t('mfa.recoveryTitle')}</h3>
      <p>{t('mfa.recoveryIntro')}</p>
      <ul className="security-codes" aria-label={t('mfa.recoveryTitle')}>
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <div className="form-actions">
        <Button variant="secondary" onClick={() => void copy().catch(() => setCopied(false))}>
          {copied ? t('common:copied') : t('mfa.copyCodes')}
        </Button>
        <Button onClick={onDone}>{t('mfa.savedCodes')}</Button>
      </div>
    </div>
  );
}

type Action = 'disable' | 'regenerate';

function TotpManage({
  status,
  onCodes,
  onDisabled,
}: {
  readonly status: MfaStatus;
  readonly onCodes: (codes: readonly string[]) => void;
  readonly onDisabled: () => void;
}) {
  const { t } = useTranslation('security');
  const [action, setAction] = useState<Action | null>(null);
  return (
    <>
      <p>{t('mfa.codesLeft', { count: status.recovery_codes_left })}</p>
      {action === null ? (
        <div className="form-actions">
          <Button variant="secondary" onClick={() => setAction('regenerate')}>
            {t('mfa.regenerate')}
          </Button>
          <Button variant="danger" onClick={() => setAction('disable')}>
            {t('mfa.turnOff')}
          </Button>
        </div>
      ) : (
        <ProofForm
          action={action}
          onCancel={() => setAction(null)}
          onDone={(codes) => {
            setAction(null);
            if (codes === undefined) onDisabled();
            else onCodes(codes);
          }}
        />
      )}
    </>
  );
}

/** A fresh authenticator code (or, to turn it off, a recovery code) proves it is the owner. */
function ProofForm({
  action,
  onCancel,
  onDone,
}: {
  readonly action: Action;
  readonly onCancel: () => void;
  readonly onDone: (codes: readonly string[] | undefined) => void;
}) {
  const { t } = useTranslation('security');
  const [code, setCode] = useState('');
  const [invalid, setInvalid] = useState(false);
  const mutation = useMutation({
    mutationFn: async (text: string): Promise<readonly string[] | undefined> => {
      if (action === 'regenerate') {
        const answer = await api<{ recovery_codes: string[] }>('/v1/me/mfa/recovery-codes', {
          method: 'POST',
          body: { totp: text },
        });
        return answer.recovery_codes;
      }
      const proof = TOTP_PATTERN.test(text) ? { totp: text } : { recovery_code: text };
      await api('/v1/me/mfa/totp/disable', { method: 'POST', body: proof });
      return undefined;
    },
    onSuccess: onDone,
  });
  const valid = (text: string): boolean =>
    TOTP_PATTERN.test(text) || (action === 'disable' && RECOVERY_PATTERN.test(text));
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const text = code.trim();
    setInvalid(!valid(text));
    if (valid(text)) mutation.mutate(text);
  };
  const fields = ['totp', 'recovery_code', 'code'];
  const formProblem = unlessField(mutation.error, fields);
  const fieldProblem = fields
    .map((field) => fieldError(mutation.error, field))
    .find((message) => message !== undefined);
  return (
    <form onSubmit={submit} noValidate>
      <TextField
        label={action === 'disable' ? t('mfa.proofLabel') : t('mfa.codeLabel')}
        autoComplete="one-time-code"
        autoFocus
        value={code}
        error={invalid ? t('mfa.codeFormat') : fieldProblem}
        onChange={(event) => setCode(event.target.value)}
      />
      {formProblem === undefined ? null : <ErrorNotice error={formProblem} />}
      <div className="form-actions">
        <Button
          type="submit"
          variant={action === 'disable' ? 'danger' : 'primary'}
          busy={mutation.isPending}
        >
          {action === 'disable' ? t('mfa.confirmTurnOff') : t('mfa.confirmRegenerate')}
        </Button>
        <Button variant="ghost" onClick={onCancel}>
          {t('common:cancel')}
        </Button>
      </div>
    </form>
  );
}
