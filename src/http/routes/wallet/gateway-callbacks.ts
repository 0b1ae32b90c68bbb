import { Type } from '@sinclair/typebox';
import { errorResponses, walletProblem, type WalletRouteDeps } from './shared.js';
import type { FastifyInstance } from 'fastify';
import { typed } from '../identity/shared.js';

/** A gateway event is a few hundred bytes; anything much larger is not one. */
export const CALLBACK_BODY_BYTES_MAX = 16 * 1024;
/** The header that carries the gateway's signature (`t=<unix seconds>,v1=<hex>`). */
export const CALLBACK_SIGNATURE_HEADER = 'hebao-bank-signature';

const Received = Type.Object(
  {
    received: Type.Literal(true),
    outcome: Type.Union([
      Type.Literal('applied'),
      Type.Literal('duplicate'),
      Type.Literal('ignored'),
    ]),
  },
  { additionalProperties: false },
);

/**
 * `POST /v1/gateway/callbacks`: the payment gateway's signed events. No user signs in here; the
 * HMAC signature over the exact bytes received is the credential. So, in this route's own plugin
 * scope only, JSON bodies are kept as the raw text they arrived as: the signature is checked on
 * that text before anything parses it. A refused callback writes nothing.
 */
export function gatewayCallbackRoutes(app: FastifyInstance, deps: WalletRouteDeps): void {
  void app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: CALLBACK_BODY_BYTES_MAX },
      (_request, body, done) => {
        done(null, body);
      },
    );
    typed(scope).post(
      '/v1/gateway/callbacks',
      {
        config: { auth: 'none' },
        schema: {
          tags: ['gateway'],
          summary: 'Signed events from the payment gateway (charges and payouts)',
          description: `Verified with the ${CALLBACK_SIGNATURE_HEADER} header over the raw body; repeated, late and out-of-order events change nothing twice.`,
          headers: Type.Object({ [CALLBACK_SIGNATURE_HEADER]: Type.Optional(Type.String()) }),
          response: {
            200: Received,
            ...errorResponses(
              'callback_signature_invalid',
              'callback_stale',
              'callback_malformed',
              'callback_deferred',
            ),
          },
        },
      },
      async (request) => {
        const raw = typeof request.body === 'string' ? request.body : '';
        const header = request.headers[CALLBACK_SIGNATURE_HEADER];
        const result = await deps.funding.handleCallback(
          raw,
          Array.isArray(header) ? header[0] : header,
        );
        if (!result.ok) throw walletProblem(result);
        return { received: true as const, outcome: result.outcome };
      },
    );
  });
}
