import type { FastifyInstance } from 'fastify';
import { newId } from '../lib/ids.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Request ids are minted here and never taken from the caller: an id that a client chose could
 * collide with another request's or be crafted to confuse log searches.
 */
export function generateRequestId(): string {
  return newId('req', Date.now());
}

/** Returns the id on every response so that a caller can quote it to support. */
export function installRequestIdHeader(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
}
