/**
 * A software WebAuthn authenticator, so that tests exercise the real @simplewebauthn/server
 * verification with real attestation and assertion objects instead of mocking the library. It
 * behaves like a platform passkey provider that does not sync: ES256 (P-256) keys, "none"
 * attestation, user presence and verification always given, backup flags off, a sign counter
 * per credential, and discoverable credentials carrying the user handle.
 *
 * The encoding is pure functions over bytes; only `createSoftAuthenticator` holds state (the
 * keys and counters a real authenticator keeps), and only it draws randomness.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialDescriptorJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import {
  COSEALG,
  cose,
  isoBase64URL,
  isoCBOR,
  isoUint8Array,
} from '@simplewebauthn/server/helpers';

/** Authenticator data flag bits (WebAuthn level 3, section 6.1). */
const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

const AAGUID_BYTES = 16;
const CREDENTIAL_ID_BYTES_MIN = 16;
const CREDENTIAL_ID_BYTES_MAX = 32;

export interface SoftAuthenticatorOptions {
  /** Reported in the attested credential data; all zeroes, as "none" attestation usually has. */
  readonly aaguid?: Uint8Array;
}

export interface SoftCredential {
  readonly id: string;
  readonly rpId: string;
  /** The base64url user.id from the creation options, returned as the assertion's userHandle. */
  readonly userHandle: string;
  readonly signCount: number;
}

export interface SoftAuthenticator {
  /** Does what navigator.credentials.create() does, returning the JSON the browser would send. */
  createCredential(
    options: PublicKeyCredentialCreationOptionsJSON,
    origin: string,
  ): RegistrationResponseJSON;
  /** Does what navigator.credentials.get() does; `credentialId` picks one when several fit. */
  getAssertion(
    options: PublicKeyCredentialRequestOptionsJSON,
    origin: string,
    credentialId?: string,
  ): AuthenticationResponseJSON;
  /** The ids of the stored credentials, oldest first. */
  credentials(): readonly string[];
  /** The stored credentials with their relying party, user handle and current sign counter. */
  credentialDetails(): readonly SoftCredential[];
}

interface StoredCredential extends SoftCredential {
  readonly privateKey: KeyObject;
}

/** Thrown where a browser would reject the ceremony; `name` is the DOMException name it uses. */
export class SoftAuthenticatorError extends Error {
  constructor(
    override readonly name: 'NotAllowedError' | 'InvalidStateError' | 'NotSupportedError',
    message: string,
  ) {
    super(message);
  }
}

export function createSoftAuthenticator(options: SoftAuthenticatorOptions = {}): SoftAuthenticator {
  const aaguid = options.aaguid ?? new Uint8Array(AAGUID_BYTES);
  if (aaguid.length !== AAGUID_BYTES) throw new Error('An AAGUID is 16 bytes');
  // The sign counters change with every assertion, so this list is the authenticator's memory.
  let stored: readonly StoredCredential[] = [];

  return {
    createCredential(creation, origin) {
      const rpId = creation.rp.id ?? new URL(origin).hostname;
      refuseExcluded(stored, rpId, creation.excludeCredentials ?? []);
      if (!creation.pubKeyCredParams.some((p) => p.alg === COSEALG.ES256)) {
        throw new SoftAuthenticatorError('NotSupportedError', 'Only ES256 is supported');
      }
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const credentialId = randomCredentialId();
      const id = isoBase64URL.fromBuffer(credentialId);
      stored = [...stored, { id, rpId, userHandle: creation.user.id, signCount: 0, privateKey }];
      const clientData = clientDataJSON('webauthn.create', creation.challenge, origin);
      const authData = authenticatorData(rpId, FLAG_UP | FLAG_UV | FLAG_AT, 0, {
        aaguid,
        credentialId,
        publicKey: coseEc2PublicKey(publicKey),
      });
      return registrationResponse(id, clientData, authData, publicKey);
    },

    getAssertion(request, origin, credentialId) {
      const rpId = request.rpId ?? new URL(origin).hostname;
      const chosen = chooseCredential(stored, rpId, request.allowCredentials ?? [], credentialId);
      const signCount = chosen.signCount + 1;
      stored = stored.map((c) => (c.id === chosen.id ? { ...c, signCount } : c));
      const clientData = clientDataJSON('webauthn.get', request.challenge, origin);
      const authData = authenticatorData(rpId, FLAG_UP | FLAG_UV, signCount, null);
      const signature = signAssertion(chosen.privateKey, authData, clientData);
      return assertionResponse(chosen, clientData, authData, signature);
    },

    credentials: () => stored.map((c) => c.id),
    credentialDetails: () =>
      stored.map(({ id, rpId, userHandle, signCount }) => ({
        id,
        rpId,
        userHandle,
        signCount,
      })),
  };
}

/**
 * A copy of `response` with one bit of the signature flipped, which keeps it well-formed DER
 * so that the test reaches the signature check instead of a parse error.
 */
export function withTamperedSignature(
  response: AuthenticationResponseJSON,
): AuthenticationResponseJSON {
  const signature = isoBase64URL.toBuffer(response.response.signature);
  signature[signature.length - 1]! ^= 0x01;
  return {
    ...response,
    response: { ...response.response, signature: isoBase64URL.fromBuffer(signature) },
  };
}

/** A credential the relying party already knows must not be registered twice. */
function refuseExcluded(
  stored: readonly StoredCredential[],
  rpId: string,
  excluded: readonly PublicKeyCredentialDescriptorJSON[],
): void {
  const excludedIds = new Set(excluded.map((d) => d.id));
  if (stored.some((c) => c.rpId === rpId && excludedIds.has(c.id))) {
    throw new SoftAuthenticatorError('InvalidStateError', 'A credential is already registered');
  }
}

/**
 * An empty allow list means the relying party asks for a discoverable credential, so any
 * credential of the relying party will do; the first stored one is used unless one is named.
 */
function chooseCredential(
  stored: readonly StoredCredential[],
  rpId: string,
  allowed: readonly PublicKeyCredentialDescriptorJSON[],
  credentialId: string | undefined,
): StoredCredential {
  const allowedIds = new Set(allowed.map((d) => d.id));
  const chosen = stored.find(
    (c) =>
      c.rpId === rpId &&
      (allowedIds.size === 0 || allowedIds.has(c.id)) &&
      (credentialId === undefined || c.id === credentialId),
  );
  if (!chosen) throw new SoftAuthenticatorError('NotAllowedError', `No credential for ${rpId}`);
  return chosen;
}

function randomCredentialId(): Uint8Array<ArrayBuffer> {
  const spread = CREDENTIAL_ID_BYTES_MAX - CREDENTIAL_ID_BYTES_MIN + 1;
  const length = CREDENTIAL_ID_BYTES_MIN + (randomBytes(1)[0]! % spread);
  return new Uint8Array(randomBytes(length));
}

function sha256(data: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** Key order and spacing match what browsers produce, though verifiers must not depend on it. */
function clientDataJSON(type: string, challenge: string, origin: string): Uint8Array<ArrayBuffer> {
  return isoUint8Array.fromUTF8String(
    JSON.stringify({ type, challenge, origin, crossOrigin: false }),
  );
}

interface AttestedCredentialData {
  readonly aaguid: Uint8Array;
  readonly credentialId: Uint8Array;
  readonly publicKey: Uint8Array;
}

/**
 * rpIdHash (32) | flags (1) | signCount (4, big-endian) | attested credential data, where that
 * is aaguid (16) | credential id length (2, big-endian) | credential id | COSE public key.
 */
export function authenticatorData(
  rpId: string,
  flags: number,
  signCount: number,
  attested: AttestedCredentialData | null,
): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(37);
  header.set(sha256(isoUint8Array.fromUTF8String(rpId)), 0);
  header[32] = flags;
  new DataView(header.buffer).setUint32(33, signCount, false);
  if (attested === null) return header;
  const idLength = new Uint8Array(2);
  new DataView(idLength.buffer).setUint16(0, attested.credentialId.length, false);
  return isoUint8Array.concat([
    header,
    new Uint8Array(attested.aaguid),
    idLength,
    new Uint8Array(attested.credentialId),
    new Uint8Array(attested.publicKey),
  ]);
}

/** The P-256 public key as a COSE_Key map: kty EC2, alg ES256, crv P-256, x and y. */
export function coseEc2PublicKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.x === undefined || jwk.y === undefined) throw new Error('Not an EC public key');
  return isoCBOR.encode(
    new Map<number, number | Uint8Array>([
      [cose.COSEKEYS.kty, cose.COSEKTY.EC2],
      [cose.COSEKEYS.alg, COSEALG.ES256],
      [cose.COSEKEYS.crv, cose.COSECRV.P256],
      [cose.COSEKEYS.x, isoBase64URL.toBuffer(jwk.x)],
      [cose.COSEKEYS.y, isoBase64URL.toBuffer(jwk.y)],
    ]),
  );
}

/** ES256 in WebAuthn is ECDSA over SHA-256 with the signature DER-encoded, Node's default. */
function signAssertion(privateKey: KeyObject, authData: Uint8Array, clientData: Uint8Array) {
  const signed = isoUint8Array.concat([new Uint8Array(authData), sha256(clientData)]);
  return new Uint8Array(sign('sha256', signed, { key: privateKey, dsaEncoding: 'der' }));
}

function registrationResponse(
  id: string,
  clientData: Uint8Array<ArrayBuffer>,
  authData: Uint8Array<ArrayBuffer>,
  publicKey: KeyObject,
): RegistrationResponseJSON {
  const attestationObject = isoCBOR.encode(
    new Map<string, string | Uint8Array | Map<string, never>>([
      ['fmt', 'none'],
      ['attStmt', new Map<string, never>()],
      ['authData', authData],
    ]),
  );
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  return {
    id,
    rawId: id,
    type: 'public-key',
    response: {
      clientDataJSON: isoBase64URL.fromBuffer(clientData),
      attestationObject: isoBase64URL.fromBuffer(attestationObject),
      authenticatorData: isoBase64URL.fromBuffer(authData),
      transports: ['internal'],
      publicKeyAlgorithm: COSEALG.ES256,
      publicKey: isoBase64URL.fromBuffer(spki),
    },
    authenticatorAttachment: 'platform',
    clientExtensionResults: {},
  };
}

function assertionResponse(
  credential: StoredCredential,
  clientData: Uint8Array<ArrayBuffer>,
  authData: Uint8Array<ArrayBuffer>,
  signature: Uint8Array<ArrayBuffer>,
): AuthenticationResponseJSON {
  return {
    id: credential.id,
    rawId: credential.id,
    type: 'public-key',
    response: {
      clientDataJSON: isoBase64URL.fromBuffer(clientData),
      authenticatorData: isoBase64URL.fromBuffer(authData),
      signature: isoBase64URL.fromBuffer(signature),
      userHandle: credential.userHandle,
    },
    authenticatorAttachment: 'platform',
    clientExtensionResults: {},
  };
}
