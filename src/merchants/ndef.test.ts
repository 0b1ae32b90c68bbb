import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NDEF_URI_PREFIXES,
  TNF,
  decodeNdefMessage,
  encodeNdefUri,
  firstUri,
  paymentPayloadFromUri,
  paymentRequestUri,
} from './ndef.js';

const MB = 0x80;
const ME = 0x40;
const CF = 0x20;
const SR = 0x10;
const IL = 0x08;

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));
const hex = (bytes: Uint8Array): string =>
  [...bytes].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');

/** A short record from its parts, flags given whole, for messages the encoder does not write. */
function shortRecord(flags: number, type: string, payload: number[], id?: string): number[] {
  const idPart = id === undefined ? [] : ascii(id);
  const idLength = id === undefined ? [] : [idPart.length];
  return [flags, type.length, payload.length, ...idLength, ...ascii(type), ...idPart, ...payload];
}

/** "https://example.com" as the NFC Forum URI record type definition writes it. */
const EXAMPLE = [
  0xd1, 0x01, 0x0c, 0x55, 0x04, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d,
];

/** The URI identifier codes of the URI record type definition, table 3, copied from it. */
const SPEC_PREFIXES: readonly (readonly [code: number, prefix: string])[] = [
  [0x00, ''],
  [0x01, 'http://www.'],
  [0x02, 'https://www.'],
  [0x03, 'http://'],
  [0x04, 'https://'],
  [0x05, 'tel:'],
  [0x06, 'mailto:'],
  [0x07, 'ftp://anonymous:anonymous@'],
  [0x08, 'ftp://ftp.'],
  [0x09, 'ftps://'],
  [0x0a, 'sftp://'],
  [0x0b, 'smb://'],
  [0x0c, 'nfs://'],
  [0x0d, 'ftp://'],
  [0x0e, 'dav://'],
  [0x0f, 'news:'],
  [0x10, 'telnet://'],
  [0x11, 'imap:'],
  [0x12, 'rtsp://'],
  [0x13, 'urn:'],
  [0x14, 'pop:'],
  [0x15, 'sip:'],
  [0x16, 'sips:'],
  [0x17, 'tftp:'],
  [0x18, 'btspp://'],
  [0x19, 'btl2cap://'],
  [0x1a, 'btgoep://'],
  [0x1b, 'tcpobex://'],
  [0x1c, 'irdaobex://'],
  [0x1d, 'file://'],
  [0x1e, 'urn:epc:id:'],
  [0x1f, 'urn:epc:tag:'],
  [0x20, 'urn:epc:pat:'],
  [0x21, 'urn:epc:raw:'],
  [0x22, 'urn:epc:'],
  [0x23, 'urn:nfc:'],
];

const BASE = 'https://pay.hebao.example/c/';
/** Shaped like a static collection code's EMVCo payload; nothing here reads its CRC. */
const EMV_PAYLOAD =
  '00020101021126280008hebao.cn0112m_8f3k2q9x7w5204581253031565802CN5909Tea House6007Beijing6304A1B2';

describe('encodeNdefUri', () => {
  it('writes https://example.com as the specification does', () => {
    expect(hex(encodeNdefUri('https://example.com'))).toBe(hex(Uint8Array.from(EXAMPLE)));
  });

  it('carries the whole prefix table', () => {
    expect(NDEF_URI_PREFIXES).toEqual(SPEC_PREFIXES.map(([, prefix]) => prefix));
  });

  it.each(SPEC_PREFIXES)('abbreviates with code %i and reads it back', (code, prefix) => {
    const uri = `${prefix}x`;
    const bytes = encodeNdefUri(uri);
    expect(bytes[4]).toBe(code);
    expect(bytes.subarray(5)).toEqual(Uint8Array.from(ascii('x')));
    expect(firstUri(bytes)).toBe(uri);
  });

  it.each([
    ['https://www.hebao.example/', 0x02],
    ['http://www.hebao.example/', 0x01],
    ['ftp://anonymous:anonymous@ftp.example', 0x07],
    ['ftp://ftp.example', 0x08],
    ['urn:epc:id:sgtin:1', 0x1e],
    ['urn:epc:raw:1', 0x21],
    ['urn:nfc:wkt:U', 0x23],
    ['urn:isbn:0451450523', 0x13],
    ['hebao:pay', 0x00],
    // Prefixes match exactly: an upper-case scheme goes in whole.
    ['HTTPS://hebao.example/', 0x00],
  ])('picks the longest prefix of %s', (uri, code) => {
    const bytes = encodeNdefUri(uri);
    expect(bytes[4]).toBe(code);
    expect(firstUri(bytes)).toBe(uri);
  });

  it('writes a short record up to 255 payload bytes and a long one beyond', () => {
    const short = encodeNdefUri(`https://${'a'.repeat(254)}`);
    expect([...short.subarray(0, 3)]).toEqual([0xd1, 0x01, 0xff]);
    expect(short).toHaveLength(3 + 1 + 255);
    const long = encodeNdefUri(`https://${'a'.repeat(255)}`);
    expect([...long.subarray(0, 8)]).toEqual([0xc1, 0x01, 0x00, 0x00, 0x01, 0x00, 0x55, 0x04]);
    expect(long).toHaveLength(6 + 1 + 256);
  });

  it('round-trips a long payment request', () => {
    const uri = paymentRequestUri(BASE, `${EMV_PAYLOAD}${'茶馆'.repeat(20)}`);
    const bytes = encodeNdefUri(uri);
    expect(uri.length).toBeGreaterThan(300);
    expect(bytes[0]).toBe(MB | ME | TNF.wellKnown);
    const decoded = decodeNdefMessage(bytes);
    expect(decoded).toMatchObject({ ok: true, records: [{ tnf: TNF.wellKnown, type: 'U', uri }] });
  });

  it('keeps a leading byte order mark, which is data here', () => {
    expect(firstUri(encodeNdefUri('\uFEFFhebao:x'))).toBe('\uFEFFhebao:x');
  });

  it('round-trips any URI, whatever its length or script', () => {
    fc.assert(
      fc.property(fc.oneof(fc.webUrl(), fc.string({ unit: 'grapheme', maxLength: 400 })), (uri) => {
        const decoded = decodeNdefMessage(encodeNdefUri(uri));
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) return;
        expect(decoded.records).toHaveLength(1);
        expect(decoded.records[0]!.uri).toBe(uri);
      }),
    );
  });
});

describe('decodeNdefMessage', () => {
  it('reads the example record whole', () => {
    expect(decodeNdefMessage(Uint8Array.from(EXAMPLE))).toEqual({
      ok: true,
      records: [
        {
          tnf: TNF.wellKnown,
          type: 'U',
          payload: Uint8Array.from(EXAMPLE.slice(4)),
          uri: 'https://example.com',
        },
      ],
    });
  });

  it('reads every record of a message and finds the URI among them', () => {
    const text = [0x02, ...ascii('enHebao')];
    const bytes = Uint8Array.from([
      ...shortRecord(MB | SR | TNF.wellKnown, 'T', text),
      ...shortRecord(SR | TNF.media, 'text/plain', ascii('hi')),
      ...shortRecord(ME | SR | TNF.wellKnown, 'U', [0x04, ...ascii('hebao.example')]),
    ]);
    const decoded = decodeNdefMessage(bytes);
    expect(decoded).toMatchObject({
      ok: true,
      records: [
        { tnf: TNF.wellKnown, type: 'T', payload: Uint8Array.from(text) },
        { tnf: TNF.media, type: 'text/plain', payload: Uint8Array.from(ascii('hi')) },
        { tnf: TNF.wellKnown, type: 'U', uri: 'https://hebao.example' },
      ],
    });
    if (decoded.ok) expect(decoded.records[0]).not.toHaveProperty('uri');
    expect(firstUri(bytes)).toBe('https://hebao.example');
  });

  it('reads an identifier', () => {
    const bytes = Uint8Array.from(
      shortRecord(MB | ME | SR | IL | TNF.wellKnown, 'U', [0x00, ...ascii('hebao:x')], '#1'),
    );
    expect(decodeNdefMessage(bytes)).toMatchObject({
      ok: true,
      records: [{ type: 'U', id: '#1', uri: 'hebao:x' }],
    });
  });

  it.each([
    ['the empty record', shortRecord(MB | ME | SR | TNF.empty, '', [])],
    ['a text record with no payload', shortRecord(MB | ME | SR | TNF.wellKnown, 'T', [])],
    ['a record of unknown type', shortRecord(MB | ME | SR | TNF.unknown, '', [1, 2])],
  ])('reads %s', (_name, bytes) => {
    expect(decodeNdefMessage(Uint8Array.from(bytes)).ok).toBe(true);
    expect(firstUri(Uint8Array.from(bytes))).toBeUndefined();
  });

  it('reads a message inside a larger buffer', () => {
    const buffer = Uint8Array.from([0xaa, ...EXAMPLE, 0xbb]);
    expect(firstUri(buffer.subarray(1, 1 + EXAMPLE.length))).toBe('https://example.com');
  });

  const uri = (payload: number[]) => shortRecord(MB | ME | SR | TNF.wellKnown, 'U', payload);
  const text = (flags: number) => shortRecord(flags | SR | TNF.wellKnown, 'T', [0x02]);
  it.each([
    ['no bytes', [], 'ndef_malformed'],
    ['a payload length past the end', [0xd1, 0x01, 0x0d, ...EXAMPLE.slice(3)], 'ndef_malformed'],
    ['a byte after the last record', [...EXAMPLE, 0x00], 'ndef_malformed'],
    [
      'a payload length short of the end',
      [0xd1, 0x01, 0x0b, ...EXAMPLE.slice(3)],
      'ndef_malformed',
    ],
    ['a long length past the end', [0xc1, 0x01, 0xff, 0xff, 0xff, 0xff, 0x55], 'ndef_malformed'],
    ['a first record without MB', text(ME), 'ndef_malformed'],
    ['MB on a second record', [...text(MB), ...text(MB | ME)], 'ndef_malformed'],
    ['no record with ME', [...text(MB), ...text(0)], 'ndef_malformed'],
    ['a record after ME', [...text(MB | ME), ...text(ME)], 'ndef_malformed'],
    [
      'an empty record with a type',
      shortRecord(MB | ME | SR | TNF.empty, 'U', []),
      'ndef_malformed',
    ],
    ['an empty record with a payload', shortRecord(MB | ME | SR, '', [1]), 'ndef_malformed'],
    [
      'an unknown record with a type',
      shortRecord(MB | ME | SR | TNF.unknown, 'U', []),
      'ndef_malformed',
    ],
    ['TNF unchanged', shortRecord(MB | ME | SR | TNF.unchanged, '', [1]), 'ndef_malformed'],
    [
      'a well-known record with no type',
      shortRecord(MB | ME | SR | TNF.wellKnown, '', [1]),
      'ndef_malformed',
    ],
    [
      'a chunked record',
      shortRecord(MB | CF | SR | TNF.wellKnown, 'U', [0x04]),
      'ndef_unsupported',
    ],
    ['the reserved TNF', shortRecord(MB | ME | SR | 0x07, 'U', [0x04]), 'ndef_unsupported'],
    ['a URI record with no payload', uri([]), 'ndef_uri_invalid'],
    ['a reserved URI prefix code', uri([0x24, ...ascii('x')]), 'ndef_uri_invalid'],
    ['a URI that is not UTF-8', uri([0x04, 0xff, 0xfe]), 'ndef_uri_invalid'],
  ])('refuses %s', (_name, bytes, code) => {
    const decoded = decodeNdefMessage(Uint8Array.from(bytes));
    expect(decoded).toMatchObject({ ok: false, code });
    expect(firstUri(Uint8Array.from(bytes))).toBeUndefined();
  });

  it('refuses every truncation of a valid message', () => {
    const whole = [...text(MB), ...encodeNdefUri(`https://${'b'.repeat(300)}`)];
    whole[text(MB).length] = ME | TNF.wellKnown;
    expect(decodeNdefMessage(Uint8Array.from(whole)).ok).toBe(true);
    for (let length = 0; length < whole.length; length += 1) {
      expect(decodeNdefMessage(Uint8Array.from(whole.slice(0, length)))).toMatchObject({
        ok: false,
        code: 'ndef_malformed',
      });
    }
  });

  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const decoded = decodeNdefMessage(bytes);
        if (decoded.ok) expect(decoded.records.length).toBeGreaterThan(0);
        else expect(decoded.detail).toBeTruthy();
      }),
    );
  });

  it('never throws on a valid message with bytes changed', () => {
    const valid = encodeNdefUri(paymentRequestUri(BASE, EMV_PAYLOAD));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.nat({ max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (changes) => {
          const bytes = Uint8Array.from(valid);
          for (const [index, value] of changes) bytes[index] = value;
          decodeNdefMessage(bytes);
          firstUri(bytes);
        },
      ),
    );
  });
});

describe('payment request URIs', () => {
  it('puts the payload in the last path segment, percent-encoded', () => {
    expect(paymentRequestUri(BASE, EMV_PAYLOAD)).toBe(
      `${BASE}00020101021126280008hebao.cn0112m_8f3k2q9x7w5204581253031565802CN5909Tea%20House6007Beijing6304A1B2`,
    );
    expect(paymentRequestUri('hebao:', '59 茶/馆?#&%')).toBe(
      'hebao:59%20%E8%8C%B6%2F%E9%A6%86%3F%23%26%25',
    );
  });

  it('gets the payload back with or without the base, and through NDEF', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(BASE, 'hebao:', 'hebao://pay/c/', 'https://hebao.example/app#/pay/'),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }),
        (base, payload) => {
          const uri = paymentRequestUri(base, payload);
          expect(uri).toMatch(/^[A-Za-z0-9\-._~!*'()%:/#]+$/);
          expect(paymentPayloadFromUri(uri, base)).toBe(payload);
          const tagUri = firstUri(encodeNdefUri(uri));
          expect(tagUri).toBe(uri);
          if (!base.includes('#')) expect(paymentPayloadFromUri(tagUri!)).toBe(payload);
        },
      ),
    );
  });

  it.each([
    ['a query after the payload', `${BASE}AB%20C?src=nfc`, 'AB C'],
    ['a fragment after the payload', `${BASE}AB%20C#top`, 'AB C'],
    ['a query with a slash', `${BASE}AB%20C?next=/x`, 'AB C'],
    ['an opaque URI', 'hebao:AB%20C', 'AB C'],
  ])('reads past %s', (_name, uri, payload) => {
    expect(paymentPayloadFromUri(uri)).toBe(payload);
  });

  it.each([
    ['another base', 'https://evil.example/c/ABC', BASE],
    ['a base that is a prefix of a segment', `${BASE.slice(0, -1)}ABC`, BASE],
    ['no payload', BASE, BASE],
    ['only a query', `${BASE}?x=1`, BASE],
    ['a broken escape', `${BASE}%E8%8C`, BASE],
    ['a stray percent sign', `${BASE}50%`, undefined],
    ['no scheme', 'ABC', undefined],
    ['nothing after the last slash', 'https://pay.hebao.example/c/', undefined],
  ])('finds no payload in a URI with %s', (_name, uri, base) => {
    expect(paymentPayloadFromUri(uri, base)).toBeUndefined();
  });

  it.each([
    ['a base without a scheme', 'pay.hebao.example/c/', 'ABC'],
    ['a base that does not end a segment', 'https://pay.hebao.example/c', 'ABC'],
    ['an empty payload', BASE, ''],
  ])('refuses %s', (_name, base, payload) => {
    expect(() => paymentRequestUri(base, payload)).toThrow();
  });
});
