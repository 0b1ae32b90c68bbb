import { ProblemError, httpProblemCodes, type HttpProblemCode } from './problem.js';

/**
 * Turns whatever reached the edge (a thrown value, a Fastify error, an Ajv result) into the
 * problem that the caller sees. Pure, so that every mapping is tested as a table.
 */

/** The fields of a thrown value that the mapping looks at; anything may be missing. */
interface ErrorFields {
  readonly code: string | undefined;
  readonly status: number | undefined;
  readonly validation: readonly ValidationIssue[] | undefined;
  readonly validationContext: string | undefined;
}

/** One Ajv error, as Fastify attaches it to `error.validation`. */
export interface ValidationIssue {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly message?: string | undefined;
}

const fastifyCodes: Readonly<Record<string, HttpProblemCode>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformed_request',
  FST_ERR_BAD_URL: 'malformed_request',
  FST_ERR_NOT_FOUND: 'route_not_found',
};

export function toProblemError(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  const fields = errorFields(error);
  if (fields.validation !== undefined || fields.code === 'FST_ERR_VALIDATION') {
    return validationProblem(fields.validation ?? [], fields.validationContext);
  }
  const known = fields.code === undefined ? undefined : fastifyCodes[fields.code];
  if (known !== undefined) return new ProblemError(known, { cause: error });
  // A parser that fails with a SyntaxError and marks it as the client's fault has read bad JSON.
  // A SyntaxError without that mark comes from our own code and is a bug like any other.
  if (error instanceof SyntaxError && fields.status === 400) {
    return new ProblemError('malformed_json', { cause: error });
  }
  if (fields.status !== undefined && fields.status >= 400 && fields.status < 500) {
    return new ProblemError(codeForClientStatus(fields.status), { cause: error });
  }
  return new ProblemError('internal_error', { detail: INTERNAL_ERROR_DETAIL, cause: error });
}

/** The only words a caller ever gets about a fault of ours; the real error goes to the log. */
export const INTERNAL_ERROR_DETAIL =
  'Something went wrong on our side. Quote the request_id if you contact support.';

/**
 * A 4xx from a plugin this layer does not know is still the caller's fault, so the answer stays
 * a 4xx: the code with the same status when the table has one, else the generic 400.
 */
export function codeForClientStatus(status: number): HttpProblemCode {
  const preferred: readonly HttpProblemCode[] = [
    'malformed_request',
    'route_not_found',
    'method_not_allowed',
    'body_too_large',
    'unsupported_media_type',
    'rate_limited',
  ];
  return preferred.find((code) => httpProblemCodes[code].status === status) ?? 'malformed_request';
}

/** Names the offending field the way callers wrote it: `address.city`, `items.0.amount`. */
export function validationProblem(
  issues: readonly ValidationIssue[],
  context: string | undefined,
): ProblemError {
  const issue = issues[0];
  if (issue === undefined) return new ProblemError('validation_failed');
  const param = paramOf(issue);
  return new ProblemError('validation_failed', {
    detail: describeIssue(issue, param, partName(context)),
    ...(param === undefined ? {} : { param }),
  });
}

function paramOf(issue: ValidationIssue): string | undefined {
  const path = pointerSegments(issue.instancePath);
  const child = childProperty(issue);
  if (child !== undefined) path.push(child);
  return path.length === 0 ? undefined : path.join('.');
}

/** `required` and `additionalProperties` report the parent object; the field is in params. */
function childProperty(issue: ValidationIssue): string | undefined {
  const name =
    issue.keyword === 'required'
      ? issue.params['missingProperty']
      : issue.keyword === 'additionalProperties'
        ? issue.params['additionalProperty']
        : undefined;
  return typeof name === 'string' ? name : undefined;
}

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function describeIssue(issue: ValidationIssue, param: string | undefined, part: string): string {
  if (issue.keyword === 'required') return `The ${part} is missing the required field '${param}'.`;
  if (issue.keyword === 'additionalProperties') {
    return `The ${part} has an unknown field '${param}'.`;
  }
  const message = issue.message ?? 'is not valid';
  return param === undefined
    ? `The ${part} ${message}.`
    : `The field '${param}' in the ${part} ${message}.`;
}

function partName(context: string | undefined): string {
  switch (context) {
    case 'querystring':
      return 'query string';
    case 'params':
      return 'path';
    case 'headers':
      return 'headers';
    default:
      return 'request body';
  }
}

function errorFields(error: unknown): ErrorFields {
  if (typeof error !== 'object' || error === null) {
    return {
      code: undefined,
      status: undefined,
      validation: undefined,
      validationContext: undefined,
    };
  }
  const record = error as Readonly<Record<string, unknown>>;
  const status = record['statusCode'] ?? record['status'];
  return {
    code: typeof record['code'] === 'string' ? record['code'] : undefined,
    status: typeof status === 'number' && Number.isInteger(status) ? status : undefined,
    validation: Array.isArray(record['validation'])
      ? record['validation'].filter(isValidationIssue)
      : undefined,
    validationContext:
      typeof record['validationContext'] === 'string' ? record['validationContext'] : undefined,
  };
}

function isValidationIssue(value: unknown): value is ValidationIssue {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Readonly<Record<string, unknown>>;
  return (
    typeof record['keyword'] === 'string' &&
    typeof record['instancePath'] === 'string' &&
    typeof record['params'] === 'object' &&
    record['params'] !== null
  );
}
