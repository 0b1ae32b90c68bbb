import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, fieldError } from '../../../shared/api';
import { formatMoney, parseAmountInput, type MoneyWire } from '../../../shared/money';
import { Button, MoneyText, TextField, useErrorMessage } from '../../../shared/ui';
import { usePaymentFlow } from '../money/payment-flow';
import { StepUpPin } from '../money/StepUpSheet';
import { ConversionNotice } from './Conversion';
import { PayResult } from './PayResult';
import { sendPayment, type Paid, type PayRequest } from './send';
import { payeeId, payeeName, type Scanned } from './types';
import './pay.css';

/**
 * Paying what a scan found: the payee, the amount (fixed by a dynamic code, typed for a static
 * one), a conversion when the wallet needs one, then Pay. The first attempt goes without a
 * confirmation (the low-value exemption may cover it); when the API asks for step-up, the PIN
 * pad confirms this amount to this payee and the payment is sent again with the confirmation.
 * A dropped connection leaves an honest "may or may not have gone through" with a check that
 * re-sends the same request under the same Idempotency-Key.
 */
export function PayConfirm({
  scanned,
  onPaid,
  onDone,
}: {
  readonly scanned: Scanned;
  readonly onPaid?: (paid: Paid) => void;
  readonly onDone: () => void;
}) {
  const { t, i18n } = useTranslation('scan');
  const [paid, setPaid] = useState<Paid | null>(null);
  const flow = usePaymentFlow(sendPayment, (result: Paid) => {
    setPaid(result);
    onPaid?.(result);
  });
  const [amountText, setAmountText] = useState('');
  const [amountError, setAmountError] = useState<string>();
  const [note, setNote] = useState('');
  const [newPayeeChecked, setNewPayeeChecked] = useState(false);
  const checkboxId = useId();
  const name = payeeName(scanned, i18n.language);
  const newPayeeNeeded = newPayeeChecked || isNewPayee(flow.error);
  const { busy, uncertain } = flow;
  const error = isNewPayee(flow.error) ? null : flow.error;

  const requestFromForm = (): PayRequest | undefined => {
    if (scanned.kind === 'payment_intent') {
      return { kind: 'intent', intentId: scanned.payment_intent ?? '' };
    }
    const parsed = parseAmountInput(amountText, scanned.currency);
    if (!parsed.ok) {
      setAmountError(t(`common:amount.${parsed.error}`));
      return undefined;
    }
    setAmountError(undefined);
    const amount = { amount: parsed.amount, currency: scanned.currency };
    const trimmed = note.trim();
    const withNote = trimmed === '' ? {} : { note: trimmed };
    if (scanned.kind === 'merchant') {
      return { kind: 'merchant', merchant: payeeId(scanned), amount, ...withNote };
    }
    return {
      kind: 'transfer',
      recipient: payeeId(scanned),
      amount,
      ...withNote,
      ...(newPayeeChecked ? { confirmNewPayee: true } : {}),
    };
  };

  const pay = (event: FormEvent): void => {
    event.preventDefault();
    const request = requestFromForm();
    if (request === undefined) return;
    void flow.pay(request, { amount: amountOf(request, scanned), payee: payeeId(scanned) });
  };

  if (paid !== null) return <PayResult paid={paid} scanned={scanned} onDone={onDone} />;

  if (flow.stepUpTarget !== null) {
    const amount = formatMoney(flow.stepUpTarget.amount);
    return (
      <div className="pay-pin">
        <p className="pay-pin-title">{t('confirm.pinTitle', { amount, name })}</p>
        <StepUpPin target={flow.stepUpTarget} onConfirmed={flow.confirmed} />
        <div className="form-actions">
          <Button variant="secondary" onClick={flow.cancelStepUp}>
            {t('confirm.pinCancel')}
          </Button>
        </div>
      </div>
    );
  }

  return (
    <form className="pay-confirm" onSubmit={pay} noValidate>
      <Payee scanned={scanned} name={name} />
      {scanned.amount === null ? (
        <TextField
          label={t('confirm.amount', { currency: scanned.currency })}
          inputMode="decimal"
          autoComplete="off"
          value={amountText}
          onChange={(event) => setAmountText(event.target.value)}
          error={amountError ?? fieldError(error, 'amount')}
          disabled={uncertain}
        />
      ) : (
        <div className="pay-amount">
          <span className="muted">{t('confirm.amountFixed')}</span>
          <MoneyText value={scanned.amount} className="pay-amount-value" />
        </div>
      )}
      {scanned.description === null ? null : (
        <p>
          <span className="muted">{t('confirm.description')}: </span>
          {scanned.description}
        </p>
      )}
      {scanned.expires_at === null ? null : (
        <p className="muted">
          {t('confirm.expires', { time: timeOf(scanned.expires_at, i18n.language) })}
        </p>
      )}
      <ConversionNotice scanned={scanned} />
      {scanned.kind === 'payment_intent' ? null : (
        <TextField
          label={`${t('confirm.note')} (${t('common:optional')})`}
          value={note}
          maxLength={140}
          onChange={(event) => setNote(event.target.value)}
          error={fieldError(error, 'note')}
          disabled={uncertain}
        />
      )}
      {newPayeeNeeded ? (
        <div className="notice notice-info">
          <p>{t('confirm.newPayee', { name })}</p>
          <div className="row">
            <input
              id={checkboxId}
              type="checkbox"
              checked={newPayeeChecked}
              onChange={(event) => setNewPayeeChecked(event.target.checked)}
            />
            <label htmlFor={checkboxId}>{t('confirm.newPayeeCheck', { name })}</label>
          </div>
        </div>
      ) : null}
      <Outcome error={error} uncertain={uncertain} />
      <div className="form-actions">
        {uncertain ? (
          <Button busy={busy} block onClick={flow.checkAgain}>
            {t('common:errors.checkAgain')}
          </Button>
        ) : (
          <Button type="submit" busy={busy} block disabled={newPayeeNeeded && !newPayeeChecked}>
            {scanned.amount === null
              ? t('confirm.payTyped')
              : t('confirm.pay', { amount: formatMoney(scanned.amount) })}
          </Button>
        )}
      </div>
    </form>
  );
}

function Payee({ scanned, name }: { readonly scanned: Scanned; readonly name: string }) {
  const { t } = useTranslation('scan');
  return (
    <div className="pay-payee">
      <p className="muted">
        {scanned.kind === 'person' ? t('confirm.payPerson') : t('confirm.payMerchant')}
      </p>
      <p className="pay-payee-name">{name}</p>
      {scanned.merchant === null ? null : <p className="muted">{scanned.merchant.city}</p>}
      {scanned.kind === 'person' ? <p className="muted">{t('confirm.personHint')}</p> : null}
    </div>
  );
}

/** What went wrong, or that nobody knows yet (the connection dropped mid-payment). */
function Outcome({ error, uncertain }: { readonly error: unknown; readonly uncertain: boolean }) {
  const { t } = useTranslation();
  const errorMessage = useErrorMessage();
  if (uncertain) {
    return (
      <div className="notice notice-error" role="alert">
        <p>{t('common:errors.uncertain')}</p>
      </div>
    );
  }
  if (error === null || fieldError(error, 'amount') !== undefined) return null;
  return (
    <div className="notice notice-error" role="alert">
      <p>{errorMessage(error)}</p>
    </div>
  );
}

function isNewPayee(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'new_payee_confirmation_required';
}

/** The amount a confirmation is bound to: the intent's own, or the one typed. */
function amountOf(request: PayRequest, scanned: Scanned): MoneyWire {
  if (request.kind !== 'intent') return request.amount;
  return scanned.amount ?? { amount: '0', currency: scanned.currency };
}

function timeOf(iso: string, language: string): string {
  return new Intl.DateTimeFormat(language, { timeStyle: 'short' }).format(new Date(iso));
}
