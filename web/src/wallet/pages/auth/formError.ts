/**
 * A form shows an API problem next to the field it is about (`fieldError`), and every other
 * problem once, above the buttons. This picks the problems that belong above the buttons.
 */
import { ApiError } from '../../../shared/api';

export function unlessField(error: unknown, fields: readonly string[]): unknown {
  if (error === null || error === undefined) return undefined;
  if (!(error instanceof ApiError)) return error;
  const param = error.problem.param;
  if (param === undefined) return error;
  return fields.some((field) => param === field || param.startsWith(`${field}.`))
    ? undefined
    : error;
}
