import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const SECRETS = {
  HEBAO_HMAC_KEY: Buffer.alloc(32, 7).toString('base64'),
  HEBAO_DATA_KEYS: `k2:${Buffer.alloc(32, 9).toString('base64')}`,
  HEBAO_GATEWAY_URL: 'https://gateway.example.com/',
  HEBAO_GATEWAY_API_KEY: 'sk_live_example',
  HEBAO_GATEWAY_CALLBACK_SECRET: 'whsec_example',
};

describe('configuration', () => {
  it('has defaults for everything', () => {
    expect(loadConfig({})).toEqual({
      env: 'development',
      host: '127.0.0.1',
      port: 3000,
      databaseUrl: undefined,
      dataDir: './.hebao',
      logLevel: 'info',
      sealSigningKey: undefined,
      sealIntervalMs: 1000,
      expiryIntervalMs: 1000,
      publicUrl: 'http://localhost:3000',
      webauthnRpId: 'localhost',
      hmacKey: expect.any(Buffer),
      dataKeys: expect.stringMatching(/^dev:/),
      sessionIdleMs: 60 * 60_000,
      sessionMaxMs: 168 * 3_600_000,
      rateLimitPerMinute: 600,
      stepUpExemptAmountMinor: 10_000n,
      stepUpExemptDailyCount: 5,
      timeZone: 'Asia/Shanghai',
      kycDocumentTypes: ['prc_id'],
      currencies: ['CNY', 'USD', 'HKD'],
      gatewayUrl: undefined,
      gatewayApiKey: expect.any(String),
      gatewayCallbackSecret: expect.any(String),
      webhookAllowLoopback: true,
    });
  });

  it('derives the public URL from the port, and the passkey relying party from the URL', () => {
    expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    const config = loadConfig({ HEBAO_PUBLIC_URL: 'https://wallet.example.com' });
    expect(config).toMatchObject({
      publicUrl: 'https://wallet.example.com',
      webauthnRpId: 'wallet.example.com',
    });
  });

  it('needs real secrets in production, and takes them when given', () => {
    expect(() => loadConfig({ HEBAO_ENV: 'production' })).toThrow(/HEBAO_HMAC_KEY must be set/);
    expect(() =>
      loadConfig({ HEBAO_ENV: 'production', HEBAO_HMAC_KEY: SECRETS.HEBAO_HMAC_KEY }),
    ).toThrow(/HEBAO_DATA_KEYS must be set/);
    const config = loadConfig({ HEBAO_ENV: 'production', ...SECRETS });
    expect(config.gatewayUrl).toBe('https://gateway.example.com');
    expect(config.hmacKey).toEqual(Buffer.alloc(32, 7));
    expect(config.dataKeys).toBe(SECRETS.HEBAO_DATA_KEYS);
    expect(config.webhookAllowLoopback).toBe(false);
    expect(() =>
      loadConfig({ HEBAO_ENV: 'production', ...SECRETS, HEBAO_WEBHOOK_ALLOW_LOOPBACK: 'true' }),
    ).toThrow(/HEBAO_WEBHOOK_ALLOW_LOOPBACK cannot be true in production/);
    expect(() => loadConfig({ HEBAO_WEBHOOK_ALLOW_LOOPBACK: 'yes' })).toThrow(
      /HEBAO_WEBHOOK_ALLOW_LOOPBACK must be true or false/,
    );
    expect(loadConfig({ HEBAO_WEBHOOK_ALLOW_LOOPBACK: 'false' }).webhookAllowLoopback).toBe(false);
  });

  it('reads the identity settings', () => {
    const config = loadConfig({
      HEBAO_SESSION_IDLE_MINUTES: '15',
      HEBAO_SESSION_MAX_HOURS: '24',
      HEBAO_RATE_LIMIT_PER_MINUTE: '100',
      HEBAO_STEP_UP_EXEMPT_AMOUNT: '0',
      HEBAO_STEP_UP_EXEMPT_DAILY_COUNT: '0',
      HEBAO_TIMEZONE: 'UTC',
      HEBAO_KYC_DOCUMENT_TYPES: 'prc_id, passport',
    });
    expect(config).toMatchObject({
      sessionIdleMs: 15 * 60_000,
      sessionMaxMs: 24 * 3_600_000,
      rateLimitPerMinute: 100,
      stepUpExemptAmountMinor: 0n,
      stepUpExemptDailyCount: 0,
      timeZone: 'UTC',
      kycDocumentTypes: ['prc_id', 'passport'],
    });
    expect(loadConfig({ HEBAO_STEP_UP_EXEMPT_AMOUNT: '99.9' }).stepUpExemptAmountMinor).toBe(9990n);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      ...SECRETS,
      HEBAO_ENV: 'production',
      HOST: '0.0.0.0',
      PORT: '8080',
      DATABASE_URL: 'postgres://u:p@db:5432/hebao',
      HEBAO_DATA_DIR: '/var/lib/hebao',
      LOG_LEVEL: 'warn',
      HEBAO_SEAL_INTERVAL_MS: '5000',
      HEBAO_EXPIRY_INTERVAL_MS: '250',
    });
    expect(config).toMatchObject({
      env: 'production',
      port: 8080,
      databaseUrl: 'postgres://u:p@db:5432/hebao',
      logLevel: 'warn',
    });
  });

  it.each([
    [{ PORT: 'abc' }, /PORT="abc" is not allowed: use a whole number from 1 to 65535/],
    [{ PORT: '70000' }, /PORT="70000"/],
    [{ PORT: '-1' }, /PORT/],
    [
      { HEBAO_ENV: 'staging' },
      /HEBAO_ENV="staging" is not allowed: use one of development, production/,
    ],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL is not a URL/],
    [{ DATABASE_URL: 'mysql://x/y' }, /DATABASE_URL has protocol mysql:/],
    [{ HEBAO_SEAL_INTERVAL_MS: '10' }, /HEBAO_SEAL_INTERVAL_MS/],
    [{ HEBAO_PUBLIC_URL: 'ftp://x' }, /HEBAO_PUBLIC_URL must be an http\(s\) origin/],
    [{ HEBAO_PUBLIC_URL: 'https://x.example/app' }, /HEBAO_PUBLIC_URL must be an http\(s\) origin/],
    [{ HEBAO_HMAC_KEY: 'c2hvcnQ=' }, /HEBAO_HMAC_KEY must be base64 of at least 32/],
    [{ HEBAO_SESSION_IDLE_MINUTES: '1' }, /HEBAO_SESSION_IDLE_MINUTES/],
    [{ HEBAO_STEP_UP_EXEMPT_AMOUNT: '1.001' }, /HEBAO_STEP_UP_EXEMPT_AMOUNT/],
    [{ HEBAO_STEP_UP_EXEMPT_AMOUNT: '-5' }, /HEBAO_STEP_UP_EXEMPT_AMOUNT/],
    [{ HEBAO_TIMEZONE: 'Mars/Olympus' }, /HEBAO_TIMEZONE="Mars\/Olympus" is not an IANA time zone/],
    [
      { HEBAO_KYC_DOCUMENT_TYPES: 'prc_id,library_card' },
      /HEBAO_KYC_DOCUMENT_TYPES has "library_card"/,
    ],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
