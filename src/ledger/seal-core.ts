import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { assert } from '../lib/assert.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { HASH_BYTES, leafHash, merkleRoot } from './merkle.js';

/**
 * The seal block format: committed transfers are grouped into blocks, each block commits to its
 * transfers through an RFC 6962 Merkle root and to the previous block through its hash, and the
 * block hash is signed with Ed25519. Altering, inserting or dropping any sealed transfer therefore
 * changes every later block hash. This module is the pure core of that scheme; it reads no clock
 * and touches no storage, so the service that persists blocks passes times and keys in.
 */

export type SealTransferKind =
  'single' | 'pending' | 'post_pending' | 'void_pending' | 'expire_pending';

const TRANSFER_KINDS: ReadonlySet<string> = new Set<SealTransferKind>([
  'single',
  'pending',
  'post_pending',
  'void_pending',
  'expire_pending',
]);

/** The fields of a committed transfer that never change after commit, and so can be sealed. */
export interface SealTransfer {
  readonly seq: bigint;
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly code: string;
  readonly kind: SealTransferKind;
  readonly linked: boolean;
  readonly pendingId: string | null;
  readonly timeoutSeconds: number | null;
  /** A JSON value, or null when the transfer has no metadata. */
  readonly metadata: unknown;
  readonly createdAtMs: number;
}

/** The first element of every transfer encoding, so that the format can change without ambiguity. */
export const TRANSFER_ENCODING_VERSION = 1;

/**
 * The canonical bytes of a transfer: the UTF-8 of the canonical JSON array
 *
 *   [1, seq, id, debitAccountId, creditAccountId, amountMinor, currency, code, kind, linked,
 *    pendingId, timeoutSeconds, metadata, createdAtMs]
 *
 * where 1 is TRANSFER_ENCODING_VERSION, bigints are decimal strings and metadata object keys are
 * sorted (see canonicalJson). A positional array rather than an object keeps the encoding compact
 * and makes the field order part of the documented format. This order must never change for
 * version 1; a new layout needs a new version number.
 */
export function encodeTransfer(t: SealTransfer): Buffer {
  assertSealable(t);
  const fields = [
    TRANSFER_ENCODING_VERSION,
    t.seq,
    t.id,
    t.debitAccountId,
    t.creditAccountId,
    t.amountMinor,
    t.currency,
    t.code,
    t.kind,
    t.linked,
    t.pendingId,
    t.timeoutSeconds,
    t.metadata,
    t.createdAtMs,
  ];
  return Buffer.from(canonicalJson(fields), 'utf8');
}

/** The Merkle leaf hash of a transfer, as used in the block's Merkle root and inclusion proofs. */
export function transferLeafHash(t: SealTransfer): Buffer {
  return leafHash(encodeTransfer(t));
}

/**
 * Types can lie at runtime (the pg driver returns int8 columns as strings), and canonicalJson would
 * encode the number 5 and the bigint 5n differently. Checking the runtime types here keeps the same
 * transfer hashing the same however the caller obtained it.
 */
function assertSealable(t: SealTransfer): void {
  assert(typeof t.seq === 'bigint', 'transfer seq must be a bigint');
  assert(typeof t.amountMinor === 'bigint', 'transfer amountMinor must be a bigint');
  assert(TRANSFER_KINDS.has(t.kind), `unknown transfer kind: ${String(t.kind)}`);
  assert(typeof t.linked === 'boolean', 'transfer linked must be a boolean');
  assert(
    t.timeoutSeconds === null || Number.isSafeInteger(t.timeoutSeconds),
    'transfer timeoutSeconds must be an integer or null',
  );
  assert(Number.isSafeInteger(t.createdAtMs), 'transfer createdAtMs must be an integer');
  assert(t.metadata !== undefined, 'transfer metadata must be a JSON value or null');
}

export interface BlockHeader {
  readonly height: bigint;
  readonly firstSeq: bigint;
  readonly lastSeq: bigint;
  readonly transferCount: number;
  readonly merkleRoot: Buffer;
  readonly prevHash: Buffer;
  readonly createdAtMs: number;
}

/** The prevHash of the first block (height 0), which has no predecessor. */
export const GENESIS_PREV_HASH: Buffer = Buffer.alloc(HASH_BYTES);

/** Names the structure being hashed, so a block hash can never be mistaken for any other hash. */
const BLOCK_HASH_DOMAIN = 'hebao.seal.block';
const BLOCK_ENCODING_VERSION = 1;

/**
 * The block hash: SHA-256 over the UTF-8 of the canonical JSON array
 *
 *   ["hebao.seal.block", 1, height, firstSeq, lastSeq, transferCount, merkleRoot, prevHash,
 *    createdAtMs]
 *
 * where 1 is the header encoding version, bigints are decimal strings and the two hashes are
 * lowercase hex. JSON strings are quoted and numbers are delimited, so no two different headers
 * share an encoding, and the leading domain string means the bytes can never collide with a
 * transfer encoding or an RFC 6962 leaf or node (which begin with 0x00 or 0x01, not '[').
 */
export function blockHash(header: BlockHeader): Buffer {
  assertHeader(header);
  const fields = [
    BLOCK_HASH_DOMAIN,
    BLOCK_ENCODING_VERSION,
    header.height,
    header.firstSeq,
    header.lastSeq,
    header.transferCount,
    header.merkleRoot.toString('hex'),
    header.prevHash.toString('hex'),
    header.createdAtMs,
  ];
  return createHash('sha256').update(canonicalJson(fields), 'utf8').digest();
}

function assertHeader(h: BlockHeader): void {
  assert(typeof h.height === 'bigint' && h.height >= 0n, 'block height must be a bigint >= 0');
  assert(typeof h.firstSeq === 'bigint', 'block firstSeq must be a bigint');
  assert(typeof h.lastSeq === 'bigint', 'block lastSeq must be a bigint');
  assert(h.firstSeq <= h.lastSeq, 'block firstSeq must not exceed lastSeq');
  assert(
    Number.isSafeInteger(h.transferCount) && h.transferCount > 0,
    'block transferCount must be a positive integer',
  );
  assert(h.merkleRoot.length === HASH_BYTES, `block merkleRoot must be ${HASH_BYTES} bytes`);
  assert(h.prevHash.length === HASH_BYTES, `block prevHash must be ${HASH_BYTES} bytes`);
  assert(Number.isSafeInteger(h.createdAtMs), 'block createdAtMs must be an integer');
}

export interface BuildBlockInput {
  readonly height: bigint;
  readonly prevHash: Buffer;
  readonly createdAtMs: number;
  readonly transfers: readonly SealTransfer[];
}

export interface BuiltBlock {
  readonly header: BlockHeader;
  readonly hash: Buffer;
}

/**
 * Seals a run of transfers into a block. The transfers must be non-empty and strictly increasing
 * by seq, so that the Merkle leaf order is the commit order and a verifier can rebuild it; anything
 * else is a bug in the caller and throws.
 */
export function buildBlock(input: BuildBlockInput): BuiltBlock {
  const { transfers } = input;
  const first = transfers[0];
  const last = transfers[transfers.length - 1];
  assert(first !== undefined && last !== undefined, 'a block needs at least one transfer');
  assertStrictlyIncreasingSeq(transfers);
  const header: BlockHeader = {
    height: input.height,
    firstSeq: first.seq,
    lastSeq: last.seq,
    transferCount: transfers.length,
    merkleRoot: merkleRoot(transfers.map(transferLeafHash)),
    prevHash: input.prevHash,
    createdAtMs: input.createdAtMs,
  };
  return { header, hash: blockHash(header) };
}

function assertStrictlyIncreasingSeq(transfers: readonly SealTransfer[]): void {
  for (let i = 1; i < transfers.length; i++) {
    const before = transfers[i - 1]!.seq;
    const after = transfers[i]!.seq;
    assert(
      before < after,
      `block transfers must be strictly increasing by seq: ${before}, ${after}`,
    );
  }
}

/** DER prefix that wraps a raw 32-byte Ed25519 seed as a PKCS#8 PrivateKeyInfo (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SEED_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;

/**
 * Parses the configured signing key: a PKCS#8 PEM private key, or the base64 of a raw 32-byte seed
 * (handier in an environment variable). Errors never echo the text, since it is secret.
 */
export function parseSigningKey(text: string): KeyObject {
  const trimmed = text.trim();
  const key = trimmed.startsWith('-----BEGIN') ? parsePem(trimmed) : parseSeed(trimmed);
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`signing key must be Ed25519, not ${String(key.asymmetricKeyType)}`);
  }
  return key;
}

function parsePem(pem: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new Error('signing key is not a readable unencrypted PEM private key', { cause });
  }
}

function parseSeed(base64: string): KeyObject {
  const seed = Buffer.from(base64, 'base64');
  // Buffer.from skips characters that are not base64, so re-encode to insist on a clean string.
  const canonical = seed.toString('base64');
  if (
    seed.length !== ED25519_SEED_BYTES ||
    canonical.replace(/=+$/, '') !== base64.replace(/=+$/, '')
  ) {
    throw new Error(
      'signing key must be a PEM private key or the base64 of a 32-byte Ed25519 seed',
    );
  }
  const der = Buffer.concat([ED25519_PKCS8_PREFIX, seed]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

/** Signs a block hash with Ed25519 (which hashes internally, hence no digest algorithm). */
export function signBlockHash(key: KeyObject, hash: Uint8Array): Buffer {
  assert(
    key.type === 'private' && key.asymmetricKeyType === 'ed25519',
    'need an Ed25519 private key',
  );
  assert(hash.length === HASH_BYTES, `a block hash is ${HASH_BYTES} bytes`);
  return sign(null, hash, key);
}

/** The SPKI PEM of the public half of a key, for publishing alongside the blocks. */
export function publicKeyPem(key: KeyObject): string {
  const publicKey = key.type === 'public' ? key : createPublicKey(key);
  return publicKey.export({ format: 'pem', type: 'spki' }).toString();
}

/**
 * Checks a block signature. A bad signature is an answer (false); an unusable public key is a
 * configuration error and throws.
 */
export function verifyBlockSignature(
  publicKey: KeyObject | string,
  hash: Uint8Array,
  signature: Uint8Array,
): boolean {
  const key = toPublicKey(publicKey);
  assert(key.asymmetricKeyType === 'ed25519', 'block signatures are verified with Ed25519 keys');
  if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
  return verify(null, hash, key, signature);
}

function toPublicKey(key: KeyObject | string): KeyObject {
  if (typeof key === 'string') return createPublicKey(key);
  return key.type === 'public' ? key : createPublicKey(key);
}
