/**
 * Top-up and withdrawal, one screen in two directions: pick a card, an amount, send it with an
 * Idempotency-Key (a withdrawal may ask for the PIN, its payee being the card), then follow the
 * movement until the bank has answered, and refresh the balances.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../../shared/api';
import { formatMoney, parseAmountInput } from '../../../shared/money';
import {
  Button,
  Empty,
  ErrorNotice,
  Loading,
  MoneyText,
  Page,
  SelectField,
  TextField,
} from '../../../shared/ui';
import { useCards, useMovement, type Card, type Movement } from './cards';
import { amountErrorKey } from './format';
import { PaymentProblem } from './PaymentProblem';
import { usePaymentFlow } from './payment-flow';
import { StepUpSheet } from './StepUpSheet';
import { walletCurrencies, useWallets, WALLETS_KEY } from './wallets';
import './money.css';
import { CurrencySelect } from './CurrencySelect';

export type MovementKind = 'topups' | 'withdrawals';

interface Body {
  readonly card_id: string;
  readonly amount: { readonly amount: string; readonly currency: string };
  readonly confirmation?: string;
}

export function CardMovement({ kind }: { readonly kind: MovementKind }) {
  const { t } = useTranslation('funds');
  const ns = kind === 'topups' ? 'topup' : 'withdraw';
  const cards = useCards();
  const [started, setStarted] = useState<Movement | null>(null);
  return (
    <Page title={t(`${ns}.title`)} back="/">
      {started !== null ? (
        <MovementResult kind={kind} started={started} onAgain={() => setStarted(null)} />
      ) : cards.isPending ? (
        <Loading />
      ) : cards.error ? (
        <ErrorNotice error={cards.error} onRetry={() => void cards.refetch()} />
      ) : cards.data.length === 0 ? (
        <Empty>
          <span>
            {t('cards.none')} <Link to="/cards">{t('cards.bindLink')}</Link>
          </span>
        </Empty>
      ) : (
        <MovementForm kind={kind} cards={cards.data} onStarted={setStarted} />
      )}
    </Page>
  );
}

function MovementForm({
  kind,
  cards,
  onStarted,
}: {
  readonly kind: MovementKind;
  readonly cards: readonly Card[];
  readonly onStarted: (movement: Movement) => void;
}) {
  const { t } = useTranslation('funds');
  const ns = kind === 'topups' ? 'topup' : 'withdraw';
  const wallets = useWallets();
  const currencies = walletCurrencies(wallets.data);
  const [cardId, setCardId] = useState(cards[0]?.id ?? '');
  const [amountText, setAmountText] = useState('');
  const [currency, setCurrency] = useState(currencies[0] ?? 'CNY');
  const [amountError, setAmountError] = useState<string | undefined>(undefined);
  const flow = usePaymentFlow(
    (body: Body, key: string) =>
      api<Movement>(`/v1/${kind}`, { method: 'POST', body, idempotencyKey: key }),
    onStarted,
  );
  const available = wallets.data?.find((w) => w.currency === currency)?.available;

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const parsed = parseAmountInput(amountText, currency);
    if (!parsed.ok) {
      setAmountError(t(amountErrorKey(parsed.error)));
      return;
    }
    setAmountError(undefined);
    const amount = { amount: parsed.amount, currency };
    void flow.pay({ card_id: cardId, amount }, { amount, payee: cardId });
  };

  return (
    <>
      <form className="card" noValidate onSubmit={submit}>
        <SelectField
          label={t(`${ns}.card`)}
          value={cardId}
          onChange={(event) => setCardId(event.target.value)}
        >
          {cards.map((card) => (
            <option key={card.id} value={card.id}>
              {t('cards.label', { brand: t(`brand.${card.brand}`), last4: card.last4 })}
            </option>
          ))}
        </SelectField>
        <p className="muted">
          <Link to="/cards">{t('cards.manage')}</Link>
        </p>
        <CurrencySelect
          label={t('currency')}
          currencies={currencies}
          value={currency}
          onChange={setCurrency}
        />
        <TextField
          label={t(`${ns}.amount`, { currency })}
          inputMode="decimal"
          autoComplete="off"
          value={amountText}
          onChange={(event) => setAmountText(event.target.value)}
          error={amountError}
          hint={
            kind === 'withdrawals' && available !== undefined
              ? t('withdraw.available', { amount: formatMoney(available) })
              : undefined
          }
        />
        <PaymentProblem
          error={flow.error}
          uncertain={flow.uncertain}
          busy={flow.busy}
          onCheckAgain={flow.checkAgain}
        />
        <div className="form-actions">
          <Button type="submit" busy={flow.busy} block>
            {t(`${ns}.submit`)}
          </Button>
        </div>
      </form>
      <StepUpSheet
        target={flow.stepUpTarget}
        onConfirmed={flow.confirmed}
        onClose={flow.cancelStepUp}
      />
    </>
  );
}

function MovementResult({
  kind,
  started,
  onAgain,
}: {
  readonly kind: MovementKind;
  readonly started: Movement;
  readonly onAgain: () => void;
}) {
  const { t } = useTranslation('funds');
  const ns = kind === 'topups' ? 'topup' : 'withdraw';
  const client = useQueryClient();
  const movement = useMovement(kind, started);
  const current = movement.data ?? started;
  useEffect(() => {
    void client.invalidateQueries({ queryKey: WALLETS_KEY });
    void client.invalidateQueries({ queryKey: ['transactions'] });
  }, [client, current.status]);
  return (
    <section className="card money-result" aria-live="polite">
      <h2>{t(`${ns}.status.${current.status}`)}</h2>
      <p className="money-balance">
        <MoneyText value={current.amount} />
      </p>
      {current.status === 'pending' ? <Loading label={t(`${ns}.waiting`)} /> : null}
      {current.status === 'failed' ? (
        <p className="notice notice-error" role="alert">
          {t(`failure.${current.failure_code ?? 'other'}`, { defaultValue: t('failure.other') })}
        </p>
      ) : null}
      {current.status === 'succeeded' ? (
        <p className="notice notice-ok">{t(`${ns}.succeeded`)}</p>
      ) : null}
      {movement.error === null ? null : (
        <ErrorNotice error={movement.error} onRetry={() => void movement.refetch()} />
      )}
      <div className="form-actions">
        <Link className="btn btn-primary" to="/">
          {t('common:done')}
        </Link>
        <Button variant="secondary" onClick={onAgain}>
          {t(`${ns}.again`)}
        </Button>
      </div>
    </section>
  );
}
