import { randomBytes } from 'node:crypto';

/**
 * Prefixed, time-sortable ids: `<prefix>_<26 Crockford base32 chars>`, a ULID body (48 bits of
 * milliseconds, then 80 random bits). Sorting the strings sorts by creation time, which keeps
 * B-tree inserts local and makes ids usable as pagination cursors.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const BODY_LENGTH = 26;
const BODY_PATTERN = '[0-9A-HJKMNP-TV-Z]{26}';

export type IdPrefix =
  | 'acc'
  | 'trf'
  | 'blk'
  | 'req'
  | 'usr'
  | 'dev'
  | 'ses'
  | 'otc'
  | 'msg'
  | 'aud'
  | 'kyr'
  | 'pky'
  | 'evt'
  | 'crd'
  | 'mch'
  | 'key'
  | 'pi'
  | 'ref'
  | 'stl'
  | 'chg'
  | 'pcd'
  | 'whe'
  | 'whd';

export function newId(prefix: IdPrefix, nowMs: number): string {
  return `${prefix}_${ulidBody(nowMs, randomBytes(10))}`;
}

export function idPattern(prefix: IdPrefix): RegExp {
  return new RegExp(`^${prefix}_${BODY_PATTERN}$`);
}

export function ulidBody(nowMs: number, random: Uint8Array): string {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0 || nowMs >= 2 ** 48) {
    throw new RangeError(`time out of range for an id: ${nowMs}`);
  }
  let out = '';
  let time = nowMs;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[time % 32] + out;
    time = Math.floor(time / 32);
  }
  // 80 random bits as 16 base32 characters, 5 bits each.
  let bits = 0;
  let value = 0;
  for (const byte of random.subarray(0, 10)) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(value >> bits) & 31];
    }
    value &= (1 << bits) - 1;
  }
  if (out.length !== BODY_LENGTH) throw new Error('id body length');
  return out;
}
