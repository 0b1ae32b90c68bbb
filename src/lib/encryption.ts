/**
 * Encryption at rest for personal fields (real names, identity numbers) and keyed hashes for blind
 * indexes and payment PINs.
 *
 * Fields are sealed with AES-256-GCM under the first key of a keyring; every key in the ring can
 * still open what it sealed, so a key is rotated by putting a new one first and re-encrypting at
 * leisure before the old one is removed. Each envelope names its key and format version, so old
 * and new ciphertexts can live side by side. The additional authenticated data binds a ciphertext
 * to its row and field (for example 'usr_123/real_name'): someone who can write to the database
 * cannot move one user's encrypted name onto another user's row without decryption failing.
 *
 * The IV is drawn inside `encryptField` and never taken from the caller, because reusing an IV
 * under GCM reveals the authentication key; 96 random bits stay safe for far more than the 2^32
 * messages per key that NIST SP 800-38D allows.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/** A keyring entry. The key bytes are decoded afresh from the configuration; never write them. */
export interface KeyringKey {
  readonly id: string;
  readonly key: Buffer;
}

export interface Keyring {
  /** The key that encrypts. */
  readonly primary: KeyringKey;
  /** Every key, the primary included, by id; any of them decrypts. */
  readonly keys: ReadonlyMap<string, KeyringKey>;
}

/** The keyring configuration is unusable; the process should refuse to start. */
export class KeyringError extends Error {
  override name = 'KeyringError';
}

/**
 * An envelope could not be opened: malformed, sealed under a key this ring does not hold, bound to
 * other additional data, or altered. The causes are deliberately not told apart past the format
 * check, because GCM cannot tell a wrong AAD from tampering either.
 */
export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

const ALGORITHM = 'aes-256-gcm';
const ENVELOPE_VERSION = 'v1';
export const ENCRYPTION_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_PATTERN = /^[a-z0-9-]{1,16}$/;
/** Standard base64 with padding, the form `openssl rand -base64 32` prints. */
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;

/**
 * Parses `"<keyId>:<base64 key>[,<keyId>:<base64 key>...]"`. White space around entries is
 * ignored, because such text often comes from an environment file. Error messages name the entry
 * by position and never quote key material, since they end up in logs.
 */
export function parseKeyring(text: string): Keyring {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new KeyringError('keyring is empty: expected "<keyId>:<base64 key>[,...]"');
  }
  const keys = new Map<string, KeyringKey>();
  text.split(',').forEach((entry, index) => {
    const parsed = parseKeyringEntry(entry.trim(), index + 1);
    if (keys.has(parsed.id)) {
      throw new KeyringError(`keyring entry ${index + 1}: duplicate key id "${parsed.id}"`);
    }
    keys.set(parsed.id, parsed);
  });
  const primary = keys.values().next().value;
  if (primary === undefined) throw new KeyringError('keyring is empty');
  return Object.freeze({ primary, keys });
}

function parseKeyringEntry(entry: string, position: number): KeyringKey {
  const colon = entry.indexOf(':');
  if (colon < 0) {
    throw new KeyringError(`keyring entry ${position}: expected "<keyId>:<base64 key>"`);
  }
  const id = entry.slice(0, colon);
  const encoded = entry.slice(colon + 1);
  if (!KEY_ID_PATTERN.test(id)) {
    throw new KeyringError(
      `keyring entry ${position}: key id must be 1 to 16 characters of a-z, 0-9 and '-'`,
    );
  }
  // Buffer.from skips characters it does not understand, so the text is checked first, and the
  // round trip rejects non-canonical padding bits that would let two spellings mean one key.
  const key = Buffer.from(encoded, 'base64');
  if (!BASE64_PATTERN.test(encoded) || key.toString('base64') !== encoded) {
    throw new KeyringError(`keyring entry ${position} (key "${id}"): key is not valid base64`);
  }
  if (key.length !== ENCRYPTION_KEY_BYTES) {
    const expected = `${ENCRYPTION_KEY_BYTES} bytes, got ${key.length}`;
    throw new KeyringError(`keyring entry ${position} (key "${id}"): key must be ${expected}`);
  }
  if (key.every((byte) => byte === 0)) {
    throw new KeyringError(`keyring entry ${position} (key "${id}"): key is all zeros`);
  }
  return Object.freeze({ id, key });
}

/**
 * Encrypts a field under the primary key:
 * `v1.<keyId>.<base64url iv>.<base64url ciphertext>.<base64url tag>`.
 */
export function encryptField(keyring: Keyring, plaintext: string, aad: string): string {
  assertWellFormed(plaintext, 'plaintext');
  assertWellFormed(aad, 'aad');
  const { id, key } = keyring.primary;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [ENVELOPE_VERSION, id, iv, ciphertext, tag]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** Opens an envelope made by `encryptField` with the same AAD, or throws `DecryptionError`. */
export function decryptField(keyring: Keyring, envelope: string, aad: string): string {
  assertWellFormed(aad, 'aad');
  const { keyId, iv, ciphertext, tag } = parseEnvelope(envelope);
  const entry = keyring.keys.get(keyId);
  if (entry === undefined) throw new DecryptionError(`unknown key id "${keyId}"`);
  try {
    const decipher = createDecipheriv(ALGORITHM, entry.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new DecryptionError('authentication failed: wrong key, wrong aad or altered envelope');
  }
}

interface Envelope {
  readonly keyId: string;
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

function parseEnvelope(envelope: string): Envelope {
  if (typeof envelope !== 'string') throw new DecryptionError('envelope is not a string');
  const parts = envelope.split('.');
  const [version, keyId, ivText, ciphertextText, tagText] = parts;
  if (parts.length !== 5 || version !== ENVELOPE_VERSION) {
    throw new DecryptionError(`envelope is not in the ${ENVELOPE_VERSION} format`);
  }
  if (keyId === undefined || !KEY_ID_PATTERN.test(keyId)) {
    throw new DecryptionError('envelope has a malformed key id');
  }
  const iv = decodeBase64url(ivText, 'iv');
  const ciphertext = decodeBase64url(ciphertextText, 'ciphertext');
  const tag = decodeBase64url(tagText, 'tag');
  if (iv.length !== IV_BYTES) throw new DecryptionError(`iv must be ${IV_BYTES} bytes`);
  if (tag.length !== TAG_BYTES) throw new DecryptionError(`tag must be ${TAG_BYTES} bytes`);
  return { keyId, iv, ciphertext, tag };
}

/** Strict base64url: one spelling per byte string, so an envelope cannot be altered unnoticed. */
function decodeBase64url(text: string | undefined, name: string): Buffer {
  const bytes = Buffer.from(text ?? '', 'base64url');
  if (text === undefined || !BASE64URL_PATTERN.test(text) || bytes.toString('base64url') !== text) {
    throw new DecryptionError(`envelope ${name} is not canonical base64url`);
  }
  return bytes;
}

/**
 * HMAC-SHA256 over the parts, each prefixed with its UTF-8 length as four big-endian bytes, so
 * that ('ab', 'c') and ('a', 'bc') hash differently. Used for blind indexes (find a row by its
 * encrypted phone number) and for payment PINs, which have too few values for a slow hash to help.
 */
export function keyedHash(key: Buffer, ...parts: string[]): Buffer {
  // A short key would silently weaken every PIN hash made with it, so it is a programmer error.
  if (!Buffer.isBuffer(key) || key.length < ENCRYPTION_KEY_BYTES) {
    throw new RangeError(`keyedHash needs a key of at least ${ENCRYPTION_KEY_BYTES} bytes`);
  }
  const hmac = createHmac('sha256', key);
  for (const part of parts) {
    assertWellFormed(part, 'part');
    const bytes = Buffer.from(part, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hmac.update(length);
    hmac.update(bytes);
  }
  return hmac.digest();
}

/**
 * UTF-8 encoding replaces a lone surrogate with U+FFFD, so two different strings would encrypt or
 * hash to the same bytes and a decrypted field would differ from what was stored. No name, number
 * or row key contains one, so a lone surrogate here is input the caller should have refused.
 */
function assertWellFormed(text: string, name: string): void {
  if (typeof text !== 'string' || /\p{Surrogate}/u.test(text)) {
    throw new TypeError(`${name} must be a well-formed string`);
  }
}
