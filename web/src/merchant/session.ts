import { useQuery } from '@tanstack/react-query';
import { createContext, useContext } from 'react';
import { api } from '../shared/api';
import type { Merchant } from './types';

/**
 * Who is signed in, which merchants they run, and which one the portal shows. The portal reaches
 * the merchant API through `/v1/portal/merchants/{id}` with the owner's session (never a key).
 */
export const ME_QUERY_KEY = ['me'] as const;
export const MERCHANTS_QUERY_KEY = ['merchants'] as const;

export function useMe() {
  return useQuery({
    queryKey: ME_QUERY_KEY,
    queryFn: () => api<{ id: string; display_name: string | null }>('/v1/me'),
    retry: false,
    staleTime: 60_000,
  });
}

export function useMerchants(enabled: boolean) {
  return useQuery({
    queryKey: MERCHANTS_QUERY_KEY,
    queryFn: () => api<{ data: Merchant[] }>('/v1/merchants').then((page) => page.data),
    enabled,
  });
}

const SELECTED_KEY = 'hebao.merchant';

export function savedMerchantId(): string | null {
  return localStorage.getItem(SELECTED_KEY);
}

export function saveMerchantId(id: string): void {
  localStorage.setItem(SELECTED_KEY, id);
}

export const MerchantContext = createContext<Merchant | null>(null);

/** The merchant the portal shows; only pages inside the signed-in layout call it. */
export function useMerchant(): Merchant {
  const merchant = useContext(MerchantContext);
  if (merchant === null) throw new Error('useMerchant outside a merchant');
  return merchant;
}

/** A path of the merchant API as the portal reaches it for `merchant`. */
export function portalPath(merchant: Merchant, path: string): string {
  return `/v1/portal/merchants/${merchant.id}${path}`;
}
