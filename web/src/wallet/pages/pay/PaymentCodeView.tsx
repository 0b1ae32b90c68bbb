import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  generatePaymentCode,
  paymentCodeStep,
  secondsLeftInStep,
} from '../../../../../src/merchants/payment-code';
import { code128Bars } from '../../../shared/barcode';
import { secretBytes, type PaycodeDevice } from './paycode-device';
import { QrImage } from './QrImage';

/** Seconds before the change at which screen readers hear that the code is about to change. */
const ANNOUNCE_AT: readonly number[] = [30, 10];

interface CodeState {
  readonly code: string | undefined;
  readonly secondsLeft: number;
}

/** The device's current code, made on the phone every 60-second step, and the countdown. */
function usePaymentCode(device: PaycodeDevice): CodeState {
  const [state, setState] = useState<CodeState>({
    code: undefined,
    secondsLeft: secondsLeftInStep(Date.now()),
  });
  useEffect(() => {
    const secret = secretBytes(device.secret);
    let step = -1;
    let live = true;
    const tick = (): void => {
      const now = Date.now();
      const secondsLeft = secondsLeftInStep(now);
      setState((previous) => ({ ...previous, secondsLeft }));
      if (paymentCodeStep(now) === step) return;
      step = paymentCodeStep(now);
      void generatePaymentCode({ secret, tokenId: device.tokenId, at: now }).then((code) => {
        if (live) setState({ code, secondsLeft: secondsLeftInStep(Date.now()) });
      });
    };
    tick();
    const timer = setInterval(tick, 1000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [device]);
  return state;
}

/** 18 digits as 4-4-4-4-2, as cashiers read them out. */
export function groupDigits(code: string): string {
  return code.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/**
 * The payment code three ways (digits, Code 128 barcode, QR) with a visible countdown to the
 * next one. Screen readers hear when a new code shows and shortly before it changes, not every
 * second.
 */
export function PaymentCodeView({ device }: { readonly device: PaycodeDevice }) {
  const { t } = useTranslation('paycode');
  const { code, secondsLeft } = usePaymentCode(device);
  const [announcement, setAnnouncement] = useState('');
  useEffect(() => {
    if (code !== undefined) setAnnouncement(t('announceNew'));
  }, [code, t]);
  useEffect(() => {
    if (ANNOUNCE_AT.includes(secondsLeft)) {
      setAnnouncement(t('announceSoon', { count: secondsLeft }));
    }
  }, [secondsLeft, t]);

  if (code === undefined) return null;
  return (
    <div className="paycode">
      <Barcode digits={code} label={t('barcodeLabel')} />
      <p className="paycode-digits">
        <span className="visually-hidden">{t('digitsLabel')}: </span>
        <span data-paycode={code}>{groupDigits(code)}</span>
      </p>
      <QrImage value={code} alt={t('qrLabel')} size={200} />
      <p className="muted paycode-countdown" aria-hidden="true">
        {t('refreshIn', { count: secondsLeft })}
      </p>
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
    </div>
  );
}

function Barcode({ digits, label }: { readonly digits: string; readonly label: string }) {
  const { bars, modules } = code128Bars(digits);
  return (
    <svg
      className="paycode-barcode"
      viewBox={`0 0 ${modules} 60`}
      preserveAspectRatio="none"
      shapeRendering="crispEdges"
      role="img"
      aria-label={label}
    >
      <rect width={modules} height={60} fill="#fff" />
      {bars.map((bar) => (
        <rect key={bar.x} x={bar.x} width={bar.width} height={60} fill="#000" />
      ))}
    </svg>
  );
}
