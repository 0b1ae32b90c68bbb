/**
 * Step-up with the payment PIN: confirms one payment (this amount, this payee) and hands the
 * single-use confirmation back to the screen, which sends the payment again with it. `StepUpPin`
 * is the PIN pad itself, for screens already inside a sheet; `StepUpSheet` puts it in one.
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

export function StepUpPin({
  target,
  onConfirmed,
}: {
  readonly target: StepUpTarget;
  readonly onConfirmed: (confirmation: string) => void;
}) {
  const { t } = useTranslation('send');
  const message = useErrorMessage();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const confirm = async (pin: string): Promise<void> => {
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

  return (
    <>
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
  );
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
  // The sheet renders its content only while open, so each step-up starts without an error.
  return (
    <Sheet open={target !== null} title={t('stepUp.title')} onClose={onClose}>
      {target === null ? null : (
        <>
          <p className="money-stepup-amount">{formatMoney(target.amount)}</p>
          <StepUpPin target={target} onConfirmed={onConfirmed} />
        </>
      )}
    </Sheet>
  );
}
