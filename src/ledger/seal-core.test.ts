import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../lib/canonical-json.js';
import { merkleRoot } from './merkle.js';
import {
  GENESIS_PREV_HASH,
  blockHash,
  buildBlock,
  encodeTransfer,
  parseSigningKey,
  publicKeyPem,
  signBlockHash,
  transferLeafHash,
  verifyBlockSignature,
  type BlockHeader,
  type SealTransfer,
} from './seal-core.js';

const TRANSFER: SealTransfer = {
  seq: 42n,
  id: 'trf_1',
  debitAccountId: 'acc_A',
  creditAccountId: 'acc_B',
  amountMinor: 12345n,
  currency: 'CNY',
  code: 'transfer',
  kind: 'single',
  linked: false,
  pendingId: null,
  timeoutSeconds: null,
  metadata: { b: 1, a: 'x' },
  createdAtMs: 1_700_000_000_000,
};

const transferArb: fc.Arbitrary<SealTransfer> = fc.record({
  seq: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
  id: fc.string(),
  debitAccountId: fc.string(),
  creditAccountId: fc.string(),
  amountMinor: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  currency: fc.string(),
  code: fc.string(),
  kind: fc.constantFrom('single', 'pending', 'post_pending', 'void_pending', 'expire_pending'),
  linked: fc.boolean(),
  pendingId: fc.option(fc.string(), { nil: null }),
  timeoutSeconds: fc.option(fc.integer({ min: 0, max: 2 ** 31 }), { nil: null }),
  metadata: fc.oneof(fc.constant(null), fc.jsonValue()),
  createdAtMs: fc.integer({ min: 0, max: 2 ** 48 }),
});

const FIELDS = Object.keys(TRANSFER) as (keyof SealTransfer)[];

function transfersWithSeqs(seqs: readonly bigint[]): SealTransfer[] {
  return seqs.map((seq) => ({ ...TRANSFER, seq, id: `trf_${seq}` }));
}

function flipBit(bytes: Uint8Array, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  const byte = Math.floor(bit / 8) % copy.length;
  copy[byte] = copy[byte]! ^ (1 << (bit % 8));
  return copy;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

describe('encodeTransfer', () => {
  it('produces the documented version 1 layout', () => {
    expect(encodeTransfer(TRANSFER).toString('utf8')).toBe(
      '[1,"42","trf_1","acc_A","acc_B","12345","CNY","transfer","single",false,null,null,' +
        '{"a":"x","b":1},1700000000000]',
    );
  });

  it('is deterministic, whatever the key order of the metadata', () => {
    const reordered = { ...TRANSFER, metadata: { a: 'x', b: 1 } };
    expect(encodeTransfer(reordered).equals(encodeTransfer(TRANSFER))).toBe(true);
    fc.assert(
      fc.property(transferArb, (t) => {
        const copy = { ...t, metadata: JSON.parse(JSON.stringify(t.metadata)) as unknown };
        expect(encodeTransfer(copy).equals(encodeTransfer(t))).toBe(true);
      }),
    );
  });

  it('changes exactly when some field changes', () => {
    fc.assert(
      fc.property(transferArb, transferArb, (a, b) => {
        for (const field of FIELDS) {
          const mixed: SealTransfer = { ...a, [field]: b[field] };
          const same = canonicalJson(a[field]) === canonicalJson(b[field]);
          expect(encodeTransfer(mixed).equals(encodeTransfer(a))).toBe(same);
        }
      }),
    );
  });

  it('tells apart the debit and credit sides and null from a value', () => {
    const swapped = { ...TRANSFER, debitAccountId: 'acc_B', creditAccountId: 'acc_A' };
    expect(encodeTransfer(swapped).equals(encodeTransfer(TRANSFER))).toBe(false);
    const pending = { ...TRANSFER, pendingId: 'null' };
    expect(encodeTransfer(pending).equals(encodeTransfer(TRANSFER))).toBe(false);
  });

  it('rejects values whose runtime type would change the encoding', () => {
    const asString = { ...TRANSFER, seq: '42' } as unknown as SealTransfer;
    const asNumber = { ...TRANSFER, amountMinor: 12345 } as unknown as SealTransfer;
    const badKind = { ...TRANSFER, kind: 'refund' } as unknown as SealTransfer;
    const noMetadata = { ...TRANSFER, metadata: undefined };
    const fractionalTime = { ...TRANSFER, createdAtMs: 1.5 };
    for (const bad of [asString, asNumber, badKind, noMetadata, fractionalTime]) {
      expect(() => encodeTransfer(bad)).toThrow(Error);
    }
  });
});

describe('blockHash', () => {
  const header: BlockHeader = {
    height: 3n,
    firstSeq: 10n,
    lastSeq: 12n,
    transferCount: 3,
    merkleRoot: Buffer.alloc(32, 0xab),
    prevHash: Buffer.alloc(32, 0xcd),
    createdAtMs: 1_700_000_000_000,
  };

  it('is SHA-256 over the documented header encoding', () => {
    const encoding =
      `["hebao.seal.block",1,"3","10","12",3,"${'ab'.repeat(32)}","${'cd'.repeat(32)}",` +
      '1700000000000]';
    expect(blockHash(header).equals(sha256(encoding))).toBe(true);
  });

  it('changes when any header field changes', () => {
    const variants: readonly BlockHeader[] = [
      { ...header, height: 4n },
      { ...header, firstSeq: 11n },
      { ...header, lastSeq: 13n },
      { ...header, transferCount: 2 },
      { ...header, merkleRoot: flipBit(header.merkleRoot, 0) },
      { ...header, prevHash: flipBit(header.prevHash, 255) },
      { ...header, createdAtMs: header.createdAtMs + 1 },
    ];
    const hashes = new Set([header, ...variants].map((h) => blockHash(h).toString('hex')));
    expect(hashes.size).toBe(variants.length + 1);
  });

  it('rejects malformed headers', () => {
    expect(() => blockHash({ ...header, prevHash: Buffer.alloc(31) })).toThrow(Error);
    expect(() => blockHash({ ...header, merkleRoot: Buffer.alloc(0) })).toThrow(Error);
    expect(() => blockHash({ ...header, firstSeq: 13n })).toThrow(Error);
    expect(() => blockHash({ ...header, transferCount: 0 })).toThrow(Error);
    expect(() => blockHash({ ...header, height: -1n })).toThrow(Error);
  });

  it('has a 32-byte all-zero genesis predecessor', () => {
    expect(GENESIS_PREV_HASH.equals(Buffer.alloc(32))).toBe(true);
  });
});

describe('buildBlock', () => {
  const base = { height: 0n, prevHash: GENESIS_PREV_HASH, createdAtMs: 1_700_000_000_000 };

  it('commits to the transfers, in order, through the Merkle root', () => {
    const transfers = transfersWithSeqs([5n, 6n, 9n]);
    const { header, hash } = buildBlock({ ...base, transfers });
    expect(header).toEqual({
      height: 0n,
      firstSeq: 5n,
      lastSeq: 9n,
      transferCount: 3,
      merkleRoot: merkleRoot(transfers.map(transferLeafHash)),
      prevHash: GENESIS_PREV_HASH,
      createdAtMs: base.createdAtMs,
    });
    expect(hash.equals(blockHash(header))).toBe(true);
  });

  it('chains: the next block commits to the previous hash', () => {
    const first = buildBlock({ ...base, transfers: transfersWithSeqs([1n, 2n]) });
    const next = { height: 1n, prevHash: first.hash, createdAtMs: base.createdAtMs + 1000 };
    const second = buildBlock({ ...next, transfers: transfersWithSeqs([3n]) });
    const forked = buildBlock({
      ...next,
      prevHash: flipBit(first.hash, 7),
      transfers: transfersWithSeqs([3n]),
    });
    expect(second.header.prevHash.equals(first.hash)).toBe(true);
    expect(second.hash.equals(forked.hash)).toBe(false);
  });

  it('changes its hash when any sealed transfer changes', () => {
    const transfers = transfersWithSeqs([1n, 2n, 3n]);
    const original = buildBlock({ ...base, transfers }).hash;
    const altered = transfers.map((t, i) =>
      i === 1 ? { ...t, amountMinor: t.amountMinor + 1n } : t,
    );
    expect(buildBlock({ ...base, transfers: altered }).hash.equals(original)).toBe(false);
  });

  it('rejects an empty or unordered run of transfers', () => {
    expect(() => buildBlock({ ...base, transfers: [] })).toThrow(Error);
    expect(() => buildBlock({ ...base, transfers: transfersWithSeqs([2n, 1n]) })).toThrow(
      /strictly increasing/,
    );
    expect(() => buildBlock({ ...base, transfers: transfersWithSeqs([1n, 1n]) })).toThrow(
      /strictly increasing/,
    );
    expect(() => buildBlock({ ...base, transfers: transfersWithSeqs([1n, 3n, 2n]) })).toThrow(
      /strictly increasing/,
    );
  });
});

describe('Ed25519 block signatures', () => {
  // RFC 8032 section 7.1, TEST 1: the seed and the public key it derives.
  const RFC8032_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
  const RFC8032_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
  const seedBase64 = Buffer.from(RFC8032_SEED, 'hex').toString('base64');
  const hash = sha256('block');

  // The raw public key is the last 32 bytes of the SPKI DER inside the PEM.
  const rawPublicKey = (key: KeyObject): string => {
    const spki = Buffer.from(publicKeyPem(key).replace(/-----[^-]+-----|\s/g, ''), 'base64');
    return spki.subarray(spki.length - 32).toString('hex');
  };

  it('derives the RFC 8032 public key from a base64 seed', () => {
    const key = parseSigningKey(seedBase64);
    expect(key.type).toBe('private');
    expect(rawPublicKey(key)).toBe(RFC8032_PUBLIC);
  });

  it('round-trips a signature made with a seed key', () => {
    const key = parseSigningKey(`  ${seedBase64}\n`);
    const signature = signBlockHash(key, hash);
    expect(signature.length).toBe(64);
    expect(verifyBlockSignature(publicKeyPem(key), hash, signature)).toBe(true);
    expect(verifyBlockSignature(key, hash, signature)).toBe(true);
  });

  it('round-trips a signature made with a generated PEM key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const key = parseSigningKey(pem);
    const signature = signBlockHash(key, hash);
    expect(verifyBlockSignature(publicKey, hash, signature)).toBe(true);
    expect(publicKeyPem(key)).toBe(publicKey.export({ format: 'pem', type: 'spki' }).toString());
  });

  it('fails for a wrong key, a flipped bit or a truncated signature', () => {
    const key = parseSigningKey(seedBase64);
    const signature = signBlockHash(key, hash);
    const other = generateKeyPairSync('ed25519').publicKey;
    expect(verifyBlockSignature(other, hash, signature)).toBe(false);
    fc.assert(
      fc.property(fc.nat({ max: 64 * 8 - 1 }), (bit) => {
        expect(verifyBlockSignature(key, hash, flipBit(signature, bit))).toBe(false);
        expect(verifyBlockSignature(key, flipBit(hash, bit), signature)).toBe(false);
      }),
      { numRuns: 50 },
    );
    expect(verifyBlockSignature(key, hash, signature.subarray(0, 63))).toBe(false);
    expect(verifyBlockSignature(key, hash, Buffer.alloc(0))).toBe(false);
  });

  it('rejects keys that are not Ed25519 private keys, without echoing them', () => {
    const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    const shortSeed = Buffer.alloc(31, 7).toString('base64');
    const dirtySeed = `${seedBase64.slice(0, 10)}!${seedBase64.slice(10)}`;
    const publicPem = publicKeyPem(parseSigningKey(seedBase64));
    for (const text of [ecPem, shortSeed, dirtySeed, publicPem, '', 'not a key']) {
      expect(() => parseSigningKey(text)).toThrow(Error);
    }
    expect(() => parseSigningKey(dirtySeed)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(seedBase64.slice(0, 10)) }),
    );
    expect(() => parseSigningKey(ecPem)).toThrow(/Ed25519/);
  });

  it('refuses to sign with a public key or something other than a 32-byte hash', () => {
    const key = parseSigningKey(seedBase64);
    const { publicKey } = generateKeyPairSync('ed25519');
    expect(() => signBlockHash(publicKey, hash)).toThrow(Error);
    expect(() => signBlockHash(key, Buffer.from('not a hash'))).toThrow(Error);
  });
});
