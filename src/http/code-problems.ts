import type { CodeSpec, Failure } from '../lib/code-spec.js';
import { ProblemError, problemResponse } from './problem.js';

/**
 * What a group of routes needs from the code tables of the domains it calls: a domain failure as
 * problem+json, and the OpenAPI error responses of a route from the codes it can answer.
 */
export function codeProblems<Code extends string>(table: Readonly<Record<Code, CodeSpec>>) {
  return {
    problem(result: Failure<Code>): ProblemError {
      return new ProblemError(result.code, {
        spec: table[result.code],
        ...(result.param === undefined ? {} : { param: result.param }),
        ...(result.detail === undefined ? {} : { detail: result.detail }),
        ...(result.retryAfterSeconds === undefined
          ? {}
          : { retryAfterSeconds: result.retryAfterSeconds }),
      });
    },
    errorResponses(...codes: Code[]) {
      const byStatus = new Map<number, string[]>([
        [400, ['validation_failed']],
        [429, ['rate_limited']],
      ]);
      for (const code of codes) {
        const status = table[code].status;
        byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
      }
      const responses: Record<number, ReturnType<typeof problemResponse>> = {};
      for (const [status, list] of byStatus) responses[status] = problemResponse(list.join(', '));
      return responses;
    },
  };
}
