/**
 * The UI's own strings, read from `web/src/locales/<language>/<namespace>.json`, so the tests find
 * controls by the words a user sees without repeating them (a reworded label does not break a
 * test; a removed key does, loudly).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type Language = 'en' | 'zh-CN';

type Tree = { readonly [key: string]: string | Tree };

const LOCALES = fileURLToPath(new URL('../src/locales/', import.meta.url));

function namespaceOf(language: Language, namespace: string): Tree {
  const file = `${LOCALES}${language}/${namespace}.json`;
  if (!existsSync(file)) throw new Error(`no locale file ${language}/${namespace}.json`);
  return JSON.parse(readFileSync(file, 'utf8')) as Tree;
}

function lookup(tree: Tree, path: readonly string[]): string | undefined {
  let node: string | Tree | undefined = tree;
  for (const part of path) {
    if (node === undefined || typeof node === 'string') return undefined;
    node = node[part];
  }
  return typeof node === 'string' ? node : undefined;
}

/**
 * The text of `ns:key.path` in `language`, with `{{name}}` filled from `values`; a plural key
 * (`key_one`, `key_other`) is found by its base name.
 */
export function text(
  id: string,
  values: Readonly<Record<string, string | number>> = {},
  language: Language = 'en',
): string {
  const [namespace, key] = id.includes(':') ? id.split(':', 2) : ['common', id];
  const tree = namespaceOf(language, namespace ?? 'common');
  const path = (key ?? '').split('.');
  const last = path.length - 1;
  const count = values.count;
  const found =
    lookup(tree, path) ??
    (count === 1 ? lookup(tree, [...path.slice(0, last), `${path[last]}_one`]) : undefined) ??
    lookup(tree, [...path.slice(0, last), `${path[last]}_other`]);
  if (found === undefined) throw new Error(`no ${language} text for ${id}`);
  return found.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

/**
 * A pattern matching `ns:key` however its placeholders are filled (for text around data the test
 * does not know, such as "Paid 12.00 to {{name}}"); for a plural key, any of its forms.
 */
export function pattern(id: string, language: Language = 'en'): RegExp {
  const forms = new Set([text(id, {}, language), text(id, { count: 1 }, language)]);
  const sources = [...forms].map((template) =>
    template
      .split(/\{\{\s*\w+\s*\}\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.+?'),
  );
  return new RegExp(sources.join('|'));
}

/** Every string of every namespace of `language`. */
export function allTexts(language: Language): string[] {
  const out: string[] = [];
  const walk = (tree: Tree): void => {
    for (const value of Object.values(tree)) {
      if (typeof value === 'string') out.push(value);
      else walk(value);
    }
  };
  for (const file of readdirSync(`${LOCALES}${language}`)) {
    if (file.endsWith('.json')) walk(namespaceOf(language, file.replace(/\.json$/, '')));
  }
  return out;
}
