/**
 * Send money to another user: find them (avatar, masked real name, verified, paid before), the
 * amount, a note and when it arrives. A first payment to someone needs an explicit
 * confirmation, a larger one the PIN; a dropped connection leaves an honest "may have gone
 * through" with a "check again" that cannot pay twice. A held transfer can be cancelled.
 */
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api, ApiError } from '../../shared/api';
import { formatMoney, parseAmountInput, type MoneyWire } from '../../shared/money';
import { Button, ErrorNotice, Loading, MoneyText, Page, Sheet, TextField } from '../../shared/ui';
import { amountErrorKey } from './money/format';
import { PaymentProblem } from './money/PaymentProblem';
import { usePaymentFlow } from './money/payment-flow';
import { RecipientSummary } from './money/Person';
import { usePerson, type Recipient } from './money/people';
import { RecipientSearch } from './money/RecipientSearch';
import { StepUpSheet } from './money/StepUpSheet';
import { useWallets, walletCurrencies } from './money/wallets';
import './money/money.css';
import { CurrencySelect } from './money/CurrencySelect';

const ARRIVALS = ['instant', 'delay_2h', 'delay_24h'] as const;
type Arrival = (typeof ARRIVALS)[number];
const NOTE_LENGTH_MAX = 140;

interface TransferBody {
  readonly recipient: string;
  readonly amount: MoneyWire;
  readonly arrival: Arrival;
  readonly note?: string;
  readonly confirmation?: string;
  readonly confirm_new_payee?: boolean;
}

interface Transfer {
  readonly id: string;
  readonly amount: MoneyWire;
  readonly status: string;
  readonly release_at: string | null;
  readonly arrival: Arrival;
}

export default function Send() {
  const { t } = useTranslation('send');
  const [params] = useSearchParams();
  const preset = usePerson(params.get('to'));
  const [chosen, setChosen] = useState<Recipient | null | undefined>(undefined);
  const [result, setResult] = useState<{ transfer: Transfer; to: Recipient } | null>(null);
  const recipient = chosen === undefined ? (preset.data ?? null) : chosen;

  if (result !== null) {
    return (
      <Page title={t('title')} back="/">
        <SendResult transfer={result.transfer} to={result.to} onAgain={() => setResult(null)} />
      </Page>
    );
  }
  return (
    <Page title={t('title')} back="/">
      {recipient === null ? (
        <section className="card">
          {preset.isLoading ? <Loading /> : null}
          <RecipientSearch label={t('search.label')} onSelect={setChosen} />
        </section>
      ) : (
        <>
          <section className="card row-between" aria-label={t('recipient.label')}>
            <RecipientSummary recipient={recipient} />
            <Button
              variant="ghost"
              aria-label={t('recipient.change')}
              onClick={() => setChosen(null)}
            >
              {t('recipient.changeShort')}
            </Button>
          </section>
          <SendForm
            recipient={recipient}
            onSent={(transfer) => setResult({ transfer, to: recipient })}
          />
        </>
      )}
    </Page>
  );
}

function SendForm({
  recipient,
  onSent,
}: {
  readonly recipient: Recipient;
  readonly onSent: (transfer: Transfer) => void;
}) {
  const { t } = useTranslation('send');
  const wallets = useWallets();
  const currencies = walletCurrencies(wallets.data);
  const [amountText, setAmountText] = useState('');
  const [currency, setCurrency] = useState(currencies[0] ?? 'CNY');
  const [note, setNote] = useState('');
  const [arrival, setArrival] = useState<Arrival>('instant');
  const [amountError, setAmountError] = useState<string | undefined>(undefined);
  const [lastBody, setLastBody] = useState<TransferBody | null>(null);
  const flow = usePaymentFlow(
    (body: TransferBody, key: string) =>
      api<Transfer>('/v1/transfers', { method: 'POST', body, idempotencyKey: key }),
    onSent,
  );
  const newPayee =
    flow.error instanceof ApiError && flow.error.code === 'new_payee_confirmation_required';

  const pay = (body: TransferBody): void => {
    setLastBody(body);
    void flow.pay(body, { amount: body.amount, payee: body.recipient });
  };

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const parsed = parseAmountInput(amountText, currency);
    if (!parsed.ok) {
      setAmountError(t(amountErrorKey(parsed.error)));
      return;
    }
    setAmountError(undefined);
    const trimmed = note.trim();
    pay({
      recipient: recipient.id,
      amount: { amount: parsed.amount, currency },
      arrival,
      ...(trimmed === '' ? {} : { note: trimmed }),
    });
  };

  return (
    <>
      <form className="card" noValidate onSubmit={submit}>
        <TextField
          label={t('form.amount', { currency })}
          inputMode="decimal"
          autoComplete="off"
          value={amountText}
          onChange={(event) => setAmountText(event.target.value)}
          error={amountError}
        />
        <CurrencySelect
          label={t('form.currency')}
          currencies={currencies}
          value={currency}
          onChange={setCurrency}
        />
        <TextField
          label={t('form.note')}
          hint={t('form.noteHint')}
          maxLength={NOTE_LENGTH_MAX}
          value={note}
          onChange={(event) => setNote(event.target.value)}
        />
        <fieldset className="money-choices">
          <legend>{t('form.arrival')}</legend>
          {ARRIVALS.map((choice) => (
            <label key={choice}>
              <input
                type="radio"
                name="arrival"
                value={choice}
                checked={arrival === choice}
                onChange={() => setArrival(choice)}
              />
              {t(`arrival.${choice}`)}
            </label>
          ))}
        </fieldset>
        {newPayee ? null : (
          <PaymentProblem
            error={flow.error}
            uncertain={flow.uncertain}
            busy={flow.busy}
            onCheckAgain={flow.checkAgain}
          />
        )}
        <div className="form-actions">
          <Button type="submit" busy={flow.busy} block>
            {t('form.submit')}
          </Button>
        </div>
      </form>
      <Sheet open={newPayee} title={t('newPayee.title')} onClose={flow.clear}>
        <p>{t('newPayee.question', { name: recipient.display_name })}</p>
        <RecipientSummary recipient={recipient} />
        <p className="money-stepup-amount">
          {lastBody === null ? null : formatMoney(lastBody.amount)}
        </p>
        <div className="form-actions">
          <Button
            busy={flow.busy}
            onClick={() => lastBody !== null && pay({ ...lastBody, confirm_new_payee: true })}
          >
            {t('newPayee.confirm')}
          </Button>
          <Button variant="secondary" onClick={flow.clear}>
            {t('common:cancel')}
          </Button>
        </div>
      </Sheet>
      <StepUpSheet
        target={flow.stepUpTarget}
        onConfirmed={flow.confirmed}
        onClose={flow.cancelStepUp}
      />
    </>
  );
}

function SendResult({
  transfer,
  to,
  onAgain,
}: {
  readonly transfer: Transfer;
  readonly to: Recipient;
  readonly onAgain: () => void;
}) {
  const { t, i18n } = useTranslation('send');
  const [current, setCurrent] = useState(transfer);
  const cancel = useMutation({
    mutationFn: () => api<Transfer>(`/v1/transfers/${current.id}/cancel`, { method: 'POST' }),
    onSuccess: setCurrent,
  });
  const releaseAt =
    current.release_at === null
      ? null
      : new Date(current.release_at).toLocaleString(i18n.language, {
          dateStyle: 'medium',
          timeStyle: 'short',
        });
  return (
    <section className="card money-result" aria-live="polite">
      <h2>{t(`result.${current.status}`, { defaultValue: t('result.processing') })}</h2>
      <p className="money-balance">
        <MoneyText value={current.amount} />
      </p>
      <p>{t('result.to', { name: to.display_name })}</p>
      {releaseAt === null ? null : (
        <p className="muted">{t('result.releaseAt', { time: releaseAt })}</p>
      )}
      {cancel.error === null ? null : <ErrorNotice error={cancel.error} />}
      <div className="form-actions">
        {current.status === 'held' ? (
          <Button variant="danger" busy={cancel.isPending} onClick={() => cancel.mutate()}>
            {t('result.cancel')}
          </Button>
        ) : null}
        <Link className="btn btn-primary" to={`/activity/${current.id}`}>
          {t('result.receipt')}
        </Link>
        <Button variant="secondary" onClick={onAgain}>
          {t('result.again')}
        </Button>
      </div>
    </section>
  );
}
