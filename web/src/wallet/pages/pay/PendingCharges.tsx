import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatAmount, isCurrencyCode } from '../../../../../src/money/index';
import { api } from '../../../shared/api';
import { Button, ErrorNotice, MoneyText, Sheet } from '../../../shared/ui';
import { PayConfirm } from './PayConfirm';
import type { Scanned } from './types';

/**
 * Charges by payment code above the allowance wait for the payer: the API tells the payer with
 * a `payment.requires_confirmation` event, and the payer pays the charge's intent like any
 * other (`POST /v1/payment-intents/{id}/confirm`, with step-up), or declines it
 * (`POST /v1/charges/{id}/decline`: the charge fails and the merchant is told at once). A charge
 * is pending while it has not expired and no later event of its intent has come (paid, or
 * `payment.declined` from any of the payer's devices).
 */
interface UserEvent {
  readonly id: string;
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface PendingCharge {
  readonly chargeId: string;
  readonly scanned: Scanned;
}

const CONFIRMATION_EVENT = 'payment.requires_confirmation';
const POLL_MS = 5_000;

function text(data: Readonly<Record<string, unknown>>, key: string): string {
  const value = data[key];
  return typeof value === 'string' ? value : '';
}

/** The charges still waiting, oldest first, from the newest page of the user's events. */
export function pendingCharges(events: readonly UserEvent[], nowMs: number): PendingCharge[] {
  const settled = new Set(
    events
      .filter((event) => event.type !== CONFIRMATION_EVENT)
      .map((event) => text(event.data, 'payment_intent_id'))
      .filter((id) => id !== ''),
  );
  return events
    .filter((event) => event.type === CONFIRMATION_EVENT)
    .map((event) => chargeOf(event.data))
    .filter((charge): charge is PendingCharge => charge !== undefined)
    .filter((charge) => !settled.has(charge.scanned.payment_intent ?? ''))
    .filter((charge) => Date.parse(charge.scanned.expires_at ?? '') > nowMs)
    .reverse();
}

function chargeOf(data: Readonly<Record<string, unknown>>): PendingCharge | undefined {
  const currency = text(data, 'currency');
  const minor = text(data, 'amount_minor');
  if (!isCurrencyCode(currency) || !/^[0-9]+$/.test(minor)) return undefined;
  return {
    chargeId: text(data, 'charge_id'),
    scanned: {
      kind: 'payment_intent',
      merchant: {
        id: text(data, 'merchant_id'),
        name_zh: text(data, 'merchant_name_zh'),
        name_en: text(data, 'merchant_name_en'),
        city: '',
      },
      person: null,
      payment_intent: text(data, 'payment_intent_id'),
      amount: { amount: formatAmount(BigInt(minor), currency), currency },
      currency,
      description: null,
      expires_at: text(data, 'expires_at'),
      conversion_needed: false,
    },
  };
}

/** Declines a waiting charge; the API answers `charge_not_pending` once it is settled. */
export async function declineCharge(chargeId: string): Promise<void> {
  await api(`/v1/charges/${encodeURIComponent(chargeId)}/decline`, { method: 'POST' });
}

export function PendingChargesSection() {
  const { t, i18n } = useTranslation('paycode');
  const [confirming, setConfirming] = useState<PendingCharge | null>(null);
  const [paid, setPaid] = useState(false);
  const events = useQuery({
    queryKey: ['paycode-events'],
    queryFn: () => api<{ data: UserEvent[] }>('/v1/events?limit=50'),
    refetchInterval: POLL_MS,
  });
  const time = (iso: string | null): string =>
    new Intl.DateTimeFormat(i18n.language, { timeStyle: 'short' }).format(new Date(iso ?? 0));

  const decline = useMutation({
    mutationFn: declineCharge,
    onSettled: () => void events.refetch(),
  });
  const close = (): void => {
    setConfirming(null);
    setPaid(false);
    void events.refetch();
  };

  if (events.isError)
    return <ErrorNotice error={events.error} onRetry={() => void events.refetch()} />;
  const waiting = events.data === undefined ? [] : pendingCharges(events.data.data, Date.now());
  if (waiting.length === 0 && !decline.isSuccess) return null;
  return (
    <section className="card" aria-labelledby="paycode-pending">
      <h2 id="paycode-pending">{t('pending.heading')}</h2>
      <p className="muted">{t('pending.intro')}</p>
      {waiting.length === 0 ? <p>{t('pending.none')}</p> : null}
      {decline.isError ? <ErrorNotice error={decline.error} /> : null}
      {decline.isSuccess ? (
        <p className="notice notice-ok" role="status">
          {t('pending.declined')}
        </p>
      ) : null}
      <ul className="list">
        {waiting.map((charge) => (
          <li key={charge.chargeId}>
            <div className="row-between">
              <strong>{merchantName(charge, i18n.language)}</strong>
              {charge.scanned.amount === null ? null : <MoneyText value={charge.scanned.amount} />}
            </div>
            <p className="muted">
              {t('pending.expires', { time: time(charge.scanned.expires_at) })}
            </p>
            <div className="form-actions">
              <Button onClick={() => setConfirming(charge)}>{t('pending.confirm')}</Button>
              <Button
                variant="secondary"
                busy={decline.isPending && decline.variables === charge.chargeId}
                disabled={decline.isPending}
                onClick={() => decline.mutate(charge.chargeId)}
              >
                {t('pending.decline')}
              </Button>
            </div>
          </li>
        ))}
      </ul>
      <Sheet
        open={confirming !== null}
        title={paid ? t('scan:result.title') : t('scan:confirm.title')}
        onClose={close}
      >
        {confirming === null ? null : (
          <PayConfirm scanned={confirming.scanned} onPaid={() => setPaid(true)} onDone={close} />
        )}
      </Sheet>
    </section>
  );
}

function merchantName(charge: PendingCharge, language: string): string {
  const merchant = charge.scanned.merchant;
  if (merchant === null) return '';
  return language.startsWith('zh') ? merchant.name_zh : merchant.name_en;
}
