import { Type } from '@sinclair/typebox';
import type {} from '@fastify/swagger';
import type { FastifyPluginAsync } from 'fastify';
import { assert } from '../../lib/assert.js';
import type { TypeBoxTypeProvider } from '../type-provider.js';

/**
 * Only the top of the document is described: the rest is generated from the routes' own
 * schemas, and fields the schema does not list are still serialized.
 */
const OpenApiDocumentSchema = Type.Object(
  { openapi: Type.String(), info: Type.Unknown(), paths: Type.Optional(Type.Unknown()) },
  { additionalProperties: true },
);

/** Serves the generated OpenAPI 3.1 document; it is hidden from itself. */
export const openApiRoute: FastifyPluginAsync = async (instance) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/openapi.json',
    { schema: { hide: true, response: { 200: OpenApiDocumentSchema } } },
    async () => {
      const document = instance.swagger();
      // buildApp configures OpenAPI 3.1; a Swagger 2 document here would be a wiring mistake.
      assert('openapi' in document, 'the API document is OpenAPI 3');
      return document;
    },
  );
};
