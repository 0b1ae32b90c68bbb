import type { ButtonHTMLAttributes, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  readonly variant?: 'primary' | 'secondary' | 'danger' | 'ghost';
  readonly busy?: boolean;
  readonly block?: boolean;
  readonly children: ReactNode;
}

/** The one button. While `busy` it stays focusable but cannot be pressed twice. */
export function Button({
  variant = 'primary',
  busy = false,
  block = false,
  children,
  className,
  disabled,
  type = 'button',
  ...rest
}: ButtonProps) {
  const { t } = useTranslation();
  return (
    <button
      {...rest}
      type={type}
      className={['btn', `btn-${variant}`, block ? 'btn-block' : '', className ?? '']
        .filter(Boolean)
        .join(' ')}
      disabled={disabled === true || busy}
      aria-busy={busy || undefined}
    >
      {busy ? <span className="spinner" aria-hidden="true" /> : null}
      {busy ? <span className="visually-hidden">{t('common:loading')}</span> : null}
      {children}
    </button>
  );
}
