import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, NetworkError } from '../api';
import { Button } from './Button';

/** The message for any failure: the API's translated title, or our own words for the rest. */
export function useErrorMessage(): (error: unknown) => string {
  const { t } = useTranslation();
  return (error) => {
    if (error instanceof ApiError) return error.problem.title;
    if (error instanceof NetworkError) return t('common:errors.network');
    return t('common:errors.unexpected');
  };
}

export function Loading({ label }: { readonly label?: string }) {
  const { t } = useTranslation();
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label ?? t('common:loading')}</span>
    </div>
  );
}

export function Empty({ children }: { readonly children: ReactNode }) {
  return (
    <div className="state state-empty" role="status">
      {children}
    </div>
  );
}

/** An error as a sentence, with a retry when the caller can offer one. */
export function ErrorNotice({
  error,
  onRetry,
}: {
  readonly error: unknown;
  readonly onRetry?: () => void;
}) {
  const { t } = useTranslation();
  const message = useErrorMessage()(error);
  return (
    <div className="notice notice-error" role="alert">
      <p>{message}</p>
      {onRetry ? (
        <Button variant="secondary" onClick={onRetry}>
          {t('common:retry')}
        </Button>
      ) : null}
    </div>
  );
}
