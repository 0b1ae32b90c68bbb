import type { FastifyPluginAsync } from 'fastify';
import { confirmationRoutes } from './confirmations.js';
import { devInboxRoute } from './dev-inbox.js';
import { kycRoutes } from './kyc.js';
import { paymentLimitsRoute } from './payment-limits.js';
import { paymentPinRoutes } from './payment-pin.js';
import { loginRoutes } from './login.js';
import { meRoutes } from './me.js';
import { mfaRoutes } from './mfa.js';
import { passkeyRoutes } from './passkeys.js';
import { passwordRoutes } from './password.js';
import { registerRoute } from './register.js';
import { securityEventsRoute } from './security-events.js';
import { sessionRoutes } from './sessions.js';
import type { IdentityRouteDeps } from './shared.js';
import { verifyContactRoutes } from './verify-contact.js';

export type { IdentityRouteDeps } from './shared.js';

/** Sign-up, sign-in, the signed-in user and their sessions: one plugin, one file per route. */
export function identityRoutes(deps: IdentityRouteDeps): FastifyPluginAsync {
  return async (app) => {
    registerRoute(app, deps);
    verifyContactRoutes(app, deps);
    loginRoutes(app, deps);
    mfaRoutes(app, deps);
    passkeyRoutes(app, deps);
    passwordRoutes(app, deps);
    meRoutes(app, deps);
    sessionRoutes(app, deps);
    securityEventsRoute(app, deps);
    paymentPinRoutes(app, deps);
    confirmationRoutes(app, deps);
    kycRoutes(app, deps);
    paymentLimitsRoute(app, deps);
    if (deps.devInbox !== undefined) devInboxRoute(app, deps.devInbox);
  };
}
