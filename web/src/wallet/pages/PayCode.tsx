import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { limits } from '../../../../src/limits';
import { formatAmount } from '../../../../src/money/index';
import { formatMoney } from '../../shared/money';
import { Button, Loading, Page, PinPad, useErrorMessage } from '../../shared/ui';
import { useMe } from '../session';
import { unlockDevice, type PaycodeDevice } from './pay/paycode-device';
import { PaymentCodeView } from './pay/PaymentCodeView';
import { PendingChargesSection } from './pay/PendingCharges';
import './pay/pay.css';

/**
 * My payment code (付款码): behind the payment PIN every time it is shown. Unlocking provisions
 * this browser afresh (see paycode-device.ts); the code itself is then made on the device every
 * minute, offline. Charges above the allowance wait below for the user's confirmation.
 */
export default function PayCode() {
  const { t } = useTranslation('paycode');
  const me = useMe();
  const errorMessage = useErrorMessage();
  const [device, setDevice] = useState<PaycodeDevice | null>(null);
  const [busy, setBusy] = useState(false);
  const [pinError, setPinError] = useState<string>();

  const unlock = async (pin: string): Promise<void> => {
    if (me.data === undefined) return;
    setBusy(true);
    setPinError(undefined);
    try {
      setDevice(await unlockDevice(me.data.id, pin, t('deviceName')));
    } catch (error) {
      setPinError(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };

  const cny = (minor: bigint) =>
    formatMoney({ amount: formatAmount(minor, 'CNY'), currency: 'CNY' });
  return (
    <Page title={t('title')} back="/">
      <PendingChargesSection />
      <section className="card" aria-label={t('title')}>
        {device === null ? (
          <>
            <p>{t('locked')}</p>
            <p className="muted">{t('firstTime')}</p>
            {me.isPending ? <Loading /> : null}
            <PinPad onComplete={(pin) => void unlock(pin)} busy={busy} error={pinError} />
            {busy ? <Loading label={t('unlocking')} /> : null}
          </>
        ) : (
          <>
            <p className="muted">{t('intro')}</p>
            <PaymentCodeView device={device} />
            <div className="form-actions">
              <Button variant="secondary" onClick={() => setDevice(null)}>
                {t('hide')}
              </Button>
            </div>
          </>
        )}
      </section>
      <p className="muted">
        {t('allowance', {
          each: cny(limits.paymentCodeConfirmAboveMinor),
          daily: cny(limits.paymentCodeDailyMinor),
        })}
      </p>
    </Page>
  );
}
