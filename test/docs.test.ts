/**
 * Goal: the documentation says exactly what the code says. docs/errors.md lists every code of
 * each family once, with the status and retry hint of its code table, and nothing that is not in
 * the code; README.md lists every configuration variable with its default and every dependency.
 * Needs no database.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configVariables } from '../src/config.js';
import { webhookCodes } from '../src/events/index.js';
import { problemCodeCatalogue } from '../src/http/index.js';
import { identityCodes } from '../src/identity/index.js';
import { merchantCodes } from '../src/merchants/index.js';
import { walletCodes } from '../src/wallet/index.js';
import { accountResultCodes, transferResultCodes } from '../src/ledger/index.js';
import { moneyErrorCodes, type MoneyErrorCode } from '../src/money/index.js';

interface Expected {
  readonly status: number;
  readonly retry: boolean;
}

/**
 * The money module's codes have no status or messages of their own (the API answers them as 400
 * validation problems), so their expectations live here; a test below compares this list with
 * the module's exported `moneyErrorCodes`.
 */
const moneyCodes = {
  amount_invalid_format: true,
  amount_too_many_decimals: true,
  amount_too_large: true,
  currency_unknown: true,
} as const satisfies Record<MoneyErrorCode, true>;

/** Money parsing errors are surfaced as 400 validation problems; sending them again cannot help. */
const moneyExpected: Expected = { status: 400, retry: false };

const ERROR_COLUMNS = [
  'code',
  'HTTP status',
  'retry can help',
  'meaning (English)',
  '含义（中文）',
];
const CONFIG_COLUMNS = ['variable', 'default', 'what it does'];

interface Family {
  readonly heading: string;
  readonly codes: ReadonlyMap<string, Expected>;
}

const families: readonly Family[] = [
  {
    heading: 'HTTP layer problems',
    codes: expectations(problemCodeCatalogue(), (s) => ({ status: s.status, retry: s.retryable })),
  },
  {
    heading: 'Identity and security',
    codes: expectations(identityCodes, (s) => ({ status: s.status, retry: s.retryable })),
  },
  {
    heading: 'Wallet',
    codes: expectations(walletCodes, (s) => ({ status: s.status, retry: s.retryable })),
  },
  {
    heading: 'Merchants',
    codes: expectations(merchantCodes, (s) => ({ status: s.status, retry: s.retryable })),
  },
  {
    heading: 'Webhooks',
    codes: expectations(webhookCodes, (s) => ({ status: s.status, retry: s.retryable })),
  },
  {
    heading: 'Ledger transfer results',
    codes: expectations(transferResultCodes, (c) => ({ status: c.status, retry: c.transient })),
  },
  {
    heading: 'Ledger account results',
    codes: expectations(accountResultCodes, (c) => ({ status: c.status, retry: c.transient })),
  },
  {
    heading: 'Money parsing',
    codes: expectations(moneyCodes, () => moneyExpected),
  },
];

function expectations<T>(
  table: Readonly<Record<string, T>>,
  pick: (entry: T) => Expected,
): ReadonlyMap<string, Expected> {
  return new Map(Object.entries(table).map(([code, entry]) => [code, pick(entry)]));
}

function readRepoFile(path: string): string {
  return readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
}

/** The lines under each `## ` heading, by heading text. Fenced code blocks are skipped. */
function sections(markdown: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  let current: string[] | undefined;
  let fenced = false;
  for (const line of markdown.split(/\r?\n/)) {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced) continue;
    const heading = /^## (.+)$/.exec(line);
    if (heading) {
      const name = heading[1]!.trim();
      if (result.has(name)) throw new Error(`two sections are called "${name}"`);
      current = [];
      result.set(name, current);
    } else {
      current?.push(line);
    }
  }
  return result;
}

function section(markdown: string, heading: string, file: string): string[] {
  const lines = sections(markdown).get(heading);
  if (lines === undefined) throw new Error(`${file} has no section "## ${heading}"`);
  return lines;
}

interface Table {
  readonly header: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
}

function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim());
}

/** The only table of a section: a header row, a separator row, then the data rows. */
function onlyTable(lines: readonly string[], where: string): Table {
  const tables: string[][] = [];
  let previousWasRow = false;
  for (const line of lines) {
    const isRow = line.trim().startsWith('|');
    if (isRow && !previousWasRow) tables.push([]);
    if (isRow) tables.at(-1)!.push(line);
    previousWasRow = isRow;
  }
  if (tables.length !== 1) {
    throw new Error(`${where} must hold exactly one table, not ${tables.length}`);
  }
  const [header, separator, ...rows] = tables[0]!;
  if (header === undefined || separator === undefined || !/^[\s|:-]+$/.test(separator)) {
    throw new Error(`${where}: the table needs a header row and a separator row`);
  }
  return { header: cells(header), rows: rows.map(cells) };
}

function backticked(cell: string, pattern: RegExp): string | undefined {
  const match = /^`([^`]+)`$/.exec(cell);
  return match && pattern.test(match[1]!) ? match[1] : undefined;
}

function duplicates(values: readonly string[]): string[] {
  return values.filter((value, index) => values.indexOf(value) !== index);
}

function minus(
  a: Iterable<string>,
  b: ReadonlySet<string> | ReadonlyMap<string, unknown>,
): string[] {
  return [...a].filter((value) => !b.has(value)).sort();
}

interface DocumentedCode {
  readonly code: string;
  readonly status: number;
  readonly retry: boolean;
}

function documentedCodes(markdown: string, heading: string): DocumentedCode[] {
  const where = `docs/errors.md, section "${heading}"`;
  const table = onlyTable(section(markdown, heading, 'docs/errors.md'), where);
  expect(table.header, `${where}: columns`).toEqual(ERROR_COLUMNS);
  return table.rows.map((row) => {
    const text = row.join(' | ');
    expect(row, `${where}: row "${text}" must have ${ERROR_COLUMNS.length} cells`).toHaveLength(
      ERROR_COLUMNS.length,
    );
    const [codeCell = '', statusCell = '', retryCell = '', en = '', zh = ''] = row;
    const code = backticked(codeCell, /^[a-z][a-z0-9_]*$/);
    expect(
      code,
      `${where}: the first cell of "${text}" must be one code in backticks`,
    ).toBeDefined();
    expect(statusCell, `${where}: status of ${codeCell}`).toMatch(/^[1-5][0-9]{2}$/);
    expect(retryCell, `${where}: retry column of ${codeCell}`).toMatch(/^(yes|no)$/);
    expect(en, `${where}: English meaning of ${codeCell}`).not.toBe('');
    expect(zh, `${where}: Chinese meaning of ${codeCell}`).not.toBe('');
    return { code: code!, status: Number(statusCell), retry: retryCell === 'yes' };
  });
}

describe('docs/errors.md', () => {
  const markdown = readRepoFile('docs/errors.md');

  it('knows every money code the money module declares', () => {
    expect(new Set<string>(moneyErrorCodes)).toEqual(new Set(Object.keys(moneyCodes)));
  });

  describe.each(families)('$heading', ({ heading, codes }) => {
    it('documents every code of the code table once, and no other code', () => {
      const documented = documentedCodes(markdown, heading).map((d) => d.code);
      expect(duplicates(documented), 'documented more than once').toEqual([]);
      expect(minus(codes.keys(), new Set(documented)), 'in the code but not documented').toEqual(
        [],
      );
      expect(minus(documented, codes), 'documented but not in the code').toEqual([]);
    });

    it('gives each code the HTTP status and retry hint of the code table', () => {
      for (const doc of documentedCodes(markdown, heading)) {
        const expected = codes.get(doc.code);
        if (expected === undefined) continue; // reported by the test above
        expect({ status: doc.status, retry: doc.retry }, `${heading}: ${doc.code}`).toEqual(
          expected,
        );
      }
    });
  });

  it('names the problem type URL of the API', () => {
    expect(markdown).toContain('`https://hebao.dev/errors/<code>`');
  });
});

describe('README.md', () => {
  const markdown = readRepoFile('README.md');

  it('lists every configuration variable with its default, and no other', () => {
    const where = 'README.md, section "Configuration"';
    const table = onlyTable(section(markdown, 'Configuration', 'README.md'), where);
    expect(table.header, `${where}: columns`).toEqual(CONFIG_COLUMNS);
    const documented = table.rows.map((row) => {
      const [nameCell = '', defaultCell = '', what = ''] = row;
      const name = backticked(nameCell, /^[A-Z][A-Z0-9_]*$/);
      expect(name, `${where}: "${nameCell}" must be one variable name in backticks`).toBeDefined();
      expect(what, `${where}: what ${nameCell} does`).not.toBe('');
      return [name!, defaultCell.replace(/^`(.*)`$/, '$1')] as const;
    });
    const names = documented.map(([name]) => name);
    expect(duplicates(names), 'documented more than once').toEqual([]);
    expect(new Map(documented)).toEqual(new Map(configVariables.map((v) => [v.name, v.default])));
  });

  it('says why for every dependency in package.json, and names no other', () => {
    const pkg = JSON.parse(readRepoFile('package.json')) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    const declared = [
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.devDependencies ?? {}),
    ];
    const listed = section(markdown, 'Dependencies', 'README.md').flatMap((line) => {
      const item = /^\s*- `([^`]+)`\s*(?:—|-|:)\s*\S/.exec(line);
      return item ? [item[1]!] : [];
    });
    expect(duplicates(listed), 'listed more than once').toEqual([]);
    expect(minus(declared, new Set(listed)), 'in package.json but not in the README').toEqual([]);
    expect(minus(listed, new Set(declared)), 'in the README but not in package.json').toEqual([]);
  });
});
