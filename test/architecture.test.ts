/**
 * Dependencies point one way (ARCHITECTURE.md): `cli → http | workers → identity → (audit,
 * events) ` and `ledger → money`, with
 * `db`, `lib`, `limits` and `config` below them; a module imports another only through its
 * `index.ts`. This test reads every import in src/ and fails on any other edge.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

/** What each module may import. A top-level file (config.ts, limits.ts) is a module of its own. */
const allowed: Record<string, readonly string[]> = {
  lib: [],
  limits: [],
  config: [],
  money: ['lib', 'limits'],
  db: ['lib', 'limits'],
  ledger: ['money', 'db', 'lib', 'limits'],
  audit: ['db', 'lib', 'limits'],
  events: ['db', 'lib', 'limits'],
  identity: ['audit', 'events', 'money', 'db', 'lib', 'limits'],
  risk: [],
  gateway: ['money', 'lib', 'limits'],
  wallet: ['identity', 'events', 'risk', 'gateway', 'ledger', 'money', 'db', 'lib', 'limits'],
  merchants: [
    'audit',
    'wallet',
    'identity',
    'events',
    'risk',
    'gateway',
    'ledger',
    'money',
    'db',
    'lib',
    'limits',
  ],
  http: ['merchants', 'wallet', 'identity', 'events', 'money', 'db', 'lib', 'limits'],
  workers: ['lib', 'limits'],
  cli: [
    'config',
    'limits',
    'lib',
    'db',
    'money',
    'ledger',
    'audit',
    'events',
    'identity',
    'risk',
    'wallet',
    'merchants',
    'gateway',
    'http',
    'workers',
  ],
};

/** Leaf modules of plain helpers, imported file by file rather than through an index. */
const fileByFile = new Set(['lib', 'limits', 'config']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function moduleOf(path: string): string {
  const rel = relative(SRC, path);
  const first = rel.split('/')[0]!;
  return first.endsWith('.ts') ? first.replace(/\.ts$/, '') : first;
}

function imports(path: string): string[] {
  const source = readFileSync(path, 'utf8');
  return [
    ...source.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g),
    ...source.matchAll(/import\('([^']+)'\)/g),
  ]
    .map((m) => m[1]!)
    .filter((spec) => spec.startsWith('.'));
}

describe('module dependencies', () => {
  const sources = files(SRC).filter((f) => !f.endsWith('.test.ts'));

  it('knows every module', () => {
    expect(new Set(sources.map(moduleOf))).toEqual(new Set(Object.keys(allowed)));
  });

  it('point one way, through index.ts', () => {
    const problems: string[] = [];
    for (const file of sources) {
      const from = moduleOf(file);
      for (const spec of imports(file)) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        if (!target.startsWith(SRC)) continue; // bench/ is loaded by the CLI's bench command
        const to = moduleOf(target);
        if (to === from) continue;
        const where = `${relative(SRC, file)} imports ${spec}`;
        if (!allowed[from]!.includes(to))
          problems.push(`${where}: ${from} may not depend on ${to}`);
        if (!fileByFile.has(to) && !target.endsWith(`${to}/index.ts`))
          problems.push(`${where}: import ${to}/index.js instead`);
      }
    }
    expect(problems).toEqual([]);
  });
});
