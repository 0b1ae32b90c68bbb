/**
 * The user's events (`GET /v1/events`, the SSE stream) in words: one sentence per event, and the
 * screen it leads to. Shared by the notifications page and the live toasts.
 */
import type { QueryClient } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { api } from '../../../shared/api';
import { formatMoney } from '../../../shared/money';
import { moneyOfMinor } from './format';
import { fetchPerson, type Recipient } from './people';

export interface UserEvent {
  readonly id: string;
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly created_at: string;
}

/** Event types that tell the user something; `balance.changed` only refreshes balances. */
export const TOLD_TYPES = [
  'transfer.received',
  'transfer.sent',
  'transfer.held',
  'transfer.cancelled',
  'payment.succeeded',
  'payment.requires_confirmation',
  'payment.declined',
  'refund.received',
  'topup.succeeded',
  'topup.failed',
  'withdrawal.succeeded',
  'withdrawal.failed',
  'request.received',
  'request.paid',
  'request.declined',
  'security.alert',
] as const;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** The sentence for an event, with the other person's name when the caller knows it. */
export function describeEvent(
  t: TFunction,
  language: string,
  event: UserEvent,
  name?: string,
): string {
  const money = moneyOfMinor(event.data['amount_minor'], event.data['currency']);
  const amount = money === undefined ? '' : formatMoney(money);
  if (event.type === 'security.alert') {
    const device = text(event.data['device']);
    return event.data['kind'] === 'new_device' && device !== undefined
      ? t('notifications:event.security.newDevice', { device })
      : t('notifications:event.security.alert');
  }
  if (event.type === 'payment.requires_confirmation') {
    const field = language.startsWith('zh') ? 'merchant_name_zh' : 'merchant_name_en';
    const merchant = text(event.data[field]) ?? '';
    return t('notifications:event.payment.requires_confirmation', { amount, merchant });
  }
  const [group = '', what = ''] = event.type.split('.');
  const key = `notifications:event.${group}.${what}`;
  if (
    name !== undefined &&
    (event.type === 'transfer.received' || event.type.startsWith('request.'))
  ) {
    return t(`${key}From`, { amount, name });
  }
  return t(key, { amount, defaultValue: t('notifications:event.other') });
}

/** The screen an event is about, if it has one. */
export function eventLink(event: UserEvent): string | undefined {
  const data = event.data;
  const request = text(data['request_id']);
  if (request !== undefined) return `/requests/${request}`;
  const movement =
    text(data['transfer_id']) ?? text(data['topup_id']) ?? text(data['withdrawal_id']);
  if (movement !== undefined) return `/activity/${movement}`;
  if (event.type === 'security.alert') return '/security';
  return undefined;
}

/**
 * The other person of an event, for its sentence: the requester or payer of a request, the payer
 * of a transfer received (looked up through the transfer). Null when there is none to name.
 */
export async function eventPerson(
  client: QueryClient,
  event: UserEvent,
): Promise<Recipient | null> {
  const id = await personIdOf(client, event);
  return id === undefined ? null : fetchPerson(client, id);
}

async function personIdOf(client: QueryClient, event: UserEvent): Promise<string | undefined> {
  if (event.type === 'request.received') return text(event.data['requester_id']);
  if (event.type === 'request.paid' || event.type === 'request.declined') {
    return text(event.data['payer_id']);
  }
  const transfer = text(event.data['transfer_id']);
  if (event.type !== 'transfer.received' || transfer === undefined) return undefined;
  const found = await client.fetchQuery({
    queryKey: ['transfer', transfer],
    queryFn: () => api<{ payer_id: string }>(`/v1/transfers/${transfer}`),
    staleTime: Infinity,
  });
  return found.payer_id;
}
