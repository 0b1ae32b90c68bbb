import { cleanup } from '@testing-library/react';
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { afterEach } from 'vitest';
import { resources } from './shared/i18n';

// Components render with the real translations, in English, as the tests read them.
await i18next.use(initReactI18next).init({
  resources: resources(),
  lng: 'en',
  fallbackLng: false,
  defaultNS: 'common',
  interpolation: { escapeValue: false },
});

afterEach(() => {
  cleanup();
});
