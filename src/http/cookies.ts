/**
 * The two cookie operations the API needs, without a plugin: read the Cookie header, and write a
 * Set-Cookie value. Names and values here are our own tokens (base64url), so no encoding is
 * needed beyond refusing anything else.
 */
const TOKEN = /^[A-Za-z0-9_\-.~]*$/;

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';', 50)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return TOKEN.test(value) && value !== '' ? value : undefined;
  }
  return undefined;
}

export interface CookieOptions {
  readonly maxAgeSeconds: number;
  readonly httpOnly: boolean;
  readonly secure: boolean;
}

export function setCookieValue(name: string, value: string, options: CookieOptions): string {
  if (!TOKEN.test(name) || !TOKEN.test(value)) throw new TypeError('cookie name or value');
  return [
    `${name}=${value}`,
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    'SameSite=Strict',
    ...(options.httpOnly ? ['HttpOnly'] : []),
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}
