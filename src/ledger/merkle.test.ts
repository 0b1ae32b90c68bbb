import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HASH_BYTES,
  inclusionProof,
  leafHash,
  merkleRoot,
  nodeHash,
  verifyInclusion,
} from './merkle.js';

// The Certificate Transparency test data (also used by Trillian's rfc6962 tests).
const CT_LEAVES: readonly Buffer[] = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((hex) => Buffer.from(hex, 'hex'));

// MTH(D[0..n]) for n = 0..8 over CT_LEAVES, indexed by n.
const CT_ROOTS: readonly string[] = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

// Published audit paths PATH(index, D[treeSize]) over CT_LEAVES.
const CT_PATHS: readonly { index: number; treeSize: number; path: readonly string[] }[] = [
  { index: 0, treeSize: 1, path: [] },
  {
    index: 0,
    treeSize: 8,
    path: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    treeSize: 8,
    path: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    index: 2,
    treeSize: 3,
    path: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'],
  },
  {
    index: 1,
    treeSize: 5,
    path: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

const CT_LEAF_HASHES = CT_LEAVES.map(leafHash);

const hex = (bytes: readonly Uint8Array[]): string[] =>
  bytes.map((b) => Buffer.from(b).toString('hex'));

/** Distinct leaf hashes, so that two leaves can never legitimately share a proof. */
function distinctLeaves(size: number, salt: number): Buffer[] {
  return Array.from({ length: size }, (_, i) => leafHash(Buffer.from(`${salt}:${i}`)));
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// Direct transcriptions of the recursive definitions in RFC 6962 section 2.1, kept deliberately
// naive so that they can serve as the reference for the bottom-up implementation.
function referenceRoot(d: readonly Uint8Array[]): Buffer {
  if (d.length === 0) return createHash('sha256').digest();
  if (d.length === 1) return Buffer.from(d[0]!);
  const k = largestPowerOfTwoBelow(d.length);
  return nodeHash(referenceRoot(d.slice(0, k)), referenceRoot(d.slice(k)));
}

function referencePath(m: number, d: readonly Uint8Array[]): Buffer[] {
  if (d.length <= 1) return [];
  const k = largestPowerOfTwoBelow(d.length);
  return m < k
    ? [...referencePath(m, d.slice(0, k)), referenceRoot(d.slice(k))]
    : [...referencePath(m - k, d.slice(k)), referenceRoot(d.slice(0, k))];
}

function flipBit(bytes: Uint8Array, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  const byte = Math.floor(bit / 8) % copy.length;
  copy[byte] = copy[byte]! ^ (1 << (bit % 8));
  return copy;
}

describe('leafHash and nodeHash', () => {
  it('prefix leaves with 0x00 and interior nodes with 0x01', () => {
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe(CT_ROOTS[1]);
    expect(leafHash(Buffer.from([0])).toString('hex')).toBe(
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    );
    expect(nodeHash(CT_LEAF_HASHES[0]!, CT_LEAF_HASHES[1]!).toString('hex')).toBe(CT_ROOTS[2]);
  });
});

describe('merkleRoot', () => {
  it('matches the Certificate Transparency roots for every prefix of the test data', () => {
    CT_ROOTS.forEach((root, size) => {
      expect(merkleRoot(CT_LEAF_HASHES.slice(0, size)).toString('hex')).toBe(root);
    });
  });

  it('is the SHA-256 of the empty string for an empty tree', () => {
    expect(merkleRoot([]).toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('equals the recursive RFC 6962 definition for every size up to 300', () => {
    const leaves = distinctLeaves(300, 7);
    for (let size = 0; size <= 300; size++) {
      const d = leaves.slice(0, size);
      expect(merkleRoot(d).equals(referenceRoot(d))).toBe(true);
    }
  });

  it('handles 100,000 leaves and agrees with the reference', () => {
    const leaves = distinctLeaves(100_000, 1);
    const started = performance.now();
    const root = merkleRoot(leaves);
    const elapsedMs = performance.now() - started;
    expect(root.equals(referenceRoot(leaves))).toBe(true);
    // Generous bound: linear work takes a fraction of a second, a quadratic mistake takes minutes.
    expect(elapsedMs).toBeLessThan(5_000);
  }, 30_000);

  it('does not modify its input', () => {
    const leaves = distinctLeaves(5, 3);
    const before = hex(leaves);
    merkleRoot(leaves);
    inclusionProof(leaves, 4);
    expect(hex(leaves)).toEqual(before);
  });

  it('rejects leaf hashes that are not 32 bytes (raw leaf data passed by mistake)', () => {
    expect(() => merkleRoot([Buffer.from('raw leaf')])).toThrow(/32 bytes/);
    expect(() => inclusionProof([Buffer.alloc(HASH_BYTES), Buffer.alloc(3)], 0)).toThrow(
      /32 bytes/,
    );
  });
});

describe('inclusionProof', () => {
  it.each(CT_PATHS)(
    'matches the published PATH($index, D[$treeSize])',
    ({ index, treeSize, path }) => {
      const d = CT_LEAF_HASHES.slice(0, treeSize);
      const proof = inclusionProof(d, index);
      expect(hex(proof)).toEqual(path);
      expect(
        verifyInclusion({
          leafHash: CT_LEAF_HASHES[index]!,
          index,
          treeSize,
          proof,
          root: Buffer.from(CT_ROOTS[treeSize]!, 'hex'),
        }),
      ).toBe(true);
    },
  );

  it('equals the recursive RFC 6962 PATH for every leaf of every tree up to 64 leaves', () => {
    const leaves = distinctLeaves(64, 11);
    for (let size = 1; size <= 64; size++) {
      const d = leaves.slice(0, size);
      for (let m = 0; m < size; m++) {
        expect(hex(inclusionProof(d, m))).toEqual(hex(referencePath(m, d)));
      }
    }
  });

  it('rejects an index outside the tree', () => {
    const d = distinctLeaves(4, 0);
    for (const index of [-1, 4, 5, 1.5, Number.NaN]) {
      expect(() => inclusionProof(d, index)).toThrow(RangeError);
    }
    expect(() => inclusionProof([], 0)).toThrow(RangeError);
  });
});

describe('verifyInclusion', () => {
  const d = CT_LEAF_HASHES;
  const root = merkleRoot(d);
  const claim = { leafHash: d[5]!, index: 5, treeSize: 8, proof: inclusionProof(d, 5), root };

  it('accepts a valid claim', () => {
    expect(verifyInclusion(claim)).toBe(true);
  });

  it('rejects an index outside the tree instead of throwing', () => {
    for (const index of [-1, 8, 9, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(verifyInclusion({ ...claim, index })).toBe(false);
    }
    expect(verifyInclusion({ ...claim, treeSize: 0, index: 0 })).toBe(false);
  });

  it('rejects a proof that is too long or too short', () => {
    expect(verifyInclusion({ ...claim, proof: [...claim.proof, root] })).toBe(false);
    expect(verifyInclusion({ ...claim, proof: claim.proof.slice(0, 2) })).toBe(false);
  });

  it('rejects a tree size that gives the leaf a different path shape', () => {
    expect(verifyInclusion({ ...claim, treeSize: 6 })).toBe(false);
    expect(verifyInclusion({ ...claim, treeSize: 16 })).toBe(false);
    // In a 7-leaf tree leaf 5 has the same path shape as in an 8-leaf tree, so the path alone
    // cannot tell the two sizes apart; the tree size has to be authenticated elsewhere (the block
    // header records it as transferCount).
    expect(verifyInclusion({ ...claim, treeSize: 7 })).toBe(true);
  });

  it('rejects hashes of the wrong length', () => {
    expect(verifyInclusion({ ...claim, root: root.subarray(0, 31) })).toBe(false);
    expect(verifyInclusion({ ...claim, leafHash: Buffer.alloc(0) })).toBe(false);
    const proof = [...claim.proof.slice(0, 2), Buffer.alloc(33)];
    expect(verifyInclusion({ ...claim, proof })).toBe(false);
  });

  const randomTree = fc.record({ size: fc.integer({ min: 1, max: 300 }), salt: fc.nat() });

  it('holds for random trees: every leaf proof verifies', () => {
    fc.assert(
      fc.property(randomTree, ({ size, salt }) => {
        const leaves = distinctLeaves(size, salt);
        const root = merkleRoot(leaves);
        leaves.forEach((leaf, index) => {
          const proof = inclusionProof(leaves, index);
          expect(verifyInclusion({ leafHash: leaf, index, treeSize: size, proof, root })).toBe(
            true,
          );
        });
      }),
      { numRuns: 20 },
    );
  }, 60_000);

  it('holds for random trees: a flipped leaf, wrong index or tampered path fails', () => {
    const tamperCase = randomTree.chain(({ size, salt }) =>
      fc.record({
        size: fc.constant(size),
        salt: fc.constant(salt),
        index: fc.nat({ max: size - 1 }),
        otherIndex: fc.nat({ max: size - 1 }),
        bit: fc.nat({ max: HASH_BYTES * 8 - 1 }),
        pathPick: fc.nat(),
      }),
    );
    fc.assert(
      fc.property(tamperCase, ({ size, salt, index, otherIndex, bit, pathPick }) => {
        const leaves = distinctLeaves(size, salt);
        const treeRoot = merkleRoot(leaves);
        const proof = inclusionProof(leaves, index);
        const valid = { leafHash: leaves[index]!, index, treeSize: size, proof, root: treeRoot };
        expect(verifyInclusion(valid)).toBe(true);

        expect(verifyInclusion({ ...valid, leafHash: flipBit(valid.leafHash, bit) })).toBe(false);
        expect(verifyInclusion({ ...valid, root: flipBit(treeRoot, bit) })).toBe(false);
        if (otherIndex !== index) {
          expect(verifyInclusion({ ...valid, index: otherIndex })).toBe(false);
          expect(verifyInclusion({ ...valid, leafHash: leaves[otherIndex]! })).toBe(false);
        }
        if (proof.length > 0) {
          const at = pathPick % proof.length;
          const tampered = proof.map((p, i) => (i === at ? flipBit(p, bit) : p));
          expect(verifyInclusion({ ...valid, proof: tampered })).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('verifies every leaf of every tree up to 64 leaves', () => {
    const leaves = distinctLeaves(64, 5);
    for (let size = 1; size <= 64; size++) {
      const d = leaves.slice(0, size);
      const treeRoot = merkleRoot(d);
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(d, index);
        expect(
          verifyInclusion({ leafHash: d[index]!, index, treeSize: size, proof, root: treeRoot }),
        ).toBe(true);
      }
    }
  });
});
