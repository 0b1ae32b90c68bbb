import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, fieldError } from '../../shared/api';
import { Button, Empty, ErrorNotice, Loading, Page, SelectField, TextField } from '../../shared/ui';
import { StatusBadge } from '../parts';
import { MERCHANTS_QUERY_KEY, saveMerchantId, useMerchants } from '../session';
import type { Card, Merchant } from '../types';

/** Common merchant category codes (ISO 18245); any other four digits can be typed. */
const MCCS = ['5812', '5814', '5411', '5499', '5691', '5732', '5912', '5942', '7230', '8299'];

interface Form {
  readonly name_zh: string;
  readonly name_en: string;
  readonly mcc: string;
  readonly city: string;
  readonly country: string;
  readonly settlement_card_id: string;
}

type FormErrors = Partial<Record<keyof Form, string>>;

const PRINTABLE = /^[\x20-\x7e]+$/;

function check(form: Form): FormErrors {
  const errors: FormErrors = {};
  if (form.name_zh.trim() === '' || form.name_zh.length > 25) errors.name_zh = 'nameZh';
  if (!PRINTABLE.test(form.name_en) || form.name_en.length > 25) errors.name_en = 'latin25';
  if (!/^[0-9]{4}$/.test(form.mcc)) errors.mcc = 'mcc';
  if (!PRINTABLE.test(form.city) || form.city.length > 15) errors.city = 'latin15';
  if (!/^[A-Z]{2}$/.test(form.country)) errors.country = 'country';
  if (form.settlement_card_id === '') errors.settlement_card_id = 'card';
  return errors;
}

/** The user's merchants with what their status means, and the form to open one. */
export default function Onboarding() {
  const { t } = useTranslation('merchant');
  const merchants = useMerchants(true);
  return (
    <Page title={t('onboarding.title')}>
      {merchants.isPending ? <Loading /> : null}
      {merchants.data?.length === 0 ? <p>{t('onboarding.intro')}</p> : null}
      {merchants.data?.map((m) => (
        <MerchantStatusCard key={m.id} merchant={m} />
      ))}
      <CreateMerchant first={merchants.data?.length === 0} />
    </Page>
  );
}

function MerchantStatusCard({ merchant }: { readonly merchant: Merchant }) {
  const { t } = useTranslation('merchant');
  return (
    <section className="card">
      <div className="row-between">
        <h2>
          {merchant.name_zh} · {merchant.name_en}
        </h2>
        <StatusBadge status={merchant.status} />
      </div>
      <p>{t(`merchantStatus.${merchant.status}`)}</p>
      <p className="muted">
        {t('onboarding.facts', {
          mcc: merchant.mcc,
          city: merchant.city,
          currency: merchant.currency,
          rate: merchant.fee_rate,
        })}
      </p>
    </section>
  );
}

function CreateMerchant({ first }: { readonly first: boolean }) {
  const { t } = useTranslation('merchant');
  const queryClient = useQueryClient();
  const cards = useQuery({
    queryKey: ['cards'],
    queryFn: () => api<{ data: Card[] }>('/v1/cards').then((page) => page.data),
  });
  const [form, setForm] = useState<Form>({
    name_zh: '',
    name_en: '',
    mcc: '5814',
    city: '',
    country: 'CN',
    settlement_card_id: '',
  });
  const [errors, setErrors] = useState<FormErrors>({});
  const create = useMutation({
    mutationFn: (body: Form) => api<Merchant>('/v1/merchants', { method: 'POST', body }),
    onSuccess: (merchant) => {
      saveMerchantId(merchant.id);
      void queryClient.invalidateQueries({ queryKey: MERCHANTS_QUERY_KEY });
    },
  });
  const cardId = form.settlement_card_id || (cards.data?.[0]?.id ?? '');
  const set = (field: keyof Form) => (value: string) =>
    setForm((current) => ({ ...current, [field]: value }));
  const errorOf = (field: keyof Form) =>
    errors[field] === undefined
      ? fieldError(create.error, field)
      : t(`onboarding.errors.${errors[field]}`);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const body = { ...form, name_zh: form.name_zh.trim(), settlement_card_id: cardId };
    const found = check(body);
    setErrors(found);
    if (Object.keys(found).length === 0) create.mutate(body);
  };

  const generalError =
    create.error instanceof ApiError && create.error.problem.param !== undefined
      ? null
      : create.error;
  return (
    <form className="card" onSubmit={onSubmit} noValidate>
      <h2>{first ? t('onboarding.createFirst') : t('onboarding.createAnother')}</h2>
      <TextField
        label={t('onboarding.nameZh')}
        value={form.name_zh}
        maxLength={25}
        onChange={(e) => set('name_zh')(e.target.value)}
        error={errorOf('name_zh')}
      />
      <TextField
        label={t('onboarding.nameEn')}
        hint={t('onboarding.nameEnHint')}
        value={form.name_en}
        maxLength={25}
        onChange={(e) => set('name_en')(e.target.value)}
        error={errorOf('name_en')}
      />
      <SelectField
        label={t('onboarding.mcc')}
        value={form.mcc}
        onChange={(e) => set('mcc')(e.target.value)}
        error={errorOf('mcc')}
      >
        {MCCS.map((code) => (
          <option key={code} value={code}>
            {code} · {t(`mcc.${code}`)}
          </option>
        ))}
      </SelectField>
      <TextField
        label={t('onboarding.city')}
        hint={t('onboarding.cityHint')}
        value={form.city}
        maxLength={15}
        onChange={(e) => set('city')(e.target.value)}
        error={errorOf('city')}
      />
      <TextField
        label={t('onboarding.country')}
        value={form.country}
        maxLength={2}
        onChange={(e) => set('country')(e.target.value.toUpperCase())}
        error={errorOf('country')}
      />
      {cards.isPending ? <Loading /> : null}
      {cards.error ? (
        <ErrorNotice error={cards.error} onRetry={() => void cards.refetch()} />
      ) : null}
      {cards.data?.length === 0 ? (
        <Empty>
          {t('onboarding.noCard')} <a href="/cards">{t('onboarding.addCard')}</a>
        </Empty>
      ) : null}
      {cards.data !== undefined && cards.data.length > 0 ? (
        <SelectField
          label={t('onboarding.card')}
          value={cardId}
          onChange={(e) => set('settlement_card_id')(e.target.value)}
          error={errorOf('settlement_card_id')}
        >
          {cards.data.map((card) => (
            <option key={card.id} value={card.id}>
              {card.brand.toUpperCase()} ·· {card.last4}
            </option>
          ))}
        </SelectField>
      ) : null}
      {generalError ? <ErrorNotice error={generalError} /> : null}
      <div className="form-actions">
        <Button type="submit" busy={create.isPending} disabled={cards.data?.length === 0}>
          {t('onboarding.submit')}
        </Button>
      </div>
    </form>
  );
}
