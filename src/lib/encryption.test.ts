import { createHmac } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  DecryptionError,
  KeyringError,
  decryptField,
  encryptField,
  keyedHash,
  parseKeyring,
} from './encryption.js';

const keyBytes = (fill: number, length = 32): Buffer => Buffer.alloc(length, fill);
const keyText = (fill: number, length = 32): string => keyBytes(fill, length).toString('base64');

const ringOld = parseKeyring(`k1:${keyText(1)}`);
const ringRotated = parseKeyring(`k2:${keyText(2)},k1:${keyText(1)}`);
const ringNewOnly = parseKeyring(`k2:${keyText(2)}`);
const aad = 'usr_123/real_name';

const ENVELOPE_PATTERN =
  /^v1\.([a-z0-9-]{1,16})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{22})$/;

/** Flips one bit of one base64url part of an envelope, keeping the encoding canonical. */
function tamper(envelope: string, partIndex: number, byteIndex: number, bit = 1): string {
  const parts = envelope.split('.');
  const bytes = Buffer.from(parts[partIndex] ?? '', 'base64url');
  const at = byteIndex % bytes.length;
  bytes[at] = (bytes[at] ?? 0) ^ bit;
  parts[partIndex] = bytes.toString('base64url');
  return parts.join('.');
}

/**
 * Sets the lowest padding bit of the last character of a 16-byte base64url value: the bytes stay
 * the same, so only the canonical-spelling check can notice.
 */
function respell(text: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(text.at(-1) ?? 'A');
  return text.slice(0, -1) + (alphabet[last ^ 1] ?? '');
}

describe('parseKeyring', () => {
  it('makes the first key the primary and keeps every key for decryption', () => {
    expect(ringRotated.primary.id).toBe('k2');
    expect(ringRotated.primary.key.equals(keyBytes(2))).toBe(true);
    expect([...ringRotated.keys.keys()]).toEqual(['k2', 'k1']);
    expect(ringRotated.keys.get('k1')?.key.equals(keyBytes(1))).toBe(true);
  });

  it('ignores white space around entries, as an environment file may have', () => {
    const ring = parseKeyring(` 2024-06:${keyText(3)} ,\n 2023-01:${keyText(4)}\n`);
    expect([...ring.keys.keys()]).toEqual(['2024-06', '2023-01']);
  });

  it('accepts key ids of 1 and 16 characters', () => {
    expect(parseKeyring(`a:${keyText(5)}`).primary.id).toBe('a');
    expect(parseKeyring(`abcdefghij-12345:${keyText(5)}`).primary.id).toBe('abcdefghij-12345');
  });

  // The last character carries two padding bits; setting one spells the same key differently.
  const nonCanonical = keyText(1).replace(/E=$/, 'F=');

  const errors: ReadonlyArray<readonly [label: string, text: string, message: RegExp]> = [
    ['empty', '', /empty/],
    ['blank', '  \n', /empty/],
    ['no colon', `k1${keyText(1)}`, /entry 1: expected/],
    ['empty id', `:${keyText(1)}`, /entry 1: key id/],
    ['upper-case id', `K1:${keyText(1)}`, /entry 1: key id/],
    ['id with a dot', `k.1:${keyText(1)}`, /entry 1: key id/],
    ['17-character id', `abcdefghij-123456:${keyText(1)}`, /entry 1: key id/],
    ['missing key', 'k1:', /entry 1 \(key "k1"\): key must be 32 bytes, got 0/],
    ['bad base64', 'k1:not*base64!', /entry 1 \(key "k1"\): key is not valid base64/],
    ['base64url', `k1:${keyBytes(0xfb).toString('base64url')}`, /not valid base64/],
    ['missing padding', `k1:${keyText(1).replace(/=$/, '')}`, /not valid base64/],
    ['non-canonical padding bits', `k1:${nonCanonical}`, /not valid base64/],
    ['16-byte key', `k1:${keyText(1, 16)}`, /key must be 32 bytes, got 16/],
    ['33-byte key', `k1:${keyText(1, 33)}`, /key must be 32 bytes, got 33/],
    ['all-zero key', `k1:${keyText(0)}`, /all zeros/],
    ['duplicate id', `k1:${keyText(1)},k1:${keyText(2)}`, /entry 2: duplicate key id "k1"/],
    ['trailing comma', `k1:${keyText(1)},`, /entry 2: expected/],
    ['bad second entry', `k1:${keyText(1)},k2:${keyText(2, 31)}`, /entry 2 .*got 31/],
  ];

  it.each(errors)('refuses %s with a clear message', (_label, text, message) => {
    expect(() => parseKeyring(text)).toThrow(KeyringError);
    expect(() => parseKeyring(text)).toThrow(message);
  });

  it('never puts key material in an error message, because messages reach the logs', () => {
    const secret = keyText(7, 31);
    for (const text of [`k1:${secret}`, `K1:${secret}`, `${secret}`, `k1:${secret}!`]) {
      expect(() => parseKeyring(text)).toThrow(KeyringError);
      try {
        parseKeyring(text);
      } catch (error) {
        expect((error as Error).message).not.toContain(secret.slice(0, 8));
      }
    }
  });
});

describe('encryptField and decryptField', () => {
  const plaintexts: readonly string[] = [
    '',
    '张三',
    '11010519491231002X',
    'Alice Smith',
    '😀 𠮷 é',
    'x'.repeat(10_000),
  ];

  it.each(plaintexts)('round-trips %j', (plaintext) => {
    const envelope = encryptField(ringOld, plaintext, aad);
    expect(envelope).toMatch(ENVELOPE_PATTERN);
    expect(decryptField(ringOld, envelope, aad)).toBe(plaintext);
  });

  it('writes the version, the primary key id, a 12-byte iv and a 16-byte tag', () => {
    const envelope = encryptField(ringRotated, '张三', aad);
    const [, keyId, iv, ciphertext, tag] = ENVELOPE_PATTERN.exec(envelope) ?? [];
    expect(keyId).toBe('k2');
    expect(Buffer.from(iv ?? '', 'base64url')).toHaveLength(12);
    expect(Buffer.from(ciphertext ?? '', 'base64url')).toHaveLength(Buffer.byteLength('张三'));
    expect(Buffer.from(tag ?? '', 'base64url')).toHaveLength(16);
  });

  it('uses a fresh iv, so equal plaintexts do not give equal envelopes', () => {
    const envelopes = new Set(Array.from({ length: 50 }, () => encryptField(ringOld, '张三', aad)));
    expect(envelopes.size).toBe(50);
  });

  it('still decrypts with the old key after a new key is put first', () => {
    const old = encryptField(ringOld, '张三', aad);
    expect(decryptField(ringRotated, old, aad)).toBe('张三');
    const fresh = encryptField(ringRotated, '李四', aad);
    expect(fresh.startsWith('v1.k2.')).toBe(true);
    expect(decryptField(ringRotated, fresh, aad)).toBe('李四');
    expect(decryptField(ringNewOnly, fresh, aad)).toBe('李四');
  });

  it('refuses an envelope whose key has been removed from the ring', () => {
    const old = encryptField(ringOld, '张三', aad);
    expect(() => decryptField(ringNewOnly, old, aad)).toThrow(DecryptionError);
    expect(() => decryptField(ringNewOnly, old, aad)).toThrow(/unknown key id "k1"/);
  });

  it.each(['usr_124/real_name', 'usr_123/id_number', '', 'usr_123/real_name '])(
    'refuses to open a ciphertext moved to another row or field (aad %j)',
    (otherAad) => {
      const envelope = encryptField(ringOld, '张三', aad);
      expect(() => decryptField(ringOld, envelope, otherAad)).toThrow(DecryptionError);
    },
  );

  it.each([
    [2, 'iv'],
    [3, 'ciphertext'],
    [4, 'tag'],
  ] as const)('detects a flipped bit in part %i (%s)', (partIndex, _partName) => {
    const envelope = encryptField(ringOld, '11010519491231002X', aad);
    for (const byteIndex of [0, 5, 11]) {
      const altered = tamper(envelope, partIndex, byteIndex);
      expect(altered).not.toBe(envelope);
      expect(() => decryptField(ringOld, altered, aad)).toThrow(DecryptionError);
    }
  });

  it('detects an envelope relabelled with another key id of the ring', () => {
    const envelope = encryptField(ringRotated, '张三', aad);
    const relabelled = envelope.replace(/^v1\.k2\./, 'v1.k1.');
    expect(() => decryptField(ringRotated, relabelled, aad)).toThrow(DecryptionError);
  });

  it('detects flipped bits anywhere in the iv, ciphertext or tag', () => {
    const envelope = encryptField(ringOld, 'Alice Smith', aad);
    fc.assert(
      fc.property(
        fc.constantFrom(2, 3, 4),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (partIndex, byteIndex, bits) => {
          const altered = tamper(envelope, partIndex, byteIndex, bits);
          expect(() => decryptField(ringOld, altered, aad)).toThrow(DecryptionError);
        },
      ),
    );
  });

  const valid = encryptField(ringOld, '张三', aad);
  const [, , validIv = '', validCiphertext = '', validTag = ''] = valid.split('.');
  const malformed: ReadonlyArray<readonly [label: string, envelope: string]> = [
    ['empty', ''],
    ['version only', 'v1'],
    ['four parts', `v1.k1.${validIv}.${validCiphertext}`],
    ['six parts', `${valid}.x`],
    ['another version', valid.replace(/^v1\./, 'v2.')],
    ['upper-case version', valid.replace(/^v1\./, 'V1.')],
    ['malformed key id', valid.replace(/^v1\.k1\./, 'v1.K1.')],
    ['empty key id', valid.replace(/^v1\.k1\./, 'v1..')],
    ['standard base64 in the tag', `v1.k1.${validIv}.${validCiphertext}.${validTag}==`],
    ['a foreign character in the ciphertext', `v1.k1.${validIv}.${validCiphertext}*.${validTag}`],
    ['a dangling character after the iv', `v1.k1.${validIv}A.${validCiphertext}.${validTag}`],
    [
      'another spelling of the same tag',
      `v1.k1.${validIv}.${validCiphertext}.${respell(validTag)}`,
    ],
    ['short iv', `v1.k1.${validIv.slice(4)}.${validCiphertext}.${validTag}`],
    ['short tag', `v1.k1.${validIv}.${validCiphertext}.${validTag.slice(0, 20)}`],
    ['long tag', `v1.k1.${validIv}.${validCiphertext}.${validTag}AAAA`],
    ['empty tag', `v1.k1.${validIv}.${validCiphertext}.`],
  ];

  it('respells a tag without changing its bytes, so the case above tests the spelling', () => {
    expect(respell(validTag)).not.toBe(validTag);
    const same = Buffer.from(respell(validTag), 'base64url').equals(
      Buffer.from(validTag, 'base64url'),
    );
    expect(same).toBe(true);
  });

  it.each(malformed)('refuses a malformed envelope: %s', (_label, envelope) => {
    expect(() => decryptField(ringOld, envelope, aad)).toThrow(DecryptionError);
  });

  it('refuses strings that UTF-8 cannot represent exactly', () => {
    expect(() => encryptField(ringOld, 'a\ud800b', aad)).toThrow(TypeError);
    expect(() => encryptField(ringOld, 'ab', 'usr_1/\udc00')).toThrow(TypeError);
    expect(() => decryptField(ringOld, valid, 'usr_1/\udc00')).toThrow(TypeError);
  });

  it('round-trips any well-formed text under any aad', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        (plaintext, anyAad) => {
          const envelope = encryptField(ringRotated, plaintext, anyAad);
          expect(decryptField(ringRotated, envelope, anyAad)).toBe(plaintext);
        },
      ),
    );
  });
});

describe('keyedHash', () => {
  const key = keyBytes(9);

  /** The same construction written out by hand: a 4-byte big-endian length before each part. */
  function referenceHash(hmacKey: Buffer, parts: readonly string[]): Buffer {
    const framed = parts.map((part) => {
      const bytes = Buffer.from(part, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      return Buffer.concat([length, bytes]);
    });
    return createHmac('sha256', hmacKey).update(Buffer.concat(framed)).digest();
  }

  it('is HMAC-SHA256 over the length-prefixed parts', () => {
    const hash = keyedHash(key, 'pin', 'usr_123', '123456');
    expect(hash).toHaveLength(32);
    expect(hash.equals(referenceHash(key, ['pin', 'usr_123', '123456']))).toBe(true);
    expect(keyedHash(key, 'é').equals(referenceHash(key, ['é']))).toBe(true);
  });

  it('is deterministic', () => {
    expect(keyedHash(key, 'a', 'b').equals(keyedHash(key, 'a', 'b'))).toBe(true);
  });

  const pairs: ReadonlyArray<readonly [left: readonly string[], right: readonly string[]]> = [
    [
      ['ab', 'c'],
      ['a', 'bc'],
    ],
    [['a'], ['a', '']],
    [[], ['']],
    [
      ['', 'a'],
      ['a', ''],
    ],
    [['abc'], ['a', 'b', 'c']],
  ];

  it.each(pairs)('tells %j and %j apart', (left, right) => {
    expect(keyedHash(key, ...left).equals(keyedHash(key, ...right))).toBe(false);
  });

  it('depends on the key', () => {
    expect(keyedHash(keyBytes(9), '123456').equals(keyedHash(keyBytes(10), '123456'))).toBe(false);
  });

  it('gives different hashes for different part lists', () => {
    const parts = fc.array(fc.string({ unit: 'grapheme', maxLength: 6 }), { maxLength: 4 });
    fc.assert(
      fc.property(parts, parts, (left, right) => {
        fc.pre(JSON.stringify(left) !== JSON.stringify(right));
        expect(keyedHash(key, ...left).equals(keyedHash(key, ...right))).toBe(false);
      }),
    );
  });

  it('refuses a key shorter than 32 bytes, which would weaken every PIN hash', () => {
    expect(() => keyedHash(keyBytes(9, 16), 'x')).toThrow(RangeError);
    expect(() => keyedHash(Buffer.alloc(0), 'x')).toThrow(RangeError);
  });

  it('refuses parts that UTF-8 cannot represent exactly', () => {
    expect(() => keyedHash(key, '\ud800')).toThrow(TypeError);
  });
});
