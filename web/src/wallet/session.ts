import { useQuery } from '@tanstack/react-query';
import { api } from '../shared/api';

/** The signed-in user as `GET /v1/me` returns it; pages read the fields they need. */
export interface Me {
  readonly id: string;
  readonly display_name: string | null;
  readonly phone: string | null;
  readonly email: string | null;
  readonly locale: string;
  readonly kyc_tier: number;
  readonly [field: string]: unknown;
}

export const ME_QUERY_KEY = ['me'] as const;

export function useMe() {
  return useQuery({
    queryKey: ME_QUERY_KEY,
    queryFn: () => api<Me>('/v1/me'),
    retry: false,
    staleTime: 60_000,
  });
}
