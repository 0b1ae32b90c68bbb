/**
 * The payment PIN in a sheet: confirms one payment (this amount, this payee) and hands the
 * single-use confirmation back to the screen, which sends the payment again with it.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiError } from '../../../shared/api';
import { formatMoney, type MoneyWire } from '../../../shared/money';
import { confirmWithPin } from '../../../shared/payment';
import { PinPad, Sheet, useErrorMessage } from '../../../shared/ui';

export interface StepUpTarget {
  readonly amount: MoneyWire;
  readonly payee: string;
}

export function StepUpSheet({
  target,
  onConfirmed,
  onClose,
}: {
  readonly target: StepUpTarget | null;
  readonly onConfirmed: (confirmation: string) => void;
  readonly onClose: () => void;
}) {
  const { t } = useTranslation('send');
  const message = useErrorMessage();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const confirm = async (pin: string): Promise<void> => {
    if (target === null) return;
    setBusy(true);
    setError(null);
    try {
      onConfirmed(await confirmWithPin(target.amount, target.payee, pin));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const close = (): void => {
    setError(null);
    onClose();
  };

  return (
    <Sheet open={target !== null} title={t('stepUp.title')} onClose={close}>
      {target === null ? null : (
        <>
          <p className="money-stepup-amount">{formatMoney(target.amount)}</p>
          <PinPad
            onComplete={(pin) => void confirm(pin)}
            busy={busy}
            error={error === null ? undefined : message(error)}
          />
          {error instanceof ApiError && error.code === 'pin_not_set' ? (
            <p>
              <Link to="/pin">{t('stepUp.setPin')}</Link>
            </p>
          ) : null}
        </>
      )}
    </Sheet>
  );
}
