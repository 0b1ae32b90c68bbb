import i18next, { type Resource } from 'i18next';
import { initReactI18next } from 'react-i18next';
import { setApiLanguage } from './api';

/**
 * One i18n setup for both apps. Every namespace is a JSON file per language under
 * `src/locales/<language>/<namespace>.json`; `locales.test.ts` checks that both languages have
 * exactly the same keys. The language follows the browser until the user picks one.
 */
export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const STORAGE_KEY = 'hebao.language';

const files = import.meta.glob<Record<string, unknown>>('../locales/*/*.json', {
  eager: true,
  import: 'default',
});

export function resources(): Resource {
  const out: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const [path, content] of Object.entries(files)) {
    const match = /locales\/([^/]+)\/([^/]+)\.json$/.exec(path);
    if (match === null) continue;
    const [, language = '', namespace = ''] = match;
    (out[language] ??= {})[namespace] = content;
  }
  return out as Resource;
}

export function detectLanguage(): Language {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'zh-CN') return saved;
  for (const language of navigator.languages) {
    if (language.toLowerCase().startsWith('zh')) return 'zh-CN';
    if (language.toLowerCase().startsWith('en')) return 'en';
  }
  return 'zh-CN';
}

export async function initI18n(): Promise<typeof i18next> {
  const language = detectLanguage();
  await i18next.use(initReactI18next).init({
    resources: resources(),
    lng: language,
    fallbackLng: false,
    defaultNS: 'common',
    interpolation: { escapeValue: false },
    returnNull: false,
    // A key without a translation is a bug; the browser tests fail on this message.
    saveMissing: true,
    missingKeyHandler: (_languages, namespace, key) => {
      console.error(`missing translation: ${namespace}:${key}`);
    },
  });
  applyLanguage(language);
  return i18next;
}

export async function switchLanguage(language: Language): Promise<void> {
  localStorage.setItem(STORAGE_KEY, language);
  await i18next.changeLanguage(language);
  applyLanguage(language);
}

function applyLanguage(language: Language): void {
  document.documentElement.lang = language;
  setApiLanguage(language);
}
