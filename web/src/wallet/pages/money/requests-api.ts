/** Money requests (`/v1/requests`): who asked whom for how much, and how far it got. */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api } from '../../../shared/api';
import type { MoneyWire } from '../../../shared/money';

export interface Share {
  readonly payer_id: string;
  readonly amount: MoneyWire;
  readonly status: 'pending' | 'paid' | 'declined';
  readonly transfer_id: string | null;
}

export interface MoneyRequest {
  readonly id: string;
  readonly requester_id: string;
  readonly role: 'requester' | 'payer';
  readonly amount: MoneyWire;
  readonly note: string | null;
  readonly status: 'open' | 'completed' | 'cancelled';
  readonly progress: {
    readonly shares: number;
    readonly paid: number;
    readonly declined: number;
    readonly pending: number;
    readonly paid_amount: MoneyWire;
  };
  readonly shares: readonly Share[];
  readonly created_at: string;
}

export type RequestRole = 'sent' | 'received';

const PAGE_SIZE = 20;

export function useRequestList(role: RequestRole) {
  return useInfiniteQuery({
    queryKey: ['requests', 'list', role],
    initialPageParam: '',
    queryFn: ({ pageParam }) =>
      api<{ data: MoneyRequest[]; has_more: boolean }>(
        `/v1/requests?role=${role}&limit=${PAGE_SIZE}${pageParam === '' ? '' : `&starting_after=${pageParam}`}`,
      ),
    getNextPageParam: (page) => (page.has_more ? page.data.at(-1)?.id : undefined),
  });
}

export const requestKey = (id: string) => ['requests', 'detail', id] as const;

export function useRequest(id: string) {
  return useQuery({
    queryKey: requestKey(id),
    queryFn: () => api<MoneyRequest>(`/v1/requests/${encodeURIComponent(id)}`),
  });
}
