import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Serves the built web apps (`web/dist`): the wallet at `/`, the merchant portal at `/merchant/`.
 * The build is small, so every file is read and gzipped once at start and served from memory.
 * Paths that are not files fall back to the app's index.html (client-side routes), except the
 * API's own paths, which keep their problem+json 404.
 */
export interface WebAppsOptions {
  readonly distDir: string;
}

interface Asset {
  readonly body: Buffer;
  readonly gzipped: Buffer | undefined;
  readonly type: string;
  readonly cacheControl: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

const API_PREFIXES = ['/v1/', '/docs', '/openapi.json', '/healthz', '/readyz', '/metrics'];

/**
 * The pages' policy: only our own scripts, styles and connections; images also from data: and
 * blob: URLs (QR codes, a chosen photo); no framing by other sites.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function webAppsAvailable(options: WebAppsOptions): boolean {
  return existsSync(join(options.distDir, 'index.html'));
}

export function webApps(options: WebAppsOptions): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    const assets = loadAssets(options.distDir);
    const serve = (request: FastifyRequest, reply: FastifyReply) => {
      const path = decodePath(request.url);
      if (path === undefined || API_PREFIXES.some((p) => path.startsWith(p))) {
        return reply.callNotFound();
      }
      const asset = assets.get(path) ?? fallbackFor(path, assets);
      if (asset === undefined) return reply.callNotFound();
      reply.header('content-type', asset.type);
      reply.header('cache-control', asset.cacheControl);
      reply.header('x-content-type-options', 'nosniff');
      if (asset.type.startsWith('text/html')) {
        reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
        reply.header('referrer-policy', 'same-origin');
      }
      reply.header('vary', 'accept-encoding');
      const acceptsGzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
      if (asset.gzipped !== undefined && acceptsGzip) {
        reply.header('content-encoding', 'gzip');
        return reply.send(asset.gzipped);
      }
      return reply.send(asset.body);
    };
    app.get('/', { schema: { hide: true } }, serve);
    app.get('/*', { schema: { hide: true } }, serve);
  };
}

function loadAssets(distDir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const file of walk(distDir)) {
    const urlPath = `/${relative(distDir, file).split(sep).join('/')}`;
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const body = readFileSync(file);
    const compressible = !type.startsWith('image/png') && body.length > 512;
    assets.set(urlPath, {
      body,
      gzipped: compressible ? gzipSync(body, { level: 9 }) : undefined,
      type,
      // Hashed build files never change; everything else is checked on every load.
      cacheControl: urlPath.startsWith('/assets/')
        ? 'public, max-age=31536000, immutable'
        : 'no-cache',
    });
  }
  return assets;
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}

function decodePath(url: string): string | undefined {
  const path = url.split('?', 1)[0] ?? '/';
  try {
    const decoded = decodeURIComponent(path);
    return decoded.includes('\0') ? undefined : decoded;
  } catch {
    return undefined;
  }
}

/** A client-side route gets its app's page; a missing file (with an extension) gets a 404. */
function fallbackFor(path: string, assets: Map<string, Asset>): Asset | undefined {
  if (path === '/merchant' || path.startsWith('/merchant/')) {
    return extname(path) === '' ? assets.get('/merchant/index.html') : undefined;
  }
  return extname(path) === '' ? assets.get('/index.html') : undefined;
}
