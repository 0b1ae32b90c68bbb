/**
 * Bound cards (`GET /v1/cards`), the Luhn check done before a number is sent, and the status of
 * a top-up or withdrawal, asked again until the bank has answered.
 */
import { useQuery } from '@tanstack/react-query';
import { api } from '../../../shared/api';
import type { MoneyWire } from '../../../shared/money';

export interface Card {
  readonly id: string;
  readonly brand: 'visa' | 'mastercard' | 'unionpay' | 'amex' | 'jcb';
  readonly last4: string;
  readonly exp_month: number;
  readonly exp_year: number;
  readonly created_at: string;
}

export const CARDS_KEY = ['cards'] as const;

export function useCards() {
  return useQuery({
    queryKey: CARDS_KEY,
    queryFn: () => api<{ data: Card[] }>('/v1/cards').then((page) => page.data),
  });
}

/** The card's digits with spaces and hyphens taken out, or undefined if anything else is there. */
export function cardDigits(input: string): string | undefined {
  const digits = input.replace(/[\s-]/g, '');
  return /^\d{12,19}$/.test(digits) ? digits : undefined;
}

/** The Luhn check digit test that every card number passes. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** `MM/YY` or `MM/YYYY` → month and four-digit year. */
export function parseExpiry(input: string): { month: number; year: number } | undefined {
  const match = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(input);
  if (match === null) return undefined;
  const month = Number.parseInt(match[1] ?? '', 10);
  const yearText = match[2] ?? '';
  const year = Number.parseInt(yearText.length === 2 ? `20${yearText}` : yearText, 10);
  return month >= 1 && month <= 12 ? { month, year } : undefined;
}

export interface Movement {
  readonly id: string;
  readonly card_id: string;
  readonly amount: MoneyWire;
  readonly status: 'pending' | 'succeeded' | 'failed';
  readonly failure_code: string | null;
  readonly created_at: string;
  readonly completed_at: string | null;
}

/** A top-up or withdrawal, polled every second while it is pending. */
export function useMovement(kind: 'topups' | 'withdrawals', initial: Movement | null) {
  return useQuery({
    queryKey: [kind, initial?.id ?? ''],
    queryFn: () => api<Movement>(`/v1/${kind}/${initial?.id ?? ''}`),
    enabled: initial !== null,
    ...(initial === null ? {} : { initialData: initial }),
    refetchInterval: (query) => (query.state.data?.status === 'pending' ? 1000 : false),
  });
}
