/**
 * Finding who to pay: a phone number, email or user id, looked up as the user stops typing. The
 * API finds at most one person per query, and only people who can be paid.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Loading, TextField, useErrorMessage } from '../../../shared/ui';
import { RecipientSummary } from './Person';
import { findRecipients, type Recipient } from './people';

const DEBOUNCE_MS = 300;
const QUERY_LENGTH_MIN = 3;

function useDebounced(value: string): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [value]);
  return settled;
}

export function RecipientSearch({
  label,
  onSelect,
  exclude = [],
}: {
  readonly label: string;
  readonly onSelect: (recipient: Recipient) => void;
  readonly exclude?: readonly string[];
}) {
  const { t } = useTranslation('send');
  const message = useErrorMessage();
  const [text, setText] = useState('');
  const query = useDebounced(text.trim());
  const ready = query.length >= QUERY_LENGTH_MIN;
  const found = useQuery({
    queryKey: ['recipients', query],
    queryFn: ({ signal }) => findRecipients(query, signal),
    enabled: ready,
    staleTime: 30_000,
  });
  const results = (found.data ?? []).filter((r) => !exclude.includes(r.id));
  return (
    <div className="money-search">
      <TextField
        label={label}
        type="search"
        value={text}
        autoComplete="off"
        hint={t('search.hint')}
        onChange={(event) => setText(event.target.value)}
        error={found.error === null ? undefined : message(found.error)}
      />
      {!ready ? null : found.isPending ? (
        <Loading label={t('search.searching')} />
      ) : found.data === undefined ? null : results.length === 0 ? (
        <p className="muted" role="status">
          {t('search.none')}
        </p>
      ) : (
        <ul className="list" aria-label={t('search.results')}>
          {results.map((recipient) => (
            <li key={recipient.id}>
              <button
                type="button"
                className="money-pick"
                onClick={() => {
                  setText('');
                  onSelect(recipient);
                }}
              >
                <RecipientSummary recipient={recipient} />
                <span className="visually-hidden">{t('search.choose')}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
