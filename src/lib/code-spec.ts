/**
 * The shape of every code table a caller can see (HTTP problems, identity outcomes, and the
 * domains to come): the HTTP status a route answers with, whether sending the same request again
 * can succeed, and a short title in both languages the product speaks.
 */
export type Language = 'en' | 'zh-CN';

export interface CodeSpec {
  readonly status: number;
  /** Whether sending the same request again, unchanged, can succeed. */
  readonly retryable: boolean;
  readonly title: Readonly<Record<Language, string>>;
}

/** A business outcome that went against the caller, as a domain service returns it. */
export interface Failure<Code extends string> {
  readonly ok: false;
  readonly code: Code;
  readonly param?: string;
  readonly detail?: string;
  /** Set when waiting can help: the caller may try again after this many seconds. */
  readonly retryAfterSeconds?: number;
}

export function failure<Code extends string>(
  code: Code,
  extra: Omit<Failure<Code>, 'ok' | 'code'> = {},
): Failure<Code> {
  return { ok: false, code, ...extra };
}
