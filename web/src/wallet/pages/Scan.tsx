import { useMutation } from '@tanstack/react-query';
import { useCallback, useId, useState, type ChangeEvent, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api } from '../../shared/api';
import { decodeQrFromFile } from '../../shared/qr-scanner';
import { Button, ErrorNotice, Loading, Page, Sheet } from '../../shared/ui';
import { CameraScanner } from './pay/CameraScanner';
import { PayConfirm } from './pay/PayConfirm';
import type { Scanned } from './pay/types';
import './pay/pay.css';

type ImageState = 'idle' | 'reading' | 'noCode' | 'unreadable';

/**
 * Scan to pay: a code from the camera, from an image file, or pasted as text goes to
 * `POST /v1/scans`, and what it would pay opens in a sheet to confirm. A code that is one of our
 * own payment links opens that page instead.
 */
export default function Scan() {
  const { t } = useTranslation('scan');
  const navigate = useNavigate();
  const [cameraOn, setCameraOn] = useState(false);
  const [sheetOpen, setSheetOpen] = useState(false);
  const [paid, setPaid] = useState(false);
  const lookup = useMutation({
    mutationFn: (payload: string) =>
      api<Scanned>('/v1/scans', { method: 'POST', body: { payload } }),
    onSuccess: () => {
      setPaid(false);
      setSheetOpen(true);
    },
  });
  const { mutate } = lookup;

  const handle = useCallback(
    (text: string): void => {
      setCameraOn(false);
      const path = ownPaymentLinkPath(text);
      if (path !== undefined) navigate(path);
      else mutate(text.trim());
    },
    [mutate, navigate],
  );

  const close = (): void => {
    setSheetOpen(false);
    lookup.reset();
  };

  return (
    <Page title={t('title')}>
      <p className="muted">{t('intro')}</p>
      <div aria-live="polite">{lookup.isPending ? <Loading label={t('looking')} /> : null}</div>
      {lookup.isError ? <ErrorNotice error={lookup.error} /> : null}
      <section className="card" aria-labelledby="scan-camera">
        <h2 id="scan-camera">{t('camera.heading')}</h2>
        {cameraOn ? <CameraScanner onFound={handle} /> : null}
        <div className="form-actions">
          <Button
            variant={cameraOn ? 'secondary' : 'primary'}
            onClick={() => setCameraOn(!cameraOn)}
          >
            {cameraOn ? t('camera.stop') : t('camera.start')}
          </Button>
        </div>
      </section>
      <ImageSection onFound={handle} />
      <PasteSection onSubmit={handle} busy={lookup.isPending} />
      <Sheet
        open={sheetOpen && lookup.data !== undefined}
        title={paid ? t('result.title') : t('confirm.title')}
        onClose={close}
      >
        {lookup.data === undefined ? null : (
          <PayConfirm scanned={lookup.data} onPaid={() => setPaid(true)} onDone={close} />
        )}
      </Sheet>
    </Page>
  );
}

function ImageSection({ onFound }: { readonly onFound: (payload: string) => void }) {
  const { t } = useTranslation('scan');
  const inputId = useId();
  const [state, setState] = useState<ImageState>('idle');
  const read = async (event: ChangeEvent<HTMLInputElement>): Promise<void> => {
    const input = event.target;
    const file = input.files?.[0];
    if (file === undefined) return;
    setState('reading');
    try {
      const payload = await decodeQrFromFile(file);
      setState(payload === undefined ? 'noCode' : 'idle');
      if (payload !== undefined) onFound(payload);
    } catch {
      setState('unreadable');
    } finally {
      // Choosing the same file again is a new attempt.
      input.value = '';
    }
  };
  return (
    <section className="card" aria-labelledby="scan-image">
      <h2 id="scan-image">{t('image.heading')}</h2>
      <div className="field">
        <label htmlFor={inputId}>{t('image.choose')}</label>
        <input
          id={inputId}
          type="file"
          accept="image/*"
          aria-describedby={`${inputId}-hint`}
          onChange={(event) => void read(event)}
        />
        <p className="field-hint" id={`${inputId}-hint`}>
          {t('image.hint')}
        </p>
      </div>
      {state === 'reading' ? <Loading label={t('image.reading')} /> : null}
      {state === 'noCode' || state === 'unreadable' ? (
        <div className="notice notice-error" role="alert">
          <p>{t(`image.${state}`)}</p>
        </div>
      ) : null}
    </section>
  );
}

function PasteSection({
  onSubmit,
  busy,
}: {
  readonly onSubmit: (payload: string) => void;
  readonly busy: boolean;
}) {
  const { t } = useTranslation('scan');
  const id = useId();
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (text.trim() === '') {
      setError(t('paste.required'));
      return;
    }
    setError(undefined);
    onSubmit(text);
  };
  const describedBy = [`${id}-hint`, error === undefined ? '' : `${id}-error`]
    .filter(Boolean)
    .join(' ');
  return (
    <section className="card" aria-labelledby="scan-paste">
      <h2 id="scan-paste">{t('paste.heading')}</h2>
      <form onSubmit={submit} noValidate>
        <div className={`field${error === undefined ? '' : ' field-invalid'}`}>
          <label htmlFor={id}>{t('paste.label')}</label>
          <textarea
            id={id}
            rows={3}
            value={text}
            spellCheck={false}
            autoComplete="off"
            aria-invalid={error === undefined ? undefined : true}
            aria-describedby={describedBy}
            onChange={(event) => setText(event.target.value)}
          />
          <p className="field-hint" id={`${id}-hint`}>
            {t('paste.hint')}
          </p>
          {error === undefined ? null : (
            <p className="field-error" id={`${id}-error`} role="alert">
              {error}
            </p>
          )}
        </div>
        <div className="form-actions">
          <Button type="submit" variant="secondary" busy={busy}>
            {t('paste.submit')}
          </Button>
        </div>
      </form>
    </section>
  );
}

/** A scanned web address of one of our own payment pages, as an in-app path. */
function ownPaymentLinkPath(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  return url.origin === window.location.origin && url.pathname.startsWith('/pay/')
    ? url.pathname
    : undefined;
}
