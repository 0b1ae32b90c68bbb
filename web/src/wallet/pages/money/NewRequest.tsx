/**
 * A new money request: one or several people, each with their own amount, or a bill split
 * evenly. The even split is previewed the way the API makes it: integer minor units, the ones
 * left over to the first payers.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, fieldError } from '../../../shared/api';
import { formatMoney, parseAmountInput, type MoneyWire } from '../../../shared/money';
import { useIdempotentSubmit } from '../../../shared/payment';
import { Button, ErrorNotice, Page, TextField } from '../../../shared/ui';
import { amountErrorKey, amountOfMinor, splitEvenly } from './format';
import { RecipientSummary } from './Person';
import type { Recipient } from './people';
import { RecipientSearch } from './RecipientSearch';
import type { MoneyRequest } from './requests-api';
import { useWallets, walletCurrencies } from './wallets';
import { CurrencySelect } from './CurrencySelect';

const PAYERS_MAX = 20;
const NOTE_LENGTH_MAX = 140;

type Mode = 'split' | 'shares';

type Body =
  | { readonly note?: string; readonly total: MoneyWire; readonly payers: string[] }
  | {
      readonly note?: string;
      readonly shares: { readonly payer: string; readonly amount: MoneyWire }[];
    };

export function NewRequest() {
  const { t } = useTranslation('requests');
  const navigate = useNavigate();
  const client = useQueryClient();
  const currencies = walletCurrencies(useWallets().data);
  const [mode, setMode] = useState<Mode>('split');
  const [payers, setPayers] = useState<Recipient[]>([]);
  const [amounts, setAmounts] = useState<Record<string, string>>({});
  const [total, setTotal] = useState('');
  const [currency, setCurrency] = useState(currencies[0] ?? 'CNY');
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const { submit } = useIdempotentSubmit((body: Body, key: string) =>
    api<MoneyRequest>('/v1/requests', { method: 'POST', body, idempotencyKey: key }),
  );

  const build = (): { ok: true; body: Body } | { ok: false; errors: Record<string, string> } => {
    const found: Record<string, string> = {};
    if (payers.length === 0) found['payers'] = t('new.errors.noPayers');
    const trimmed = note.trim();
    const withNote = trimmed === '' ? {} : { note: trimmed };
    if (mode === 'split') {
      const parsed = parseAmountInput(total, currency);
      if (!parsed.ok) found['total'] = t(amountErrorKey(parsed.error));
      else if (payers.length > 0 && parsed.minor < BigInt(payers.length)) {
        found['total'] = t('new.errors.tooSmall');
      }
      if (Object.keys(found).length > 0 || !parsed.ok) return { ok: false, errors: found };
      const body = {
        ...withNote,
        total: { amount: parsed.amount, currency },
        payers: payers.map((p) => p.id),
      };
      return { ok: true, body };
    }
    const shares = payers.map((payer) => {
      const parsed = parseAmountInput(amounts[payer.id] ?? '', currency);
      if (!parsed.ok) found[payer.id] = t(amountErrorKey(parsed.error));
      return { payer: payer.id, amount: { amount: parsed.ok ? parsed.amount : '', currency } };
    });
    return Object.keys(found).length > 0
      ? { ok: false, errors: found }
      : { ok: true, body: { ...withNote, shares } };
  };

  const send = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const built = build();
    if (!built.ok) {
      setErrors(built.errors);
      return;
    }
    setErrors({});
    setError(null);
    setBusy(true);
    try {
      const created = await submit(built.body);
      void client.invalidateQueries({ queryKey: ['requests'] });
      void navigate(`/requests/${created.id}`);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const apiFieldError = (param: string) => fieldError(error, param);
  const placed = ['total', 'payers', ...payers.map((_, i) => `shares[${i}]`)].some(
    (param) => apiFieldError(param) !== undefined,
  );
  const shownError = placed ? null : error;

  return (
    <Page title={t('new.title')} back="/requests">
      <form className="card" noValidate onSubmit={(event) => void send(event)}>
        <fieldset className="money-choices">
          <legend>{t('new.mode')}</legend>
          {(['split', 'shares'] as const).map((choice) => (
            <label key={choice}>
              <input
                type="radio"
                name="mode"
                value={choice}
                checked={mode === choice}
                onChange={() => setMode(choice)}
              />
              {t(`new.modes.${choice}`)}
            </label>
          ))}
        </fieldset>
        <CurrencySelect
          label={t('new.currency')}
          currencies={currencies}
          value={currency}
          onChange={setCurrency}
        />
        {mode === 'split' ? (
          <TextField
            label={t('new.total', { currency })}
            inputMode="decimal"
            autoComplete="off"
            value={total}
            onChange={(event) => setTotal(event.target.value)}
            error={errors['total'] ?? apiFieldError('total')}
          />
        ) : null}
        <PayerList
          mode={mode}
          payers={payers}
          amounts={amounts}
          currency={currency}
          total={total}
          errors={errors}
          apiError={error}
          onAmount={(id, value) => setAmounts({ ...amounts, [id]: value })}
          onRemove={(id) => setPayers(payers.filter((p) => p.id !== id))}
        />
        {payers.length < PAYERS_MAX ? (
          <RecipientSearch
            label={t('new.addPayer')}
            exclude={payers.map((p) => p.id)}
            onSelect={(recipient) => setPayers([...payers, recipient])}
          />
        ) : null}
        {errors['payers'] === undefined && apiFieldError('payers') === undefined ? null : (
          <p className="field-error" role="alert">
            {errors['payers'] ?? apiFieldError('payers')}
          </p>
        )}
        <TextField
          label={t('new.note')}
          maxLength={NOTE_LENGTH_MAX}
          value={note}
          onChange={(event) => setNote(event.target.value)}
        />
        {shownError === null ? null : <ErrorNotice error={shownError} />}
        <div className="form-actions">
          <Button type="submit" busy={busy} block>
            {t('new.submit')}
          </Button>
        </div>
      </form>
    </Page>
  );
}

function PayerList({
  mode,
  payers,
  amounts,
  currency,
  total,
  errors,
  apiError,
  onAmount,
  onRemove,
}: {
  readonly mode: Mode;
  readonly payers: readonly Recipient[];
  readonly amounts: Readonly<Record<string, string>>;
  readonly currency: string;
  readonly total: string;
  readonly errors: Readonly<Record<string, string>>;
  readonly apiError: unknown;
  readonly onAmount: (id: string, value: string) => void;
  readonly onRemove: (id: string) => void;
}) {
  const { t } = useTranslation('requests');
  if (payers.length === 0) return <p className="muted">{t('new.noPayersYet')}</p>;
  const parsed = parseAmountInput(total, currency);
  const split = parsed.ok ? splitEvenly(parsed.minor, payers.length) : [];
  return (
    <ul className="list" aria-label={t('new.payers')}>
      {payers.map((payer, i) => {
        const share = split[i];
        const shareAmount = share === undefined ? undefined : amountOfMinor(share, currency);
        return (
          <li key={payer.id}>
            <div className="row-between money-payer-head">
              <RecipientSummary recipient={payer} />
              <Button
                variant="ghost"
                aria-label={t('new.remove', { name: payer.display_name })}
                onClick={() => onRemove(payer.id)}
              >
                {t('new.removeShort')}
              </Button>
            </div>
            {mode === 'shares' ? (
              <TextField
                label={t('new.amountFor', { name: payer.display_name, currency })}
                inputMode="decimal"
                autoComplete="off"
                value={amounts[payer.id] ?? ''}
                onChange={(event) => onAmount(payer.id, event.target.value)}
                error={errors[payer.id] ?? fieldError(apiError, `shares[${i}]`)}
              />
            ) : shareAmount === undefined ? null : (
              <p className="muted">
                {t('new.shareOf', { amount: formatMoney({ amount: shareAmount, currency }) })}
              </p>
            )}
          </li>
        );
      })}
    </ul>
  );
}
