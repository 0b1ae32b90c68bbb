/** The user's wallets (`GET /v1/wallets`) and history rows (`GET /v1/transactions`). */
import { useQuery } from '@tanstack/react-query';
import { api } from '../../../shared/api';
import type { MoneyWire } from '../../../shared/money';
import type { HistoryEntry } from '../history/types';

export interface Wallet {
  readonly currency: string;
  readonly available: MoneyWire;
  readonly pending: MoneyWire;
  readonly total: MoneyWire;
}

export const WALLETS_KEY = ['wallets'] as const;

export function useWallets() {
  return useQuery({
    queryKey: WALLETS_KEY,
    queryFn: () => api<{ data: Wallet[] }>('/v1/wallets').then((page) => page.data),
  });
}

/** The currencies the user can pay in: those of their wallets, CNY when they have none yet. */
export function walletCurrencies(wallets: readonly Wallet[] | undefined): string[] {
  const codes = (wallets ?? []).map((w) => w.currency);
  return codes.length === 0 ? ['CNY'] : codes;
}

export type { HistoryEntry };

export function useRecentActivity(limit: number) {
  return useQuery({
    queryKey: ['transactions', { limit }],
    queryFn: () =>
      api<{ data: HistoryEntry[] }>(`/v1/transactions?limit=${limit}`).then((page) => page.data),
  });
}

/** A history amount with its direction: money out is shown with a minus. */
export function signedAmount(entry: HistoryEntry): MoneyWire {
  return entry.direction === 'outgoing'
    ? { amount: `-${entry.amount.amount}`, currency: entry.amount.currency }
    : entry.amount;
}
