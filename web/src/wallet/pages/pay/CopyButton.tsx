import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../../shared/ui';

/** Copies an id to the clipboard; its name says what it copies ("Copy Payment ID"). */
export function CopyButton({ text, label }: { readonly text: string; readonly label: string }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return undefined;
    const timer = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(timer);
  }, [copied]);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      // The clipboard was refused: the id stays on screen to be selected by hand.
    }
  };
  return (
    <>
      <Button
        variant="ghost"
        aria-label={`${t('common:copy')} ${label}`}
        onClick={() => void copy()}
      >
        {copied ? t('common:copied') : t('common:copy')}
      </Button>
      <span className="visually-hidden" role="status">
        {copied ? t('common:copied') : ''}
      </span>
    </>
  );
}
