/**
 * The one way the web apps talk to the API: JSON in and out, the session cookie with its CSRF
 * token echoed in a header, the UI language in Accept-Language (so that a problem's `title` comes
 * back translated), and problem+json failures thrown as `ApiError`.
 */

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly param?: string;
  readonly request_id?: string;
  readonly [extra: string]: unknown;
}

/** The API answered with a problem. Its `title` is already in the UI language. */
export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.title);
    this.name = 'ApiError';
    this.problem = problem;
  }
  get code(): string {
    return this.problem.code;
  }
  get status(): number {
    return this.problem.status;
  }
}

/**
 * No answer reached us (offline, connection reset, server down). Whether a money-moving request
 * took effect is unknown: repeat it with the same Idempotency-Key to find out.
 */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super('network', { cause });
    this.name = 'NetworkError';
  }
}

const CSRF_COOKIE = 'hebao_csrf';
let language = 'zh-CN';
const signedOutListeners = new Set<() => void>();

export function setApiLanguage(next: string): void {
  language = next;
}

/** Called when the API says the session is gone, so the app can go to its sign-in page. */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  readonly body?: unknown;
  readonly idempotencyKey?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options, 'application/json');
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** For answers that are not JSON (SVG, CSV): the body as text. */
export async function apiText(path: string, accept: string): Promise<string> {
  const response = await send(path, {}, accept);
  return response.text();
}

async function send(path: string, options: RequestOptions, accept: string): Promise<Response> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = {
    accept,
    'accept-language': language,
    ...options.headers,
  };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') {
    const csrf = readCookie(CSRF_COOKIE);
    if (csrf !== undefined) headers['x-csrf-token'] = csrf;
  }
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new NetworkError(error);
  }
  if (response.ok) return response;
  const problem = await problemOf(response);
  if (problem.code === 'unauthenticated' || problem.code === 'session_expired') {
    for (const listener of signedOutListeners) listener();
  }
  throw new ApiError(problem);
}

async function problemOf(response: Response): Promise<Problem> {
  try {
    const body = (await response.json()) as Partial<Problem>;
    if (typeof body.code === 'string' && typeof body.title === 'string') {
      return { ...body, type: body.type ?? '', status: response.status } as Problem;
    }
  } catch {
    // Not JSON: a proxy's error page, say. Fall through to a generic problem.
  }
  return {
    type: 'about:blank',
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    code: response.status >= 500 ? 'server_error' : 'unexpected_response',
  };
}

function readCookie(name: string): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [key, value] = part.trim().split('=');
    if (key === name && value !== undefined && value !== '') return value;
  }
  return undefined;
}

/** The field a problem is about (`param`), for showing it next to that field. */
export function fieldError(error: unknown, param: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const at = error.problem.param;
  if (at === undefined) return undefined;
  return at === param || at.startsWith(`${param}.`) ? error.problem.title : undefined;
}
