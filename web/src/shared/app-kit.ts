import { QueryClient } from '@tanstack/react-query';
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import { ApiError } from './api';

/** A screen loaded on first visit: each page is its own chunk, kept out of the first load. */
export function lazyPage(
  load: () => Promise<{ default: ComponentType }>,
): LazyExoticComponent<ComponentType> {
  return lazy(load);
}

/**
 * The query client of both apps. Money on screen must never look fresher than it is: refetch on
 * focus, and retry only failures that a retry can fix (no 4xx).
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        refetchOnWindowFocus: true,
        retry: (count, error) => count < 2 && !(error instanceof ApiError && error.status < 500),
      },
    },
  });
}
