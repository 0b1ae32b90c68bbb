/** The HTTP layer's public surface; other modules import from here only. */
export { buildApp, type AppDeps } from './app.js';
export { webAppsAvailable, type WebAppsOptions } from './web.js';
export {
  ProblemError,
  ProblemSchema,
  problemCodeCatalogue,
  problemResponse,
  type HttpProblemCode,
  type Problem,
  type ProblemOptions,
  type ProblemSpec,
} from './problem.js';
export type { TypeBoxTypeProvider } from './type-provider.js';
export { createIdempotencyStore, IDEMPOTENCY_HEADER } from './idempotency.js';
export type { IdempotencyMode, IdempotencyStore } from './idempotency.js';
