import { promises as dns, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, isIPv4, isIPv6, type LookupFunction } from 'node:net';
import { failure, type Failure } from '../lib/code-spec.js';
import { limits } from '../limits.js';

/**
 * Where webhook deliveries may go (API.md: https in production, never to private, loopback or
 * link-local addresses). A merchant chooses the URL, so without these rules the delivery worker
 * would POST into Hebao's own network for anyone who asks (server-side request forgery).
 *
 * The host is resolved and refused if ANY of its addresses is not public, both when an endpoint
 * is saved and again before every attempt, because DNS answers change (DNS rebinding: public when
 * checked, 127.0.0.1 when used). The built-in transport then connects to an address it checked,
 * never resolving the name a second time, so nothing can change between the check and the use.
 */

export type WebhookUrlCode =
  | 'webhook_url_invalid'
  | 'webhook_url_not_https'
  | 'webhook_url_forbidden_address'
  | 'webhook_url_unresolvable';

export type WebhookUrlFailure = Failure<WebhookUrlCode>;

/** Every address of a host name, as `dns.promises.lookup(host, { all: true })` answers. */
export type WebhookResolver = (hostname: string) => Promise<readonly LookupAddress[]>;

export const systemResolver: WebhookResolver = (hostname) =>
  dns.lookup(hostname, { all: true, verbatim: true });

export interface WebhookUrlPolicy {
  /** Production: https only. */
  readonly production: boolean;
  /** Development: 127.0.0.0/8 and ::1 are allowed, for a receiver on the same machine. */
  readonly allowLoopback: boolean;
}

/** A URL that passed the policy, with the addresses its host had when it was checked. */
export interface CheckedWebhookUrl {
  readonly url: URL;
  readonly addresses: readonly LookupAddress[];
}

/**
 * `public` is the only kind deliveries may go to. `private` includes CGNAT (100.64.0.0/10) and
 * IPv6 site-local; `reserved` is everything else that is not global unicast: documentation and
 * benchmarking ranges, 240.0.0.0/4 and broadcast, IPv4-compatible IPv6, Teredo, space outside
 * 2000::/3.
 */
export type AddressKind =
  | 'public'
  | 'private'
  | 'loopback'
  | 'link_local'
  | 'unique_local'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

/** Ranges that hold an IPv4 address inside an IPv6 one are judged by that IPv4 address. */
type RangeKind = AddressKind | 'embedded_ipv4_low' | 'embedded_ipv4_6to4';

const IPV4_RANGES: ReadonlyArray<readonly [string, number, AddressKind]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'private'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link_local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

/** First match wins, so the exceptions inside 2000::/3 come before it. */
const IPV6_RANGES: ReadonlyArray<readonly [string, number, RangeKind]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::ffff:0:0', 96, 'embedded_ipv4_low'],
  ['64:ff9b::', 96, 'embedded_ipv4_low'],
  ['64:ff9b:1::', 48, 'reserved'],
  ['::', 96, 'reserved'],
  ['2001::', 23, 'reserved'],
  ['2001:db8::', 32, 'reserved'],
  ['2002::', 16, 'embedded_ipv4_6to4'],
  ['3fff::', 20, 'reserved'],
  ['2000::', 3, 'public'],
  ['fc00::', 7, 'unique_local'],
  ['fe80::', 10, 'link_local'],
  ['fec0::', 10, 'private'],
  ['ff00::', 8, 'multicast'],
  ['::', 0, 'reserved'],
];

/** What kind of address `ip` is; undefined when it is no IP address at all. */
export function classifyAddress(ip: string): AddressKind | undefined {
  const v4 = ipv4Value(ip);
  if (v4 !== undefined) return classifyIPv4(v4);
  const v6 = ipv6Value(ip);
  if (v6 === undefined) return undefined;
  for (const [base, bits, kind] of IPV6_RANGES) {
    if (!inIPv6Range(v6, base, bits)) continue;
    if (kind === 'embedded_ipv4_low') return classifyIPv4(Number(v6 & 0xffffffffn));
    if (kind === 'embedded_ipv4_6to4') return classifyIPv4(Number((v6 >> 80n) & 0xffffffffn));
    return kind;
  }
  return 'reserved';
}

/**
 * Whether a delivery may connect to `ip`. `allowLoopback` admits exactly 127.0.0.0/8 and ::1, not
 * their IPv4-mapped or NAT64 spellings, which only a trick would produce.
 */
export function isAddressAllowed(ip: string, allowLoopback: boolean): boolean {
  const kind = classifyAddress(ip);
  if (kind === 'public') return true;
  if (!allowLoopback || kind !== 'loopback') return false;
  return isIPv4(ip) || ipv6Value(ip) === 1n;
}

function classifyIPv4(value: number): AddressKind {
  for (const [base, bits, kind] of IPV4_RANGES) {
    const shift = 32 - bits;
    if (value >>> shift === ipv4Value(base)! >>> shift) return kind;
  }
  return 'public';
}

function ipv4Value(ip: string): number | undefined {
  if (!isIPv4(ip)) return undefined;
  return ip.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

/** The 128-bit value of an IPv6 address (a zone such as `%eth0` is dropped). */
function ipv6Value(ip: string): bigint | undefined {
  const text = ip.split('%')[0]!;
  if (!isIPv6(text)) return undefined;
  let body = text;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const v4 = ipv4Value(text.slice(lastColon + 1));
  if (v4 !== undefined) {
    tail.push(v4 >>> 16, v4 & 0xffff);
    body = text.slice(0, lastColon + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  const groups = (part: string | undefined) =>
    part === undefined || part === '' ? [] : part.split(':').map((g) => parseInt(g, 16));
  const left = groups(halves[0]);
  const right = groups(halves[1]);
  const zeros = 8 - left.length - right.length - tail.length;
  const all = [
    ...left,
    ...Array<number>(halves.length === 2 ? zeros : 0).fill(0),
    ...right,
    ...tail,
  ];
  if (all.length !== 8) return undefined;
  return all.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

function inIPv6Range(value: bigint, base: string, bits: number): boolean {
  const shift = BigInt(128 - bits);
  return value >> shift === ipv6Value(base)! >> shift;
}

/**
 * The checks that need no DNS: an absolute http(s) URL of bounded length, https in production, no
 * credentials, and, for an IP literal host, an allowed address. White space and control
 * characters are refused rather than silently dropped, as URL parsing would.
 */
export function parseWebhookUrl(
  text: string,
  policy: WebhookUrlPolicy,
): { readonly ok: true; readonly url: URL } | WebhookUrlFailure {
  const invalid = (detail: string) => failure('webhook_url_invalid', { param: 'url', detail });
  const lengthMax = limits.webhookUrlLengthMax;
  if (typeof text !== 'string' || text.length === 0 || text.length > lengthMax) {
    return invalid(`a URL of 1 to ${lengthMax} characters`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f-\u009f]/.test(text)) return invalid('no spaces or control characters');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid('not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return invalid('an http(s) URL');
  if (url.protocol === 'http:' && policy.production) {
    return failure('webhook_url_not_https', { param: 'url', detail: 'use an https URL' });
  }
  if (url.username !== '' || url.password !== '') return invalid('no user name or password');
  if (url.href.length > lengthMax) return invalid(`a URL of 1 to ${lengthMax} characters`);
  const host = hostOf(url);
  if (isIP(host) !== 0 && !isAddressAllowed(host, policy.allowLoopback)) {
    return forbidden(host);
  }
  return { ok: true, url };
}

/**
 * The whole policy: `parseWebhookUrl`, then the host's addresses, each of which must be allowed.
 * A lookup that fails, times out or finds nothing makes the URL unresolvable.
 */
export async function checkWebhookUrl(
  text: string,
  policy: WebhookUrlPolicy & { readonly resolver: WebhookResolver },
): Promise<({ readonly ok: true } & CheckedWebhookUrl) | WebhookUrlFailure> {
  const parsed = parseWebhookUrl(text, policy);
  if (!parsed.ok) return parsed;
  const host = hostOf(parsed.url);
  const family = isIP(host);
  if (family !== 0) return { ok: true, url: parsed.url, addresses: [{ address: host, family }] };
  let addresses: readonly LookupAddress[];
  try {
    addresses = await withTimeout(policy.resolver(host), limits.webhookDnsTimeoutMs);
  } catch {
    addresses = [];
  }
  if (addresses.length === 0) {
    const detail = 'the host name has no address';
    return failure('webhook_url_unresolvable', { param: 'url', detail });
  }
  const refused = addresses.find((a) => !isAddressAllowed(a.address, policy.allowLoopback));
  if (refused !== undefined) return forbidden(refused.address);
  return { ok: true, url: parsed.url, addresses };
}

/** Names the kind of address but not the address, which may be from Hebao's own network. */
function forbidden(address: string): WebhookUrlFailure {
  const kind = (classifyAddress(address) ?? 'reserved').replace('_', '-');
  const detail = `the host is or resolves to a ${kind} address`;
  return failure('webhook_url_forbidden_address', { param: 'url', detail });
}

function hostOf(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One POST of a delivery. */
export interface WebhookPost {
  readonly target: CheckedWebhookUrl;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly excerptBytesMax: number;
}

export interface WebhookResponse {
  readonly status: number;
  /** The start of the response body, as text, for the delivery log. */
  readonly excerpt: string;
}

/**
 * POSTs to an address of the checked ones: the host name is never looked up again (the lookup
 * answers from the list), while TLS still verifies the certificate against the host name. No
 * agent, so no pooled connection to another address is reused; node:http never follows
 * redirects. The timeout covers the whole exchange, body included; a body cut short by it or by
 * the excerpt limit still leaves the status.
 */
export function postPinned(post: WebhookPost): Promise<WebhookResponse> {
  const { url, addresses } = post.target;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...post.headers, 'Content-Length': String(Buffer.byteLength(post.body)) },
        agent: false,
        lookup: pinnedLookup(addresses),
        signal: AbortSignal.timeout(post.timeoutMs),
      },
      (response) => {
        readExcerpt(response, post.excerptBytesMax).then(
          (excerpt) => resolve({ status: response.statusCode ?? 0, excerpt }),
          reject,
        );
      },
    );
    req.on('error', reject);
    req.end(post.body);
  });
}

function pinnedLookup(addresses: readonly LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const first = addresses[0]!;
    if (options.all === true)
      callback(
        null,
        addresses.map((a) => ({ ...a })),
      );
    else callback(null, first.address, first.family);
  };
}

function readExcerpt(response: IncomingMessage, bytesMax: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      const kept = chunk.subarray(0, bytesMax - size);
      chunks.push(kept);
      size += kept.length;
      if (size >= bytesMax) response.destroy();
    });
    // Aborted by the timeout or by the limit above: the excerpt is what came.
    response.on('error', () => undefined);
    response.on('close', () => resolve(excerptText(Buffer.concat(chunks), bytesMax)));
  });
}

/**
 * POSTs through an injected `fetch` (a proxy's, a test's). Redirects are returned, not followed.
 * The host is looked up again by `fetch` itself, so the address is checked before the request but
 * not pinned.
 */
export async function postWithFetch(
  fetchFn: typeof fetch,
  post: WebhookPost,
): Promise<WebhookResponse> {
  const response = await fetchFn(post.target.url, {
    method: 'POST',
    headers: post.headers,
    body: post.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(post.timeoutMs),
  });
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  try {
    while (reader !== undefined && size < post.excerptBytesMax) {
      const { done, value } = await reader.read();
      if (done) break;
      const kept = Buffer.from(value).subarray(0, post.excerptBytesMax - size);
      chunks.push(kept);
      size += kept.length;
    }
  } catch {
    // The timeout cut the body short: the excerpt is what came.
  } finally {
    await reader?.cancel().catch(() => undefined);
  }
  return {
    status: response.status,
    excerpt: excerptText(Buffer.concat(chunks), post.excerptBytesMax),
  };
}

/**
 * Bytes as UTF-8 text of at most `bytesMax` bytes, without NUL (which PostgreSQL's text cannot
 * hold). Undecodable bytes become U+FFFD, which is longer, so the text is cut again by its bytes.
 */
export function excerptText(bytes: Uint8Array, bytesMax: number): string {
  const text = new TextDecoder().decode(bytes).replaceAll('\u0000', '');
  let size = 0;
  let out = '';
  for (const char of text) {
    size += Buffer.byteLength(char);
    if (size > bytesMax) break;
    out += char;
  }
  return out;
}
