/**
 * "Me" (/settings): the profile, real-name tier and limits left, language, elder mode, consents,
 * links to the other account pages, and signing out.
 */
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, ApiError, fieldError } from '../../shared/api';
import { isElderMode, setElderMode } from '../../shared/elder';
import { Button, ErrorNotice, LanguageSwitch, Loading, Page, TextField } from '../../shared/ui';
import { useMe } from '../session';
import { unlessField } from './auth/formError';
import { useUpdateProfile, type Profile } from './security/profile';
import { RealNameSection } from './security/RealName';
import './security/security.css';

export default function Settings() {
  const { t } = useTranslation('settings');
  const me = useMe();
  const profile = me.data as Profile | undefined;
  return (
    <Page title={t('title')}>
      {me.isPending ? <Loading /> : null}
      {me.error === null ? null : (
        <ErrorNotice error={me.error} onRetry={() => void me.refetch()} />
      )}
      {profile === undefined ? null : (
        <>
          <ProfileSection profile={profile} />
          <RealNameSection />
          <PreferencesSection profile={profile} />
          <ConsentsSection profile={profile} />
        </>
      )}
      <LinksSection />
      <SignOut />
    </Page>
  );
}

function ProfileSection({ profile }: { readonly profile: Profile }) {
  const { t } = useTranslation('settings');
  const [name, setName] = useState(profile.display_name ?? '');
  const [missing, setMissing] = useState(false);
  const update = useUpdateProfile();
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setMissing(name.trim() === '');
    if (name.trim() !== '') update.mutate({ display_name: name.trim() });
  };
  const formProblem = unlessField(update.error, ['display_name']);
  return (
    <section className="card" aria-labelledby="profile-title">
      <h2 id="profile-title">{t('profile.title')}</h2>
      <p className="muted">{profile.phone ?? profile.email}</p>
      <form onSubmit={submit} noValidate>
        <TextField
          label={t('profile.name')}
          autoComplete="nickname"
          value={name}
          error={missing ? t('profile.nameRequired') : fieldError(update.error, 'display_name')}
          onChange={(event) => {
            setName(event.target.value);
            update.reset();
          }}
        />
        {formProblem === undefined ? null : <ErrorNotice error={formProblem} />}
        <div className="row">
          <Button type="submit" variant="secondary" busy={update.isPending}>
            {t('profile.save')}
          </Button>
          {update.isSuccess ? (
            <span className="muted" role="status">
              {t('common:saved')}
            </span>
          ) : null}
        </div>
      </form>
    </section>
  );
}

/** Language and elder mode. The language is saved to the account too, for messages it sends. */
function PreferencesSection({ profile }: { readonly profile: Profile }) {
  const { t, i18n } = useTranslation('settings');
  const [elder, setElder] = useState(isElderMode);
  const update = useUpdateProfile();
  const { mutate } = update;
  useEffect(() => {
    const saveLocale = (language: string): void => {
      if ((language === 'en' || language === 'zh-CN') && language !== profile.locale) {
        mutate({ locale: language });
      }
    };
    i18n.on('languageChanged', saveLocale);
    return () => i18n.off('languageChanged', saveLocale);
  }, [i18n, mutate, profile.locale]);
  return (
    <section className="card" aria-labelledby="preferences-title">
      <h2 id="preferences-title">{t('preferences.title')}</h2>
      <div className="toggle">
        <span aria-hidden="true">{t('common:language')}</span>
        <LanguageSwitch />
      </div>
      {update.error === null ? null : <ErrorNotice error={update.error} />}
      <label className="toggle">
        <span>
          {t('preferences.elder')}
          <span className="muted"> · {t('preferences.elderHint')}</span>
        </span>
        <input
          type="checkbox"
          checked={elder}
          onChange={(event) => {
            setElderMode(event.target.checked);
            setElder(event.target.checked);
          }}
        />
      </label>
    </section>
  );
}

function ConsentsSection({ profile }: { readonly profile: Profile }) {
  const { t } = useTranslation('settings');
  const update = useUpdateProfile();
  const toggle = (consent: 'marketing' | 'personalised_offers', on: boolean): void =>
    update.mutate({ consents: { [consent]: on } });
  return (
    <section className="card" aria-labelledby="consents-title">
      <h2 id="consents-title">{t('consents.title')}</h2>
      <p className="muted">{t('consents.intro')}</p>
      <label className="toggle">
        <span>{t('consents.marketing')}</span>
        <input
          type="checkbox"
          checked={profile.consents.marketing}
          disabled={update.isPending}
          onChange={(event) => toggle('marketing', event.target.checked)}
        />
      </label>
      <label className="toggle">
        <span>{t('consents.personalisedOffers')}</span>
        <input
          type="checkbox"
          checked={profile.consents.personalised_offers}
          disabled={update.isPending}
          onChange={(event) => toggle('personalised_offers', event.target.checked)}
        />
      </label>
      {update.error === null ? null : <ErrorNotice error={update.error} />}
    </section>
  );
}

function LinksSection() {
  const { t } = useTranslation('settings');
  const chevron = <span aria-hidden="true">›</span>;
  return (
    <nav className="card" aria-label={t('links.title')}>
      <ul className="security-links">
        <li>
          <Link to="/security">
            {t('links.security')} {chevron}
          </Link>
        </li>
        <li>
          <Link to="/cards">
            {t('links.cards')} {chevron}
          </Link>
        </li>
        <li>
          <Link to="/insights">
            {t('links.insights')} {chevron}
          </Link>
        </li>
        <li>
          <a href="/merchant/">
            {t('links.merchant')} {chevron}
          </a>
        </li>
      </ul>
    </nav>
  );
}

/** Ends the session, then reloads on the sign-in page so nothing of this user stays in memory. */
function SignOut() {
  const { t } = useTranslation('settings');
  const signOut = useMutation({
    mutationFn: async () => {
      try {
        await api('/v1/auth/logout', { method: 'POST' });
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 401)) throw error;
      }
    },
    onSuccess: () => window.location.assign('/signin'),
  });
  return (
    <div className="form-actions">
      {signOut.error === null ? null : <ErrorNotice error={signOut.error} />}
      <Button variant="danger" block busy={signOut.isPending} onClick={() => signOut.mutate()}>
        {t('common:signOut')}
      </Button>
    </div>
  );
}
