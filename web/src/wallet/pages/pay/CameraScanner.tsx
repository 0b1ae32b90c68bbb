import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { createScanner, scanUntilFound } from '../../../shared/qr-scanner';

type CameraState = 'starting' | 'scanning' | 'denied' | 'unavailable' | 'failed';

/**
 * The back camera, scanning until it sees a QR code; the stream stops when the code is found
 * or the component goes away. Without a camera, or without permission, it says so.
 */
export function CameraScanner({ onFound }: { readonly onFound: (payload: string) => void }) {
  const { t } = useTranslation('scan');
  const video = useRef<HTMLVideoElement>(null);
  const found = useRef(onFound);
  const [state, setState] = useState<CameraState>('starting');
  found.current = onFound;

  useEffect(() => {
    const abort = new AbortController();
    let stream: MediaStream | undefined;
    const run = async (): Promise<void> => {
      if (navigator.mediaDevices?.getUserMedia === undefined) {
        setState('unavailable');
        return;
      }
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: { ideal: 'environment' } },
          audio: false,
        });
      } catch (error) {
        setState(cameraErrorState(error));
        return;
      }
      const element = video.current;
      if (abort.signal.aborted || element === null) return;
      element.srcObject = stream;
      await element.play().catch(() => undefined);
      setState('scanning');
      const payload = await scanUntilFound(await createScanner(element), abort.signal);
      if (payload !== undefined) found.current(payload);
    };
    void run();
    return () => {
      abort.abort();
      stream?.getTracks().forEach((track) => track.stop());
    };
  }, []);

  const message =
    state === 'starting' ? t('camera.starting') : state === 'scanning' ? t('camera.scanning') : '';
  const failure = state === 'denied' || state === 'unavailable' || state === 'failed';
  return (
    <div className="camera">
      {failure ? (
        <div className="notice notice-error" role="alert">
          <p>{t(`camera.${state}`)}</p>
        </div>
      ) : (
        <>
          <video
            ref={video}
            className="camera-video"
            muted
            playsInline
            aria-label={t('camera.videoLabel')}
          />
          <p className="muted" role="status">
            {message}
          </p>
        </>
      )}
    </div>
  );
}

function cameraErrorState(error: unknown): CameraState {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'unavailable';
  return 'failed';
}
