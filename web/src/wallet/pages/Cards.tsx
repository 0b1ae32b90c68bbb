/**
 * Bank cards: the bound ones (brand and last four digits), binding another (checked with Luhn
 * before it is sent; the number goes to the gateway and is never stored), and removing one.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, fieldError } from '../../shared/api';
import { Button, Empty, ErrorNotice, Loading, Page, Sheet, TextField } from '../../shared/ui';
import { CARDS_KEY, cardDigits, luhnValid, parseExpiry, useCards, type Card } from './money/cards';
import './money/money.css';

export default function Cards() {
  const { t } = useTranslation('funds');
  const cards = useCards();
  const [removing, setRemoving] = useState<Card | null>(null);
  return (
    <Page title={t('cards.title')} back="/">
      <section className="card" aria-labelledby="cards-bound">
        <h2 id="cards-bound">{t('cards.bound')}</h2>
        {cards.isPending ? (
          <Loading />
        ) : cards.error ? (
          <ErrorNotice error={cards.error} onRetry={() => void cards.refetch()} />
        ) : cards.data.length === 0 ? (
          <Empty>{t('cards.none')}</Empty>
        ) : (
          <ul className="list">
            {cards.data.map((card) => (
              <li key={card.id} className="row-between">
                <CardLabel card={card} />
                <Button
                  variant="ghost"
                  aria-label={t('cards.remove', { last4: card.last4 })}
                  onClick={() => setRemoving(card)}
                >
                  {t('remove.confirm')}
                </Button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <BindCard />
      <RemoveSheet card={removing} onClose={() => setRemoving(null)} />
    </Page>
  );
}

function CardLabel({ card }: { readonly card: Card }) {
  const { t } = useTranslation('funds');
  return (
    <span className="money-recipient-text">
      <span className="money-recipient-name">
        {t('cards.label', { brand: t(`brand.${card.brand}`), last4: card.last4 })}
      </span>
      <span className="muted">
        {t('cards.expires', {
          month: String(card.exp_month).padStart(2, '0'),
          year: card.exp_year,
        })}
      </span>
    </span>
  );
}

interface BindForm {
  readonly number: string;
  readonly expiry: string;
  readonly cvc: string;
  readonly holder: string;
}

type BindErrors = Partial<Record<keyof BindForm, string>>;

function validate(form: BindForm): BindErrors {
  const errors: BindErrors = {};
  const digits = cardDigits(form.number);
  if (digits === undefined) errors.number = 'bind.errors.numberFormat';
  else if (!luhnValid(digits)) errors.number = 'bind.errors.numberLuhn';
  if (parseExpiry(form.expiry) === undefined) errors.expiry = 'bind.errors.expiry';
  if (!/^\d{3,4}$/.test(form.cvc.trim())) errors.cvc = 'bind.errors.cvc';
  if (form.holder.trim() === '') errors.holder = 'bind.errors.holder';
  return errors;
}

const EMPTY_FORM: BindForm = { number: '', expiry: '', cvc: '', holder: '' };

function BindCard() {
  const { t } = useTranslation('funds');
  const client = useQueryClient();
  const [form, setForm] = useState<BindForm>(EMPTY_FORM);
  const [errors, setErrors] = useState<BindErrors>({});
  const bind = useMutation({
    mutationFn: (body: object) => api<Card>('/v1/cards', { method: 'POST', body }),
    onSuccess: () => {
      setForm(EMPTY_FORM);
      void client.invalidateQueries({ queryKey: CARDS_KEY });
    },
  });
  const set = (field: keyof BindForm) => (value: string) => setForm({ ...form, [field]: value });

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const found = validate(form);
    setErrors(found);
    const expiry = parseExpiry(form.expiry);
    if (Object.keys(found).length > 0 || expiry === undefined) return;
    bind.mutate({
      number: cardDigits(form.number),
      exp_month: expiry.month,
      exp_year: expiry.year,
      cvc: form.cvc.trim(),
      holder_name: form.holder.trim(),
    });
  };

  const apiError = (param: string) => fieldError(bind.error, param);
  const shown = (field: keyof BindForm, ...params: string[]) => {
    const own = errors[field];
    if (own !== undefined) return t(own);
    return params.map(apiError).find((message) => message !== undefined);
  };
  const general =
    bind.error !== null && !(bind.error instanceof ApiError && bind.error.problem.param);

  return (
    <section className="card" aria-labelledby="cards-bind">
      <h2 id="cards-bind">{t('bind.title')}</h2>
      <form noValidate onSubmit={submit}>
        <TextField
          label={t('bind.number')}
          inputMode="numeric"
          autoComplete="cc-number"
          value={form.number}
          onChange={(event) => set('number')(event.target.value)}
          error={shown('number', 'number')}
          hint={t('bind.numberHint')}
        />
        <div className="grid">
          <TextField
            label={t('bind.expiry')}
            autoComplete="cc-exp"
            placeholder={t('bind.expiryPlaceholder')}
            value={form.expiry}
            onChange={(event) => set('expiry')(event.target.value)}
            error={shown('expiry', 'exp_month', 'exp_year')}
          />
          <TextField
            label={t('bind.cvc')}
            inputMode="numeric"
            autoComplete="cc-csc"
            value={form.cvc}
            onChange={(event) => set('cvc')(event.target.value)}
            error={shown('cvc', 'cvc')}
          />
        </div>
        <TextField
          label={t('bind.holder')}
          autoComplete="cc-name"
          value={form.holder}
          onChange={(event) => set('holder')(event.target.value)}
          error={shown('holder', 'holder_name')}
        />
        {general ? <ErrorNotice error={bind.error} /> : null}
        {bind.isSuccess ? (
          <p className="notice notice-ok" role="status">
            {t('bind.done', { last4: bind.data.last4 })}
          </p>
        ) : null}
        <div className="form-actions">
          <Button type="submit" busy={bind.isPending}>
            {t('bind.submit')}
          </Button>
        </div>
      </form>
    </section>
  );
}

function RemoveSheet({
  card,
  onClose,
}: {
  readonly card: Card | null;
  readonly onClose: () => void;
}) {
  const { t } = useTranslation('funds');
  const client = useQueryClient();
  const remove = useMutation({
    mutationFn: (id: string) => api(`/v1/cards/${id}`, { method: 'DELETE' }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: CARDS_KEY });
      onClose();
    },
  });
  const close = (): void => {
    remove.reset();
    onClose();
  };
  return (
    <Sheet open={card !== null} title={t('remove.title')} onClose={close}>
      {card === null ? null : (
        <>
          <p>{t('remove.question', { last4: card.last4 })}</p>
          {remove.error === null ? null : <ErrorNotice error={remove.error} />}
          <div className="form-actions">
            <Button variant="danger" busy={remove.isPending} onClick={() => remove.mutate(card.id)}>
              {t('remove.confirm')}
            </Button>
            <Button variant="secondary" onClick={close}>
              {t('common:cancel')}
            </Button>
          </div>
        </>
      )}
    </Sheet>
  );
}
