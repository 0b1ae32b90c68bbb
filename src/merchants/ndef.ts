/**
 * NFC Data Exchange Format (NDEF) messages carrying a payment request as a URI, as a tag or a
 * phone presents it and Web NFC or a native reader hands it over. The encoder writes the one
 * shape Hebao needs, a message of a single well-known URI record; the decoder reads any message
 * of unchunked records. Bytes from a tag are untrusted input, so the decoder never throws: every
 * problem is a result code.
 *
 * The payment request itself is the EMVCo payload of the merchant's collection code, carried in a
 * URI so that a phone without the wallet opens the payment page in its browser.
 *
 * Pure functions, so that the wallet web app and the server share them.
 */
import { assert } from '../lib/assert.js';
import { failure, type Failure } from '../lib/code-spec.js';

/** The Type Name Formats of the NFC Forum NDEF specification. */
export const TNF = {
  empty: 0,
  wellKnown: 1,
  media: 2,
  absoluteUri: 3,
  external: 4,
  unknown: 5,
  unchanged: 6,
} as const;
export type Tnf = (typeof TNF)[keyof typeof TNF];

/**
 * The URI identifier codes of the NFC Forum URI record type definition: the record's first
 * payload byte stands for the prefix at that index. Codes 0x24 to 0xFF are reserved.
 */
export const NDEF_URI_PREFIXES: readonly string[] = [
  '',
  'http://www.',
  'https://www.',
  'http://',
  'https://',
  'tel:',
  'mailto:',
  'ftp://anonymous:anonymous@',
  'ftp://ftp.',
  'ftps://',
  'sftp://',
  'smb://',
  'nfs://',
  'ftp://',
  'dav://',
  'news:',
  'telnet://',
  'imap:',
  'rtsp://',
  'urn:',
  'pop:',
  'sip:',
  'sips:',
  'tftp:',
  'btspp://',
  'btl2cap://',
  'btgoep://',
  'tcpobex://',
  'irdaobex://',
  'file://',
  'urn:epc:id:',
  'urn:epc:tag:',
  'urn:epc:pat:',
  'urn:epc:raw:',
  'urn:epc:',
  'urn:nfc:',
];

export interface NdefRecord {
  readonly tnf: Tnf;
  /** The type name, US-ASCII by the specification, read one byte to one character. */
  readonly type: string;
  /** The record identifier, when the record has one; read like the type. */
  readonly id?: string;
  readonly payload: Uint8Array;
  /** For a well-known URI record ("U"), the URI with its prefix written out. */
  readonly uri?: string;
}

export type NdefCode = 'ndef_malformed' | 'ndef_unsupported' | 'ndef_uri_invalid';

export type NdefDecoding =
  { readonly ok: true; readonly records: readonly NdefRecord[] } | Failure<NdefCode>;

const MB = 0x80;
const ME = 0x40;
const CF = 0x20;
const SR = 0x10;
const IL = 0x08;
const TNF_MASK = 0x07;
/** The well-known type name of a URI record. */
const URI_TYPE = 'U';
const URI_TYPE_BYTE = 0x55;
/** A short record's payload length fits in one byte. */
const SHORT_PAYLOAD_LIMIT = 256;
/** RFC 3986 section 3.1. */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** Fatal, so that bytes that are not UTF-8 make an invalid URI rather than replacement marks. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A message of one well-known URI record, with the longest prefix the URI table allows. */
export function encodeNdefUri(uri: string): Uint8Array {
  const prefixCode = uriPrefixCode(uri);
  const rest = new TextEncoder().encode(uri.slice(NDEF_URI_PREFIXES[prefixCode]!.length));
  const payloadLength = rest.length + 1;
  const short = payloadLength < SHORT_PAYLOAD_LIMIT;
  const headerLength = short ? 3 : 6;
  const bytes = new Uint8Array(headerLength + 1 + payloadLength);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, MB | ME | (short ? SR : 0) | TNF.wellKnown);
  view.setUint8(1, 1);
  if (short) view.setUint8(2, payloadLength);
  else view.setUint32(2, payloadLength);
  view.setUint8(headerLength, URI_TYPE_BYTE);
  view.setUint8(headerLength + 1, prefixCode);
  bytes.set(rest, headerLength + 2);
  return bytes;
}

/**
 * Reads every record of a message; never throws, whatever the bytes. A URI record whose URI
 * cannot be read (a reserved prefix code, bytes that are not UTF-8) fails the whole message
 * rather than being passed on as a record that claims to be a URI and is not.
 */
export function decodeNdefMessage(bytes: Uint8Array): NdefDecoding {
  if (bytes.length === 0) return malformed('an NDEF message has at least one record');
  const records: NdefRecord[] = [];
  let offset = 0;
  for (;;) {
    const read = readRecord(bytes, offset, records.length);
    if (!read.ok) return read;
    records.push(read.record);
    offset = read.end;
    if (read.last) break;
    if (offset === bytes.length) return malformed('the message ends before a record with ME set');
  }
  if (offset !== bytes.length) {
    return malformed(`${bytes.length - offset} bytes follow the record with ME set`);
  }
  return { ok: true, records };
}

/** The URI of the first URI record of a well-formed message, if it has one. */
export function firstUri(bytes: Uint8Array): string | undefined {
  const decoded = decodeNdefMessage(bytes);
  return decoded.ok ? decoded.records.find((record) => record.uri !== undefined)?.uri : undefined;
}

/**
 * The URI that carries an EMVCo payload: the base, then the payload percent-encoded, so that no
 * character of it can end the path, start a query or be read as anything but data. The base ends
 * with "/" (the payload is the last path segment: `https://pay.hebao.example/c/`) or ":" (the
 * payload is the whole of an opaque URI: `hebao:`). Throws URIError on a lone surrogate, which
 * no EMVCo payload contains.
 */
export function paymentRequestUri(baseUrl: string, emvPayload: string): string {
  assert(SCHEME.test(baseUrl), 'a payment request base URL has a scheme');
  assert(baseUrl.endsWith('/') || baseUrl.endsWith(':'), 'a payment request base ends in / or :');
  assert(emvPayload.length > 0, 'a payment request carries a payload');
  return `${baseUrl}${encodeURIComponent(emvPayload)}`;
}

/**
 * The EMVCo payload in a payment request URI, or undefined when the URI carries none. With a base,
 * the URI must start with it; without one, the payload is the last path segment, or all after
 * the scheme of a URI without a "/". A query or fragment after the payload is ignored.
 */
export function paymentPayloadFromUri(uri: string, baseUrl?: string): string | undefined {
  const start = baseUrl === undefined ? lastSegmentStart(uri) : baseEnd(uri, baseUrl);
  if (start === undefined) return undefined;
  const encoded = uri.slice(start);
  try {
    const payload = decodeURIComponent(encoded.slice(0, queryStart(encoded)));
    return payload.length > 0 ? payload : undefined;
  } catch {
    return undefined;
  }
}

type RecordRead =
  | { readonly ok: true; readonly record: NdefRecord; readonly end: number; readonly last: boolean }
  | Failure<NdefCode>;

/** One record at `offset`, with every length checked against the bytes there are. */
function readRecord(bytes: Uint8Array, offset: number, index: number): RecordRead {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = view.getUint8(offset);
  const tnf = flags & TNF_MASK;
  const begins = (flags & MB) !== 0;
  if (begins !== (index === 0)) {
    return malformed(`record ${index} ${index === 0 ? 'lacks' : 'repeats'} the MB flag`);
  }
  if ((flags & CF) !== 0) return unsupported(`record ${index} is chunked`);
  if (!isTnf(tnf)) return unsupported(`record ${index} has the reserved TNF ${tnf}`);
  const short = (flags & SR) !== 0;
  const hasId = (flags & IL) !== 0;
  const headerLength = 2 + (short ? 1 : 4) + (hasId ? 1 : 0);
  if (offset + headerLength > bytes.length) return malformed(`record ${index} is cut short`);
  const typeLength = view.getUint8(offset + 1);
  const payloadLength = short ? view.getUint8(offset + 2) : view.getUint32(offset + 2);
  const idLength = hasId ? view.getUint8(offset + headerLength - 1) : 0;
  const typeStart = offset + headerLength;
  const payloadStart = typeStart + typeLength + idLength;
  const end = payloadStart + payloadLength;
  if (end > bytes.length) {
    return malformed(
      `record ${index} needs ${end - offset} bytes, ${bytes.length - offset} remain`,
    );
  }
  const rule = tnfRuleBroken(tnf, typeLength, idLength, payloadLength);
  if (rule !== undefined) return malformed(`record ${index}: ${rule}`);
  const type = latin1(bytes.subarray(typeStart, typeStart + typeLength));
  const payload = bytes.slice(payloadStart, end);
  const fields = hasId
    ? { tnf, type, id: latin1(bytes.subarray(typeStart + typeLength, payloadStart)), payload }
    : { tnf, type, payload };
  const last = (flags & ME) !== 0;
  if (tnf !== TNF.wellKnown || type !== URI_TYPE) return { ok: true, record: fields, end, last };
  const uri = uriOf(payload, index);
  if (typeof uri !== 'string') return uri;
  return { ok: true, record: { ...fields, uri }, end, last };
}

/** The NDEF specification's rules on which TNF values allow a type, an id and a payload. */
function tnfRuleBroken(
  tnf: Tnf,
  typeLength: number,
  idLength: number,
  payloadLength: number,
): string | undefined {
  switch (tnf) {
    case TNF.empty:
      return typeLength + idLength + payloadLength === 0
        ? undefined
        : 'an empty record has no type, id or payload';
    case TNF.unknown:
      return typeLength === 0 ? undefined : 'a record of unknown type has no type name';
    case TNF.unchanged:
      return 'TNF unchanged belongs to chunks only';
    default:
      return typeLength > 0 ? undefined : 'the record has no type name';
  }
}

/** The URI of a URI record's payload: its prefix code written out, then the rest as UTF-8. */
function uriOf(payload: Uint8Array, index: number): string | Failure<NdefCode> {
  if (payload.length === 0) {
    return failure('ndef_uri_invalid', { detail: `URI record ${index} has no prefix code` });
  }
  const code = payload[0]!;
  const prefix = NDEF_URI_PREFIXES[code];
  if (prefix === undefined) {
    return failure('ndef_uri_invalid', {
      detail: `URI record ${index} uses the reserved prefix code ${code}`,
    });
  }
  try {
    return prefix + utf8.decode(payload.subarray(1));
  } catch {
    return failure('ndef_uri_invalid', { detail: `URI record ${index} is not UTF-8` });
  }
}

function uriPrefixCode(uri: string): number {
  let best = 0;
  NDEF_URI_PREFIXES.forEach((prefix, code) => {
    if (uri.startsWith(prefix) && prefix.length > NDEF_URI_PREFIXES[best]!.length) best = code;
  });
  return best;
}

function baseEnd(uri: string, baseUrl: string): number | undefined {
  return uri.startsWith(baseUrl) ? baseUrl.length : undefined;
}

/** After the last "/" before any query or fragment, or after the scheme when there is none. */
function lastSegmentStart(uri: string): number | undefined {
  const scheme = SCHEME.exec(uri);
  if (scheme === null) return undefined;
  return Math.max(uri.lastIndexOf('/', queryStart(uri)) + 1, scheme[0].length);
}

/** Where the query or fragment of `text` starts, or its length when it has neither. */
function queryStart(text: string): number {
  const found = text.search(/[?#]/);
  return found === -1 ? text.length : found;
}

function isTnf(value: number): value is Tnf {
  return value <= TNF.unchanged;
}

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

function malformed(detail: string): Failure<NdefCode> {
  return failure('ndef_malformed', { detail });
}

function unsupported(detail: string): Failure<NdefCode> {
  return failure('ndef_unsupported', { detail });
}
