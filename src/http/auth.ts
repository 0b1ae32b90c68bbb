import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { identityCodes, type Authenticated, type IdentityService } from '../identity/index.js';
import {
  merchantCodes,
  type ApiKeyScope,
  type MerchantPrincipal,
  type Merchants,
} from '../merchants/index.js';
import { readCookie, setCookieValue } from './cookies.js';
import { ProblemError } from './problem.js';

/**
 * Who is calling. Every request's credentials are resolved once, before rate limiting (which
 * counts per user when it can) and before validation; each route then states what it needs in
 * `config.auth`, and a route that needs a user gets 401 before its body is even looked at.
 *
 * Browsers carry the session in an HttpOnly, SameSite=Strict cookie; other clients send
 * `Authorization: Bearer`. A cookie is sent by the browser on its own, so a state-changing
 * request authenticated by cookie must also carry the session's CSRF token in `X-CSRF-Token`,
 * which a page of another origin cannot read. Bearer requests need none: a token in a header is
 * never attached by the browser.
 *
 * A merchant's server sends its secret API key (`sk_test_…`, `sk_live_…`) as the Bearer token.
 * Merchant routes (`auth: 'merchant'`, with the scope they need) take only API keys and user
 * routes only sessions, so a leaked key can never act as its owner and the other way round. The
 * merchant portal reaches the same merchant routes under `/v1/portal/merchants/:merchant_id`
 * with the owner's session instead (and never with a key): see routes/merchants/portal.ts.
 */
export const SESSION_COOKIE = 'hebao_session';
export const CSRF_COOKIE = 'hebao_csrf';
export const DEVICE_COOKIE = 'hebao_device';
export const CSRF_HEADER = 'x-csrf-token';
export const DEVICE_HEADER = 'hebao-device';

export type AuthRequirement = 'user' | 'merchant' | 'none';

declare module 'fastify' {
  interface FastifyRequest {
    auth: Authenticated | undefined;
    authVia: 'cookie' | 'bearer' | undefined;
    authFailure: 'unauthenticated' | 'session_expired' | 'api_key_invalid' | undefined;
    merchant: MerchantPrincipal | undefined;
  }
  interface FastifyContextConfig {
    auth?: AuthRequirement;
    /** What an API key needs for a merchant route. */
    scope?: ApiKeyScope;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const DEVICE_COOKIE_MAX_AGE_SECONDS = 400 * 24 * 3600;

export function installAuth(
  app: FastifyInstance,
  identity: IdentityService,
  merchants?: Merchants,
): void {
  app.decorateRequest('auth', undefined);
  app.decorateRequest('authVia', undefined);
  app.decorateRequest('authFailure', undefined);
  app.decorateRequest('merchant', undefined);
  app.addHook('onRequest', async (request) => {
    const credential = credentialOf(request);
    if (credential === undefined) return;
    if (credential.via === 'bearer' && credential.token.startsWith(API_KEY_PREFIX)) {
      const result = await merchants?.authenticate(credential.token);
      if (result?.ok === true) request.merchant = result.principal;
      else request.authFailure = 'api_key_invalid';
      return;
    }
    const result = await identity.authenticate(credential.token);
    if (result.ok) {
      request.auth = { user: result.user, session: result.session };
      request.authVia = credential.via;
    } else {
      request.authFailure =
        result.code === 'session_expired' ? 'session_expired' : 'unauthenticated';
    }
  });
  app.addHook('preValidation', async (request) => {
    const needs = request.routeOptions.config.auth;
    if (needs === 'merchant') return requireMerchant(request);
    if (needs === 'user') requireSession(request);
  });
}

/**
 * The signed-in user of a request that must come from a session: 401 without one (or with an API
 * key), and 403 for a cookie-authenticated unsafe method without the session's CSRF token. User
 * routes run it before validation; the merchant portal (routes/merchants/portal.ts) runs it
 * before acting as the user's merchant.
 */
export function requireSession(request: FastifyRequest): Authenticated {
  const auth = request.auth;
  if (auth === undefined) {
    const code = request.authFailure === 'session_expired' ? 'session_expired' : 'unauthenticated';
    throw new ProblemError(code, {
      spec: identityCodes[code],
      ...(request.merchant === undefined && request.authFailure !== 'api_key_invalid'
        ? {}
        : { detail: 'This route takes a user session, not an API key.' }),
    });
  }
  if (request.authVia === 'cookie' && !SAFE_METHODS.has(request.method)) {
    const sent = request.headers[CSRF_HEADER];
    if (sent !== auth.session.csrfToken) {
      throw new ProblemError('csrf_token_invalid', {
        spec: identityCodes.csrf_token_invalid,
        detail: `Send the session's CSRF token in the ${CSRF_HEADER} header.`,
      });
    }
  }
  return auth;
}

const API_KEY_PREFIX = 'sk_';

function requireMerchant(request: FastifyRequest): void {
  const principal = request.merchant;
  if (principal === undefined) {
    const code = request.authFailure === 'api_key_invalid' ? 'api_key_invalid' : 'api_key_required';
    throw new ProblemError(code, { spec: merchantCodes[code] });
  }
  const scope = request.routeOptions.config.scope;
  if (scope !== undefined && !principal.key.scopes.includes(scope)) {
    throw new ProblemError('api_key_scope_missing', {
      spec: merchantCodes.api_key_scope_missing,
      detail: `This route needs the ${scope} scope.`,
    });
  }
}

function credentialOf(
  request: FastifyRequest,
): { token: string; via: 'cookie' | 'bearer' } | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer ([A-Za-z0-9_\-.~]{1,200})$/.exec(header);
    // A malformed Authorization header is a failed credential, not an absent one.
    return { token: match?.[1] ?? '', via: 'bearer' };
  }
  const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
  return cookie === undefined ? undefined : { token: cookie, via: 'cookie' };
}

/** The API key and merchant of a route declared with `config: { auth: 'merchant' }`. */
export function merchantOf(request: FastifyRequest): MerchantPrincipal {
  if (request.merchant === undefined) throw new Error('route is not declared with auth: merchant');
  return request.merchant;
}

/** The user of a route declared with `config: { auth: 'user' }`. */
export function authOf(request: FastifyRequest): Authenticated {
  if (request.auth === undefined) throw new Error('route is not declared with auth: user');
  return request.auth;
}

export function deviceTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers[DEVICE_HEADER];
  if (typeof header === 'string' && /^hbd_[A-Za-z0-9_-]{43}$/.test(header)) return header;
  return readCookie(request.headers.cookie, DEVICE_COOKIE);
}

/** Sets the session, CSRF and (for a new device) device cookies after a sign-in. */
export function setSessionCookies(
  request: FastifyRequest,
  reply: FastifyReply,
  signedIn: {
    readonly token: string;
    readonly csrfToken: string;
    readonly createdAt: Date;
    readonly expiresAt: Date;
    readonly newDeviceToken: string | undefined;
  },
): void {
  const secure = request.protocol === 'https';
  const maxAgeSeconds = (signedIn.expiresAt.getTime() - signedIn.createdAt.getTime()) / 1000;
  const cookies = [
    setCookieValue(SESSION_COOKIE, signedIn.token, { maxAgeSeconds, httpOnly: true, secure }),
    // Readable by the page on purpose: the web app echoes it in X-CSRF-Token.
    setCookieValue(CSRF_COOKIE, signedIn.csrfToken, { maxAgeSeconds, httpOnly: false, secure }),
  ];
  if (signedIn.newDeviceToken !== undefined) {
    cookies.push(
      setCookieValue(DEVICE_COOKIE, signedIn.newDeviceToken, {
        maxAgeSeconds: DEVICE_COOKIE_MAX_AGE_SECONDS,
        httpOnly: true,
        secure,
      }),
    );
  }
  reply.header('set-cookie', cookies);
}

export function clearSessionCookies(request: FastifyRequest, reply: FastifyReply): void {
  const secure = request.protocol === 'https';
  reply.header('set-cookie', [
    setCookieValue(SESSION_COOKIE, '', { maxAgeSeconds: 0, httpOnly: true, secure }),
    setCookieValue(CSRF_COOKIE, '', { maxAgeSeconds: 0, httpOnly: false, secure }),
  ]);
}
