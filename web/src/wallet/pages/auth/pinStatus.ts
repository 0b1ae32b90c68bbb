/** Whether the payment PIN is set or locked (`GET /v1/me/payment-pin`), for the PIN and security pages. */
import { useQuery } from '@tanstack/react-query';
import { api } from '../../../shared/api';

export interface PinStatus {
  readonly set: boolean;
  readonly locked_until: string | null;
  readonly tries_left: number;
}

export const PIN_STATUS_KEY = ['payment-pin'] as const;

export function usePinStatus() {
  return useQuery({
    queryKey: PIN_STATUS_KEY,
    queryFn: () => api<PinStatus>('/v1/me/payment-pin'),
  });
}
