import { describe, expect, it } from 'vitest';
import { resources } from './i18n';

function keysOf(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([key, inner]) =>
    keysOf(inner, prefix === '' ? key : `${prefix}.${key}`),
  );
}

describe('translations', () => {
  const all = resources() as Record<string, Record<string, unknown>>;
  const en = all.en ?? {};
  const zh = all['zh-CN'] ?? {};

  it('have the same namespaces in both languages', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
  });

  it.each(Object.keys(en))('namespace %s has the same keys in both languages', (namespace) => {
    expect(keysOf(zh[namespace]).sort()).toEqual(keysOf(en[namespace]).sort());
  });

  it('have no empty strings', () => {
    for (const language of [en, zh]) {
      for (const [namespace, content] of Object.entries(language)) {
        const walk = (value: unknown, path: string): void => {
          if (typeof value === 'string') expect(value, `${namespace}:${path}`).not.toBe('');
          else if (typeof value === 'object' && value !== null) {
            for (const [k, v] of Object.entries(value)) walk(v, path === '' ? k : `${path}.${k}`);
          }
        };
        walk(content, '');
      }
    }
  });
});
