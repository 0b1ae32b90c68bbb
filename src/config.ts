/**
 * Configuration comes from environment variables only, validated once at start. A bad value
 * stops the process with a message naming the variable and what it allows; nothing reads
 * `process.env` anywhere else.
 */
export interface Config {
  readonly env: 'development' | 'production';
  readonly host: string;
  readonly port: number;
  /** Unset: an embedded PostgreSQL is started under `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** PKCS#8 PEM or base64 Ed25519 seed used to sign seal blocks; unset: blocks are unsigned. */
  readonly sealSigningKey: string | undefined;
  readonly sealIntervalMs: number;
  readonly expiryIntervalMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

export interface ConfigVariable {
  readonly name: string;
  readonly default: string;
  readonly description: string;
}

/** How `configVariables` writes "no default". */
const UNSET = '(unset)';

/** The documented variables; the README's table is checked against this list by a test. */
export const configVariables: readonly ConfigVariable[] = [
  { name: 'HEBAO_ENV', default: 'development', description: '`development` or `production`.' },
  { name: 'HOST', default: '127.0.0.1', description: 'Address the API server listens on.' },
  { name: 'PORT', default: '3000', description: 'Port the API server listens on (1–65535).' },
  {
    name: 'DATABASE_URL',
    default: UNSET,
    description:
      'PostgreSQL 15+ connection string. Unset: an embedded PostgreSQL is started with its data under `HEBAO_DATA_DIR`.',
  },
  {
    name: 'HEBAO_DATA_DIR',
    default: './.hebao',
    description: 'Where the embedded PostgreSQL keeps its data.',
  },
  {
    name: 'LOG_LEVEL',
    default: 'info',
    description: 'fatal, error, warn, info, debug, trace or silent.',
  },
  {
    name: 'HEBAO_SEAL_SIGNING_KEY',
    default: UNSET,
    description:
      'Ed25519 private key (PKCS#8 PEM, or a base64 32-byte seed) that signs journal seal blocks. Unset: blocks are hash-chained but unsigned.',
  },
  {
    name: 'HEBAO_SEAL_INTERVAL_MS',
    default: '1000',
    description: 'How often the sealer puts new transfers into blocks (100–3600000).',
  },
  {
    name: 'HEBAO_EXPIRY_INTERVAL_MS',
    default: '1000',
    description: 'How often expired holds are voided (100–3600000).',
  },
];

export function loadConfig(env: Env = process.env): Config {
  return {
    env: oneOf(env, 'HEBAO_ENV', ['development', 'production'] as const),
    host: text(env, 'HOST'),
    port: integer(env, 'PORT', 1, 65535),
    databaseUrl: databaseUrl(env),
    dataDir: text(env, 'HEBAO_DATA_DIR'),
    logLevel: oneOf(env, 'LOG_LEVEL', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ] as const),
    sealSigningKey: value(env, 'HEBAO_SEAL_SIGNING_KEY'),
    sealIntervalMs: integer(env, 'HEBAO_SEAL_INTERVAL_MS', 100, 3_600_000),
    expiryIntervalMs: integer(env, 'HEBAO_EXPIRY_INTERVAL_MS', 100, 3_600_000),
  };
}

/**
 * The variable's value, or its documented default: the table above is the only place defaults
 * are written, so the README (checked against the table) cannot drift from the code.
 */
function value(env: Env, name: string): string | undefined {
  const given = env[name];
  if (given !== undefined && given.trim() !== '') return given;
  const documented = configVariables.find((v) => v.name === name);
  if (!documented) throw new Error(`configuration variable ${name} is not documented`);
  return documented.default === UNSET ? undefined : documented.default;
}

function text(env: Env, name: string): string {
  const result = value(env, name);
  if (result === undefined) throw new ConfigError(`${name} must be set`);
  return result;
}

function oneOf<const T extends readonly string[]>(env: Env, name: string, allowed: T): T[number] {
  const given = text(env, name);
  if (!allowed.includes(given)) {
    throw new ConfigError(
      `${name}=${JSON.stringify(given)} is not allowed: use one of ${allowed.join(', ')}`,
    );
  }
  return given;
}

function integer(env: Env, name: string, min: number, max: number): number {
  const given = text(env, name);
  if (!/^[0-9]+$/.test(given) || Number(given) < min || Number(given) > max) {
    throw new ConfigError(
      `${name}=${JSON.stringify(given)} is not allowed: use a whole number from ${min} to ${max}`,
    );
  }
  return Number(given);
}

function databaseUrl(env: Env): string | undefined {
  const given = value(env, 'DATABASE_URL');
  if (given === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new ConfigError(
      'DATABASE_URL is not a URL: use postgres://user:password@host:port/database',
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(
      `DATABASE_URL has protocol ${url.protocol}: use postgres:// or postgresql://`,
    );
  }
  return given;
}
