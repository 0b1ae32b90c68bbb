import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

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
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
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
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
