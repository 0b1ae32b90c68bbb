import { KindGuard, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance, FastifyTypeProvider } from 'fastify';

/**
 * Lets routes declare TypeBox schemas and get typed `request.body`, `request.query` and replies:
 * `app.withTypeProvider<TypeBoxTypeProvider>()`. It is the few lines that
 * `@fastify/type-provider-typebox` would give us, without another dependency.
 */
export interface TypeBoxTypeProvider extends FastifyTypeProvider {
  readonly validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
  readonly serializer: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
}

/**
 * Options for Fastify's own Ajv. Unknown fields must be rejected, not silently dropped, so
 * `removeAdditional` is off; and a JSON body must carry the types it declares (a number where the
 * schema says a decimal string is a client bug we want to report), so Ajv never coerces.
 */
export const ajvOptions = {
  customOptions: {
    removeAdditional: false,
    coerceTypes: false,
    useDefaults: true,
    allErrors: false,
  },
} as const;

/**
 * Query strings and path parameters are text by nature, so `?limit=20` has to become a number
 * before Ajv checks it. With Ajv's coercion off, TypeBox converts those two parts, and only those,
 * just before validation. Schemas that are not TypeBox schemas are left to Ajv unchanged.
 */
export function installTextCoercion(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const schema = request.routeOptions.schema;
    if (schema === undefined) return;
    if (KindGuard.IsSchema(schema.querystring)) {
      request.query = Value.Convert(schema.querystring, request.query);
    }
    if (KindGuard.IsSchema(schema.params)) {
      request.params = Value.Convert(schema.params, request.params);
    }
  });
}
