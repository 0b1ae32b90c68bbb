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
  /** The origin users reach the wallet at: links in messages, the WebAuthn origin. */
  readonly publicUrl: string;
  /** The WebAuthn relying-party id: the public URL's host name. */
  readonly webauthnRpId: string;
  /** Keys HMAC-hashes of PINs, one-time codes and blind indexes (32+ bytes). */
  readonly hmacKey: Buffer;
  /** Keyring text for field encryption (`<id>:<base64 key>,...`, the first one encrypts). */
  readonly dataKeys: string;
  readonly sessionIdleMs: number;
  readonly sessionMaxMs: number;
  readonly rateLimitPerMinute: number;
  /** Payments up to this many minor units of CNY may skip step-up, `stepUpExemptDailyCount` a day. */
  readonly stepUpExemptAmountMinor: bigint;
  readonly stepUpExemptDailyCount: number;
  /** The time zone whose calendar days and years the payment limits count in. */
  readonly timeZone: string;
  /** Identity documents accepted for real-name verification. */
  readonly kycDocumentTypes: readonly KycDocumentType[];
  /** Currencies users may hold, CNY first. */
  readonly currencies: readonly string[];
  /** The payment gateway; unset in development: a sandbox bank is started in the process. */
  readonly gatewayUrl: string | undefined;
  readonly gatewayApiKey: string;
  readonly gatewayCallbackSecret: string;
  /** Development only: webhook endpoints on loopback addresses, for a local receiver. */
  readonly webhookAllowLoopback: boolean;
}

export const kycDocumentTypes = ['prc_id', 'hk_macao_permit', 'taiwan_permit', 'passport'] as const;
export type KycDocumentType = (typeof kycDocumentTypes)[number];

/**
 * Development defaults for the two secrets, so that `npm start` and the tests work with no setup.
 * They are public (they are in this file), so production refuses to start without real ones.
 */
const DEVELOPMENT_HMAC_KEY = 'aGViYW8tZGV2ZWxvcG1lbnQtaG1hYy1rZXktbm90LXNlY3JldCEh';
const DEVELOPMENT_DATA_KEYS = 'dev:aGViYW8tZGV2LWRhdGEta2V5LTMyLWJ5dGVzLW9rISE=';
const DEVELOPMENT_GATEWAY_API_KEY = 'sk_sandbox_hebao_development';
const DEVELOPMENT_GATEWAY_CALLBACK_SECRET = 'whsec_sandbox_hebao_development';

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
  {
    name: 'HEBAO_PUBLIC_URL',
    default: UNSET,
    description:
      'The origin users reach Hebao at (links in messages, the passkey origin). Unset: `http://localhost:<PORT>`.',
  },
  {
    name: 'HEBAO_HMAC_KEY',
    default: UNSET,
    description:
      'Base64 secret of at least 32 bytes that keys the hashes of payment PINs, one-time codes and ID-number lookups; keep it outside the database. Required in production; development uses a fixed public key.',
  },
  {
    name: 'HEBAO_DATA_KEYS',
    default: UNSET,
    description:
      'Keys that encrypt personal data at rest (AES-256-GCM): `<id>:<base64 32-byte key>` separated by commas; the first encrypts, all decrypt, so keys can rotate. Required in production; development uses a fixed public key.',
  },
  {
    name: 'HEBAO_SESSION_IDLE_MINUTES',
    default: '60',
    description: 'A session unused for this long ends (5–10080).',
  },
  {
    name: 'HEBAO_SESSION_MAX_HOURS',
    default: '168',
    description: 'A session ends this long after sign-in, used or not (1–8760).',
  },
  {
    name: 'HEBAO_RATE_LIMIT_PER_MINUTE',
    default: '600',
    description:
      'Requests per minute allowed per signed-in user, or per IP address before sign-in (10–1000000).',
  },
  {
    name: 'HEBAO_STEP_UP_EXEMPT_AMOUNT',
    default: '100.00',
    description:
      'Payments up to this amount (CNY) may skip the PIN or passkey confirmation (the low-value exemption); `0` turns the exemption off.',
  },
  {
    name: 'HEBAO_STEP_UP_EXEMPT_DAILY_COUNT',
    default: '5',
    description: 'How many payments a day per user may use the low-value exemption (0–1000).',
  },
  {
    name: 'HEBAO_TIMEZONE',
    default: 'Asia/Shanghai',
    description: 'The IANA time zone whose days and years the payment limits count in.',
  },
  {
    name: 'HEBAO_CURRENCIES',
    default: 'CNY,USD,HKD',
    description:
      'Currencies users may hold, comma-separated ISO 4217 codes; CNY is always enabled.',
  },
  {
    name: 'HEBAO_GATEWAY_URL',
    default: UNSET,
    description:
      'Base URL of the payment gateway (cards, top-ups, withdrawals). Unset in development: a sandbox bank is started with the server. Required in production.',
  },
  {
    name: 'HEBAO_GATEWAY_API_KEY',
    default: UNSET,
    description:
      'The API key Hebao uses at the gateway. Required in production; development uses the sandbox bank’s fixed key.',
  },
  {
    name: 'HEBAO_GATEWAY_CALLBACK_SECRET',
    default: UNSET,
    description:
      'The secret the gateway signs its callbacks with (HMAC). Required in production; development uses a fixed one.',
  },
  {
    name: 'HEBAO_KYC_DOCUMENT_TYPES',
    default: 'prc_id',
    description:
      'Identity documents accepted for real-name verification, comma-separated: prc_id, hk_macao_permit, taiwan_permit, passport.',
  },
  {
    name: 'HEBAO_WEBHOOK_ALLOW_LOOPBACK',
    default: UNSET,
    description:
      'Whether webhook endpoints may be on loopback addresses (127.0.0.0/8, ::1), for a local receiver: `true` or `false`. Unset: true in development; never true in production.',
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
    ...identityConfig(env),
  };
}

type IdentityConfig = Omit<
  Config,
  | 'env'
  | 'host'
  | 'port'
  | 'databaseUrl'
  | 'dataDir'
  | 'logLevel'
  | 'sealSigningKey'
  | 'sealIntervalMs'
  | 'expiryIntervalMs'
>;

function identityConfig(env: Env): IdentityConfig {
  const production = value(env, 'HEBAO_ENV') === 'production';
  const publicUrl = publicUrlOf(env);
  return {
    publicUrl,
    webauthnRpId: new URL(publicUrl).hostname,
    hmacKey: hmacKey(env, production),
    dataKeys: secret(env, 'HEBAO_DATA_KEYS', production) ?? DEVELOPMENT_DATA_KEYS,
    sessionIdleMs: integer(env, 'HEBAO_SESSION_IDLE_MINUTES', 5, 10_080) * 60_000,
    sessionMaxMs: integer(env, 'HEBAO_SESSION_MAX_HOURS', 1, 8760) * 3_600_000,
    rateLimitPerMinute: integer(env, 'HEBAO_RATE_LIMIT_PER_MINUTE', 10, 1_000_000),
    stepUpExemptAmountMinor: cnyAmountMinor(env, 'HEBAO_STEP_UP_EXEMPT_AMOUNT'),
    stepUpExemptDailyCount: integer(env, 'HEBAO_STEP_UP_EXEMPT_DAILY_COUNT', 0, 1000),
    timeZone: timeZone(env),
    kycDocumentTypes: documentTypes(env),
    currencies: currencyList(env),
    gatewayUrl: gatewayUrl(env, production),
    gatewayApiKey: secret(env, 'HEBAO_GATEWAY_API_KEY', production) ?? DEVELOPMENT_GATEWAY_API_KEY,
    gatewayCallbackSecret:
      secret(env, 'HEBAO_GATEWAY_CALLBACK_SECRET', production) ??
      DEVELOPMENT_GATEWAY_CALLBACK_SECRET,
    webhookAllowLoopback: webhookAllowLoopback(env, production),
  };
}

function webhookAllowLoopback(env: Env, production: boolean): boolean {
  const raw = value(env, 'HEBAO_WEBHOOK_ALLOW_LOOPBACK');
  if (raw === undefined) return !production;
  if (raw !== 'true' && raw !== 'false') {
    throw new ConfigError('HEBAO_WEBHOOK_ALLOW_LOOPBACK must be true or false');
  }
  if (raw === 'true' && production) {
    throw new ConfigError('HEBAO_WEBHOOK_ALLOW_LOOPBACK cannot be true in production');
  }
  return raw === 'true';
}

function gatewayUrl(env: Env, production: boolean): string | undefined {
  const given = secret(env, 'HEBAO_GATEWAY_URL', production);
  if (given === undefined) return undefined;
  try {
    const url = new URL(given);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
  } catch {
    throw new ConfigError('HEBAO_GATEWAY_URL must be an http(s) URL');
  }
  return given.replace(/\/$/, '');
}

function currencyList(env: Env): string[] {
  const given = text(env, 'HEBAO_CURRENCIES')
    .split(',')
    .map((c) => c.trim());
  const bad = given.find((c) => !/^[A-Z]{3}$/.test(c));
  if (bad !== undefined) {
    throw new ConfigError(
      `HEBAO_CURRENCIES has ${JSON.stringify(bad)}: use ISO 4217 codes such as CNY,USD,HKD`,
    );
  }
  return [...new Set(['CNY', ...given])];
}

function publicUrlOf(env: Env): string {
  const given = value(env, 'HEBAO_PUBLIC_URL');
  if (given === undefined) return `http://localhost:${integer(env, 'PORT', 1, 65535)}`;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new ConfigError('HEBAO_PUBLIC_URL is not a URL: use e.g. https://wallet.example.com');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/') {
    throw new ConfigError('HEBAO_PUBLIC_URL must be an http(s) origin with no path');
  }
  return url.origin;
}

function secret(env: Env, name: string, production: boolean): string | undefined {
  const given = value(env, name);
  if (given === undefined && production) {
    throw new ConfigError(`${name} must be set in production (see README: configuration)`);
  }
  return given;
}

function hmacKey(env: Env, production: boolean): Buffer {
  const text = secret(env, 'HEBAO_HMAC_KEY', production) ?? DEVELOPMENT_HMAC_KEY;
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (key.length < 32) {
    throw new ConfigError('HEBAO_HMAC_KEY must be base64 of at least 32 random bytes');
  }
  return key;
}

function cnyAmountMinor(env: Env, name: string): bigint {
  const given = text(env, name);
  const match = /^(0|[1-9][0-9]{0,9})(?:\.([0-9]{1,2}))?$/.exec(given);
  if (match === null) {
    throw new ConfigError(
      `${name}=${JSON.stringify(given)} is not allowed: use an amount in yuan such as 100.00`,
    );
  }
  return BigInt(match[1]!) * 100n + BigInt((match[2] ?? '').padEnd(2, '0'));
}

function timeZone(env: Env): string {
  const given = text(env, 'HEBAO_TIMEZONE');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: given });
  } catch {
    throw new ConfigError(
      `HEBAO_TIMEZONE=${JSON.stringify(given)} is not an IANA time zone such as Asia/Shanghai`,
    );
  }
  return given;
}

function documentTypes(env: Env): KycDocumentType[] {
  const given = text(env, 'HEBAO_KYC_DOCUMENT_TYPES')
    .split(',')
    .map((t) => t.trim());
  const allowed: readonly string[] = kycDocumentTypes;
  const bad = given.find((t) => !allowed.includes(t));
  if (bad !== undefined || given.length === 0) {
    throw new ConfigError(
      `HEBAO_KYC_DOCUMENT_TYPES has ${JSON.stringify(bad ?? '')}: use ${kycDocumentTypes.join(', ')}`,
    );
  }
  return [...new Set(given)] as KycDocumentType[];
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
