import { createHash } from 'node:crypto';
import { assert } from '../lib/assert.js';

/**
 * RFC 6962 (Certificate Transparency) Merkle tree hashing over SHA-256.
 *
 * Leaves and interior nodes are hashed with different one-byte prefixes so that an interior node
 * can never be passed off as a leaf (the second-preimage attack on naive Merkle trees). Every
 * function here is pure: hashes in, hashes out.
 */

/** Length in bytes of every hash in the tree. */
export const HASH_BYTES = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** MTH({d}) = SHA-256(0x00 || d). */
export function leafHash(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(bytes).digest();
}

/** The hash of an interior node: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** MTH({}) is the hash of the empty string, as RFC 6962 defines it. */
function emptyRoot(): Buffer {
  return createHash('sha256').digest();
}

/**
 * The RFC 6962 Merkle Tree Hash of a list of leaf hashes.
 *
 * RFC 6962 defines the tree recursively by splitting at the largest power of two below n. Building
 * it bottom-up instead, pairing neighbours level by level and carrying an unpaired last node up
 * unchanged, yields exactly the same tree: the left part of every split is a perfect subtree, so
 * the pairings agree, and the carried node is precisely the right subtree that RFC 6962 joins
 * one level higher. The bottom-up form needs one working copy and n - 1 hashes in total.
 */
export function merkleRoot(leafHashes: readonly Uint8Array[]): Buffer {
  if (leafHashes.length === 0) return emptyRoot();
  const level = copyLeafHashes(leafHashes);
  let count = level.length;
  while (count > 1) count = reduceLevel(level, count);
  return Buffer.from(nodeAt(level, 0));
}

/**
 * The RFC 6962 audit path PATH(index, D[n]): the sibling hashes from the leaf up to the root, the
 * nearest sibling first. Levels where the leaf's ancestor has no sibling (it is the carried, unpaired
 * last node) contribute nothing, which is what the recursive definition produces as well.
 */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number): Buffer[] {
  if (!isIndexInTree(index, leafHashes.length)) {
    throw new RangeError(`leaf index ${index} is outside a tree of ${leafHashes.length} leaves`);
  }
  const level = copyLeafHashes(leafHashes);
  const proof: Buffer[] = [];
  let count = level.length;
  let position = index;
  while (count > 1) {
    const sibling = position % 2 === 0 ? position + 1 : position - 1;
    if (sibling < count) proof.push(Buffer.from(nodeAt(level, sibling)));
    count = reduceLevel(level, count);
    position = Math.floor(position / 2);
  }
  return proof;
}

export interface InclusionClaim {
  readonly leafHash: Uint8Array;
  readonly index: number;
  readonly treeSize: number;
  readonly proof: readonly Uint8Array[];
  readonly root: Uint8Array;
}

/**
 * Checks an audit path with the algorithm of RFC 9162 section 2.1.3.2. It never throws: any
 * malformed claim (index out of range, hashes of the wrong length, a path too long or too short)
 * simply fails to verify, because the claim usually comes from outside.
 */
export function verifyInclusion(claim: InclusionClaim): boolean {
  const { leafHash: hash, index, treeSize, proof, root } = claim;
  if (!isIndexInTree(index, treeSize)) return false;
  if (!isHash(hash) || !isHash(root) || !proof.every(isHash)) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r: Uint8Array = hash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // Skip the levels where this subtree is the carried, unpaired last node.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && Buffer.from(r).equals(root);
}

/**
 * Replaces the first ceil(count / 2) entries of `level` with the next level up and returns that
 * count. Working in place keeps the whole tree computation at a single array allocation.
 */
function reduceLevel(level: Uint8Array[], count: number): number {
  let out = 0;
  for (let i = 0; i + 1 < count; i += 2) {
    level[out++] = nodeHash(nodeAt(level, i), nodeAt(level, i + 1));
  }
  if (count % 2 === 1) level[out++] = nodeAt(level, count - 1);
  return out;
}

/**
 * Copies the input so the in-place reduction never disturbs the caller's array, and checks the
 * length of every hash so that raw leaf data passed by mistake fails loudly instead of producing a
 * plausible but wrong root.
 */
function copyLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array[] {
  assert(leafHashes.every(isHash), `Merkle leaf hashes must be ${HASH_BYTES} bytes each`);
  return leafHashes.slice();
}

function nodeAt(level: readonly Uint8Array[], i: number): Uint8Array {
  const node = level[i];
  assert(node !== undefined, `Merkle level has no node ${i}`);
  return node;
}

function isIndexInTree(index: number, treeSize: number): boolean {
  return (
    Number.isSafeInteger(index) && Number.isSafeInteger(treeSize) && index >= 0 && index < treeSize
  );
}

function isHash(bytes: Uint8Array): boolean {
  return bytes.length === HASH_BYTES;
}

// Arithmetic rather than bit operators, which would truncate sizes beyond 2^31 to 32 bits.
function isOdd(n: number): boolean {
  return n % 2 === 1;
}

function half(n: number): number {
  return Math.floor(n / 2);
}
