import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { identityCodes, type Authenticated, type IdentityService } from '../identity/index.js';
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
 */
export const SESSION_COOKIE = 'hebao_session';
export const CSRF_COOKIE = 'hebao_csrf';
export const DEVICE_COOKIE = 'hebao_device';
export const CSRF_HEADER = 'x-csrf-token';
export const DEVICE_HEADER = 'hebao-device';

export type AuthRequirement = 'user' | 'none';

declare module 'fastify' {
  interface FastifyRequest {
    auth: Authenticated | undefined;
    authVia: 'cookie' | 'bearer' | undefined;
    authFailure: 'unauthenticated' | 'session_expired' | undefined;
  }
  interface FastifyContextConfig {
    auth?: AuthRequirement;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const DEVICE_COOKIE_MAX_AGE_SECONDS = 400 * 24 * 3600;

export function installAuth(app: FastifyInstance, identity: IdentityService): void {
  app.decorateRequest('auth', undefined);
  app.decorateRequest('authVia', undefined);
  app.decorateRequest('authFailure', undefined);
  app.addHook('onRequest', async (request) => {
    const credential = credentialOf(request);
    if (credential === undefined) return;
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
    if (request.routeOptions.config.auth !== 'user') return;
    const auth = request.auth;
    if (auth === undefined) {
      const code = request.authFailure ?? 'unauthenticated';
      throw new ProblemError(code, { spec: identityCodes[code] });
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
  });
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
