import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { webAppsAvailable } from './web.js';

/** A build output of the shape Vite writes: two apps' pages and hashed assets. */
function fakeDist(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hebao-web-'));
  mkdirSync(join(dir, 'assets'));
  mkdirSync(join(dir, 'merchant'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>wallet</title>');
  writeFileSync(join(dir, 'merchant', 'index.html'), '<!doctype html><title>merchant</title>');
  writeFileSync(join(dir, 'assets', 'wallet-abc123.js'), `console.log(${'"hebao";'.repeat(200)})`);
  writeFileSync(join(dir, 'manifest.webmanifest'), '{"name":"Hebao"}');
  return dir;
}

let app: FastifyInstance;
const distDir = fakeDist();

beforeAll(async () => {
  app = await buildApp({
    env: 'development',
    logger: false,
    checkReady: async () => ({ ok: true }),
    metrics: new Registry(),
    bodyLimitBytes: 1024,
    rateLimitPerMinute: 10_000,
    web: { distDir },
  });
});

afterAll(async () => {
  await app.close();
});

describe('the web apps', () => {
  it('are available only when built', () => {
    expect(webAppsAvailable({ distDir })).toBe(true);
    expect(webAppsAvailable({ distDir: join(distDir, 'nothing-here') })).toBe(false);
  });

  it('serve the wallet at / with a content security policy, checked on every load', async () => {
    const response = await app.inject({ url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('<title>wallet</title>');
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response.headers['cache-control']).toBe('no-cache');
  });

  it('answer client-side routes with their app page', async () => {
    expect((await app.inject({ url: '/activity/txn_1?x=1' })).body).toContain('wallet');
    expect((await app.inject({ url: '/merchant/' })).body).toContain('merchant');
    expect((await app.inject({ url: '/merchant/payments' })).body).toContain('merchant');
  });

  it('serve hashed assets gzipped and cached for good', async () => {
    const response = await app.inject({
      url: '/assets/wallet-abc123.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(gunzipSync(response.rawPayload).toString()).toContain('"hebao"');
    const plain = await app.inject({ url: '/assets/wallet-abc123.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toContain('"hebao"');
    expect((await app.inject({ url: '/manifest.webmanifest' })).headers['content-type']).toBe(
      'application/manifest+json',
    );
  });

  it('leave missing files and API paths to the problem+json 404', async () => {
    for (const url of ['/assets/missing.js', '/v1/nothing', '/docs/nothing.css', '/%E0%A4%A']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(response.headers['content-type'], url).toContain('application/problem+json');
    }
    expect((await app.inject({ url: '/v1/nothing' })).json()).toMatchObject({
      code: 'route_not_found',
    });
  });

  it('stay out of the OpenAPI document', async () => {
    const document = (await app.inject({ url: '/openapi.json' })).json() as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(document.paths)).not.toContain('/*');
    expect(Object.keys(document.paths)).not.toContain('/');
  });
});
