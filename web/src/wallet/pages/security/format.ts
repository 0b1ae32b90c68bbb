/** Dates and times on the security and settings pages, in the UI language. */
import { useTranslation } from 'react-i18next';

export function useFormatTime(): (iso: string) => string {
  const { i18n } = useTranslation();
  const format = new Intl.DateTimeFormat(i18n.language, {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
  return (iso) => format.format(new Date(iso));
}

/** An API code ('password+totp', 'login.succeeded') as a translation key segment. */
export function keyOf(code: string): string {
  return code.replace(/[^a-z0-9]+/gi, '_');
}
