/**
 * Other users as the payer sees them (`GET /v1/recipients`): found by phone, email or user id.
 * A user id resolves to one person, cached, so lists can put names to the ids the API returns.
 */
import { useQuery, type QueryClient } from '@tanstack/react-query';
import { api } from '../../../shared/api';

export interface Recipient {
  readonly id: string;
  readonly display_name: string;
  readonly avatar_url: string | null;
  readonly real_name: string | null;
  readonly verified: boolean;
  readonly paid_before: boolean;
}

export async function findRecipients(query: string, signal?: AbortSignal): Promise<Recipient[]> {
  const path = `/v1/recipients?query=${encodeURIComponent(query)}`;
  const found = await api<{ data: Recipient[] }>(path, signal === undefined ? {} : { signal });
  return found.data;
}

const personKey = (id: string) => ['person', id] as const;

async function personOf(id: string): Promise<Recipient | null> {
  return (await findRecipients(id))[0] ?? null;
}

/** One person by user id; null when they cannot be shown (yourself, or an unknown id). */
export function usePerson(id: string | null | undefined) {
  return useQuery({
    queryKey: personKey(id ?? ''),
    queryFn: () => personOf(id ?? ''),
    enabled: id !== null && id !== undefined && id !== '',
    staleTime: 5 * 60_000,
  });
}

export function fetchPerson(client: QueryClient, id: string): Promise<Recipient | null> {
  return client.fetchQuery({
    queryKey: personKey(id),
    queryFn: () => personOf(id),
    staleTime: 5 * 60_000,
  });
}
