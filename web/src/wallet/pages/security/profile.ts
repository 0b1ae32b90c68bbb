/** The signed-in user with the fields the settings page changes, and the way it changes them. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../shared/api';
import { ME_QUERY_KEY, type Me } from '../../session';

export interface Profile extends Me {
  readonly contact_verified: boolean;
  readonly consents: { readonly marketing: boolean; readonly personalised_offers: boolean };
}

export interface ProfilePatch {
  readonly display_name?: string;
  readonly locale?: 'zh-CN' | 'en';
  readonly consents?: { readonly marketing?: boolean; readonly personalised_offers?: boolean };
}

/** PATCH /v1/me; the answer becomes the `me` query, so every page sees the change. */
export function useUpdateProfile() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (patch: ProfilePatch) => api<Profile>('/v1/me', { method: 'PATCH', body: patch }),
    onSuccess: (profile) => queryClient.setQueryData(ME_QUERY_KEY, profile),
  });
}
