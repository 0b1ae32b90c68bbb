/**
 * Goal: the pure parts of webhooks decide as documented: signatures (what a receiver checks),
 * which addresses and URLs deliveries may go to, and how response excerpts are kept. Needs no
 * database. The retry schedule and event types are tested in webhooks-core.test.ts.
 */
import { createHmac } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { limits } from '../limits.js';
import {
  generateWebhookSecret,
  signWebhook,
  verifyWebhookSignature,
  WEBHOOK_SECRET_PATTERN,
} from './webhook-signature.js';
import {
  checkWebhookUrl,
  classifyAddress,
  excerptText,
  isAddressAllowed,
  parseWebhookUrl,
  type AddressKind,
  type WebhookResolver,
} from './webhook-url.js';

const SECRET = 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const OTHER = 'whsec_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
const BODY =
  '{"id":"evt_1","type":"payment_intent.succeeded","created":"2031-03-14T10:00:00.000Z"}';
const T = 1_931_234_567;

const hmac = (secret: string, t: number, body: string) =>
  createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');

describe('webhook signatures', () => {
  it('secrets are whsec_ and 32 random bytes in base64url', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(WEBHOOK_SECRET_PATTERN);
    expect(Buffer.from(a.slice('whsec_'.length), 'base64url')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(a);
  });

  it('signs t=<seconds>,v1=<hex HMAC-SHA256 of "t.body"> and verifies its own signature', () => {
    const header = signWebhook(SECRET, BODY, T);
    expect(header).toBe(`t=${T},v1=${hmac(SECRET, T, BODY)}`);
    expect(verifyWebhookSignature(header, BODY, SECRET, T)).toEqual({ ok: true, timestamp: T });
    expect(verifyWebhookSignature(header, Buffer.from(BODY), SECRET, T + 300).ok).toBe(true);
  });

  it.each([
    ['a tampered body', BODY.replace('succeeded', 'failed'), SECRET],
    ['a body with a trailing newline', `${BODY}\n`, SECRET],
    ['another secret', BODY, OTHER],
  ])('refuses %s as signature_mismatch', (_what, body, secret) => {
    const header = signWebhook(SECRET, BODY, T);
    expect(verifyWebhookSignature(header, body, secret, T)).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('refuses timestamps more than five minutes old or ahead, but only on a genuine signature', () => {
    const header = signWebhook(SECRET, BODY, T);
    expect(verifyWebhookSignature(header, BODY, SECRET, T + 301)).toEqual({
      ok: false,
      reason: 'timestamp_too_old',
    });
    expect(verifyWebhookSignature(header, BODY, SECRET, T - 301)).toEqual({
      ok: false,
      reason: 'timestamp_in_future',
    });
    expect(verifyWebhookSignature(header, BODY, SECRET, T + 60, 30).ok).toBe(false);
    const moved = header.replace(`t=${T}`, `t=${T + 1}`);
    expect(verifyWebhookSignature(moved, BODY, SECRET, T)).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('signs with both secrets during a rotation, and either receiver accepts', () => {
    const header = signWebhook([OTHER, SECRET], BODY, T);
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(verifyWebhookSignature(header, BODY, SECRET, T).ok).toBe(true);
    expect(verifyWebhookSignature(header, BODY, OTHER, T).ok).toBe(true);
    const third = 'whsec_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC';
    expect(verifyWebhookSignature(header, BODY, third, T).ok).toBe(false);
  });

  it('ignores unknown schemes but needs a v1', () => {
    const header = `${signWebhook(SECRET, BODY, T)},v0=abc`;
    expect(verifyWebhookSignature(header, BODY, SECRET, T).ok).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['no timestamp', `v1=${hmac(SECRET, T, BODY)}`],
    ['no signature', `t=${T}`],
    ['only an unknown scheme', `t=${T},v2=${hmac(SECRET, T, BODY)}`],
    ['a timestamp that is no number', `t=soon,v1=${hmac(SECRET, T, BODY)}`],
    ['a negative timestamp', `t=-${T},v1=${hmac(SECRET, T, BODY)}`],
    ['two timestamps', `t=${T},t=${T},v1=${hmac(SECRET, T, BODY)}`],
    ['a short signature', `t=${T},v1=abcd`],
    ['an upper-case signature', `t=${T},v1=${hmac(SECRET, T, BODY).toUpperCase()}`],
    ['a part with two =', `t=${T},v1=${hmac(SECRET, T, BODY)}=`],
    ['an oversized header', `t=${T},v1=${hmac(SECRET, T, BODY)},x=${'a'.repeat(2000)}`],
    ['too many signatures', `t=${T}${`,v1=${hmac(SECRET, T, BODY)}`.repeat(5)}`],
  ])('refuses %s as malformed_header', (_what, header) => {
    expect(verifyWebhookSignature(header, BODY, SECRET, T)).toEqual({
      ok: false,
      reason: 'malformed_header',
    });
  });

  it('refuses to sign with no secret, too many, or a timestamp that is not whole seconds', () => {
    expect(() => signWebhook([], BODY, T)).toThrow(RangeError);
    expect(() => signWebhook(Array(5).fill(SECRET), BODY, T)).toThrow(RangeError);
    expect(() => signWebhook(SECRET, BODY, 1.5)).toThrow(RangeError);
  });
});

describe('classifyAddress', () => {
  const cases: ReadonlyArray<readonly [string, AddressKind | undefined]> = [
    ['93.184.216.34', 'public'],
    ['8.8.8.8', 'public'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['100.128.0.1', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'link_local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456:789a::1', 'unique_local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link_local'],
    ['::ffff:93.184.216.34', 'public'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['2002:c0a8:0101::1', 'private'],
    ['2002:0808:0808::1', 'public'],
    ['::10.0.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['2001:0::1', 'reserved'],
    ['100::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['example.com', undefined],
    ['', undefined],
    ['1.2.3', undefined],
    ['256.1.1.1', undefined],
  ];

  it.each(cases)('%s is %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind);
  });

  it('allows public addresses, and loopback (127/8, ::1, not mapped) only when told', () => {
    expect(isAddressAllowed('93.184.216.34', false)).toBe(true);
    for (const ip of ['127.0.0.1', '127.1.2.3', '::1']) {
      expect(isAddressAllowed(ip, false), ip).toBe(false);
      expect(isAddressAllowed(ip, true), ip).toBe(true);
    }
    for (const ip of ['::ffff:127.0.0.1', '10.0.0.1', '169.254.169.254', 'fe80::1', '0.0.0.0']) {
      expect(isAddressAllowed(ip, true), ip).toBe(false);
    }
  });
});

describe('webhook URL policy', () => {
  const dev = { production: false, allowLoopback: false };
  const prod = { production: true, allowLoopback: false };

  it.each([
    ['ftp://example.com/hook', 'webhook_url_invalid'],
    ['example.com/hook', 'webhook_url_invalid'],
    ['https://user:pass@example.com/hook', 'webhook_url_invalid'],
    ['https://user@example.com/hook', 'webhook_url_invalid'],
    [' https://example.com/hook', 'webhook_url_invalid'],
    ['https://exa\nmple.com/hook', 'webhook_url_invalid'],
    [`https://example.com/${'a'.repeat(limits.webhookUrlLengthMax)}`, 'webhook_url_invalid'],
    ['', 'webhook_url_invalid'],
    ['https://10.0.0.1/hook', 'webhook_url_forbidden_address'],
    ['https://127.0.0.1:8443/hook', 'webhook_url_forbidden_address'],
    ['https://0x7f.1/hook', 'webhook_url_forbidden_address'],
    ['https://2130706433/hook', 'webhook_url_forbidden_address'],
    ['https://[::1]/hook', 'webhook_url_forbidden_address'],
    ['https://[::ffff:192.168.0.1]/hook', 'webhook_url_forbidden_address'],
    ['https://[fe80::1]/hook', 'webhook_url_forbidden_address'],
    ['https://169.254.169.254/latest/meta-data', 'webhook_url_forbidden_address'],
  ])('refuses %s with %s', (url, code) => {
    const result = parseWebhookUrl(url, dev);
    expect(result.ok ? 'ok' : result.code).toBe(code);
  });

  it('needs https in production, allows http in development, and any port', () => {
    const http = 'http://shop.example:8080/hook';
    expect(parseWebhookUrl(http, dev).ok).toBe(true);
    const refused = parseWebhookUrl(http, prod);
    expect(refused.ok ? 'ok' : refused.code).toBe('webhook_url_not_https');
    expect(parseWebhookUrl('https://shop.example:8443/hook?x=1', prod).ok).toBe(true);
  });

  it('allows a loopback literal only with allowLoopback, and only outright loopback', () => {
    const loopback = { production: false, allowLoopback: true };
    expect(parseWebhookUrl('http://127.0.0.1:3000/hook', loopback).ok).toBe(true);
    expect(parseWebhookUrl('http://[::1]:3000/hook', loopback).ok).toBe(true);
    expect(parseWebhookUrl('http://10.0.0.1/hook', loopback).ok).toBe(false);
  });

  const answers: Record<string, readonly string[]> = {
    'shop.example': ['93.184.216.34', '2606:4700:4700::1111'],
    'private.example': ['10.0.0.7'],
    'mixed.example': ['93.184.216.34', '192.168.1.20'],
    'cgnat.example': ['100.64.3.4'],
    'loopback.example': ['127.0.0.1', '::1'],
    'linklocal.example': ['169.254.169.254'],
    'v6private.example': ['2606:4700:4700::1111', 'fd00::5'],
    'mapped.example': ['::ffff:10.0.0.1'],
    'nothing.example': [],
  };
  const resolver: WebhookResolver = async (host) => {
    const found = answers[host];
    if (found === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return found.map((address): LookupAddress => ({
      address,
      family: address.includes(':') ? 6 : 4,
    }));
  };
  const check = async (url: string, policy = dev) => {
    const result = await checkWebhookUrl(url, { ...policy, resolver });
    return result.ok ? 'ok' : result.code;
  };

  it.each([
    ['https://shop.example/hook', 'ok'],
    ['https://private.example/hook', 'webhook_url_forbidden_address'],
    ['https://mixed.example/hook', 'webhook_url_forbidden_address'],
    ['https://cgnat.example/hook', 'webhook_url_forbidden_address'],
    ['https://loopback.example/hook', 'webhook_url_forbidden_address'],
    ['https://linklocal.example/hook', 'webhook_url_forbidden_address'],
    ['https://v6private.example/hook', 'webhook_url_forbidden_address'],
    ['https://mapped.example/hook', 'webhook_url_forbidden_address'],
    ['https://nothing.example/hook', 'webhook_url_unresolvable'],
    ['https://nowhere.example/hook', 'webhook_url_unresolvable'],
  ])('resolves %s: %s', async (url, expected) => {
    expect(await check(url)).toBe(expected);
  });

  it('allows a name that resolves to loopback only with allowLoopback', async () => {
    expect(
      await check('http://loopback.example/hook', { production: false, allowLoopback: true }),
    ).toBe('ok');
  });

  it('gives up on a lookup that does not answer', async () => {
    const slow: WebhookResolver = () => new Promise(() => undefined);
    const started = Date.now();
    const result = await checkWebhookUrl('https://slow.example/', { ...dev, resolver: slow });
    expect(result.ok ? 'ok' : result.code).toBe('webhook_url_unresolvable');
    expect(Date.now() - started).toBeLessThan(limits.webhookDnsTimeoutMs + 2000);
  }, 20_000);

  it('names the kind of a refused address but not the address', async () => {
    const result = await checkWebhookUrl('https://private.example/', { ...dev, resolver });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.detail).toContain('private');
      expect(result.detail).not.toContain('10.0.0.7');
    }
  });
});

describe('response excerpts', () => {
  it('keeps response excerpts within their bytes, as text PostgreSQL can hold', () => {
    expect(excerptText(Buffer.from('ok\u0000!'), 100)).toBe('ok!');
    expect(Buffer.byteLength(excerptText(Buffer.alloc(50, 0xff), 20))).toBeLessThanOrEqual(20);
    expect(excerptText(Buffer.from('荷包荷包'), 7)).toBe('荷包');
  });
});
