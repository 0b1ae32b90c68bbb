/** People on screen: an avatar (or the name's first letter), names, and the checks a payer sees. */
import { useTranslation } from 'react-i18next';
import { usePerson, type Recipient } from './people';

export function Avatar({
  person,
}: {
  readonly person: Pick<Recipient, 'display_name' | 'avatar_url'>;
}) {
  if (person.avatar_url !== null) {
    return <img className="money-avatar" src={person.avatar_url} alt="" width={40} height={40} />;
  }
  return (
    <span className="money-avatar" aria-hidden="true">
      {Array.from(person.display_name)[0] ?? '?'}
    </span>
  );
}

/** Avatar, display name, masked real name, verified and "paid before" badges. */
export function RecipientSummary({ recipient }: { readonly recipient: Recipient }) {
  const { t } = useTranslation('send');
  return (
    <span className="row money-recipient">
      <Avatar person={recipient} />
      <span className="money-recipient-text">
        <span className="money-recipient-name">{recipient.display_name}</span>
        {recipient.real_name === null ? null : (
          <span className="muted">{t('recipient.realName', { name: recipient.real_name })}</span>
        )}
        <span className="row money-badges">
          {recipient.verified ? (
            <span className="badge badge-ok">{t('recipient.verified')}</span>
          ) : (
            <span className="badge badge-warn">{t('recipient.unverified')}</span>
          )}
          {recipient.paid_before ? (
            <span className="badge">{t('recipient.paidBefore')}</span>
          ) : null}
        </span>
      </span>
    </span>
  );
}

/** A user's display name from their id; "you" for yourself, a placeholder while unknown. */
export function PersonName({ id, me }: { readonly id: string; readonly me?: string | undefined }) {
  const { t } = useTranslation('requests');
  const person = usePerson(id === me ? null : id);
  if (id === me) return <>{t('you')}</>;
  return <>{person.data?.display_name ?? t('someone')}</>;
}
