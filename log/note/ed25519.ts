// Ed25519 note keys (signature type 0x01 of c2sp.org/signed-note), on node:crypto alone. Key
// material never goes into an error message, not even the public key.
import { createHash, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { toBase64 } from '../../util/index.js';
import { NoteError } from './errors.js';
import type { NoteSigner, NoteVerifier } from './note.js';
import { decodeCanonicalBase64, encodeUtf8, keyIdHex, keyNameProblem } from './text.js';

/** The signature type byte of Ed25519 note signatures. */
export const ED25519_SIGNATURE_TYPE = 0x01;
const PUBLIC_KEY_SIZE = 32;
const SIGNATURE_SIZE = 64;
// An Ed25519 SubjectPublicKeyInfo is this fixed DER header followed by the 32 raw key bytes.
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

/** key ID = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4], big-endian. */
export function ed25519KeyId(name: string, publicKey: Uint8Array): number {
  const digest = createHash('sha256')
    .update(encodeUtf8(name))
    .update(Uint8Array.of(0x0a, ED25519_SIGNATURE_TYPE))
    .update(publicKey)
    .digest();
  return digest.readUInt32BE(0);
}

/** The verifier key string `<name>+<hex8 key ID>+<base64(0x01 ‖ public key)>` for a public key. */
export function noteVerifierKey(name: string, publicKey: KeyObject): string {
  checkName(name);
  const raw = rawPublicKey(publicKey);
  const typed = new Uint8Array(1 + PUBLIC_KEY_SIZE);
  typed[0] = ED25519_SIGNATURE_TYPE;
  typed.set(raw, 1);
  return `${name}+${keyIdHex(ed25519KeyId(name, raw))}+${toBase64(typed)}`;
}

/** A note signer for an Ed25519 private key. */
export function ed25519NoteSigner(name: string, privateKey: KeyObject): NoteSigner {
  checkName(name);
  if (!isEd25519(privateKey, 'private')) throw new NoteError('KEY_MALFORMED', 'expected an Ed25519 private key');
  const keyId = ed25519KeyId(name, rawPublicKey(createPublicKey(privateKey)));
  return Object.freeze({
    name,
    keyId,
    sign: (message: Uint8Array) => new Uint8Array(sign(null, message, privateKey)),
  });
}

/**
 * A note verifier from a verifier key string, parsed strictly: the key ID must be 8 lowercase hex
 * digits (as every implementation writes it) and must be the one the name and key produce, the
 * base64 must be canonical, and the key must be a 32-byte Ed25519 key.
 */
export function ed25519NoteVerifier(verifierKey: string): NoteVerifier {
  const { name, keyId, key } = parseVerifierKey(verifierKey);
  if (key[0] !== ED25519_SIGNATURE_TYPE) {
    const type = key[0]!.toString(16).padStart(2, '0');
    throw new NoteError('KEY_UNSUPPORTED', `verifier key has signature type 0x${type}; only Ed25519 (0x01) is supported`);
  }
  const raw = key.subarray(1);
  if (raw.length !== PUBLIC_KEY_SIZE) {
    throw new NoteError('KEY_MALFORMED', `verifier key holds ${raw.length} key bytes; an Ed25519 key has ${PUBLIC_KEY_SIZE}`);
  }
  if (ed25519KeyId(name, raw) !== keyId) {
    throw new NoteError('KEY_ID_MISMATCH', 'the key ID in the verifier key is not the one its name and public key produce');
  }
  const publicKey = publicKeyFromRaw(raw);
  return Object.freeze({
    name,
    keyId,
    verify: (message: Uint8Array, signature: Uint8Array) => {
      if (signature.length !== SIGNATURE_SIZE) return false;
      try {
        return verify(null, message, publicKey, signature);
      } catch {
        // OpenSSL refuses some malformed inputs by throwing; to a note they are just bad signatures.
        return false;
      }
    },
  });
}

const KEY_ID_HEX = /^[0-9a-f]{8}$/;

function parseVerifierKey(verifierKey: string): { name: string; keyId: number; key: Uint8Array } {
  if (typeof verifierKey !== 'string') throw new NoteError('KEY_MALFORMED', 'a verifier key is a string');
  // The name holds no '+' and the key ID is hex, so the first two '+' are the separators; the
  // base64 key after them may contain '+' itself.
  const first = verifierKey.indexOf('+');
  const second = first === -1 ? -1 : verifierKey.indexOf('+', first + 1);
  if (second === -1) {
    throw new NoteError('KEY_MALFORMED', 'a verifier key has the form <name>+<key ID>+<key>');
  }
  const name = verifierKey.slice(0, first);
  const nameProblem = keyNameProblem(name);
  if (nameProblem !== undefined) throw new NoteError('KEY_MALFORMED', `verifier key name ${nameProblem}`);
  const idHex = verifierKey.slice(first + 1, second);
  if (!KEY_ID_HEX.test(idHex)) {
    throw new NoteError('KEY_MALFORMED', 'the key ID in a verifier key is 8 lowercase hex digits');
  }
  const key = decodeCanonicalBase64(verifierKey.slice(second + 1));
  if (key === undefined || key.length === 0) {
    throw new NoteError('KEY_MALFORMED', 'the key in a verifier key is not canonical padded standard base64');
  }
  return { name, keyId: Number.parseInt(idHex, 16), key };
}

function checkName(name: string): void {
  const problem = keyNameProblem(name);
  if (problem !== undefined) throw new NoteError('KEY_MALFORMED', `key name ${problem}`);
}

function isEd25519(key: unknown, type: 'public' | 'private'): key is KeyObject {
  return key instanceof KeyObject && key.type === type && key.asymmetricKeyType === 'ed25519';
}

function rawPublicKey(key: KeyObject): Uint8Array {
  if (!isEd25519(key, 'public')) throw new NoteError('KEY_MALFORMED', 'expected an Ed25519 public key');
  const der = new Uint8Array(key.export({ format: 'der', type: 'spki' }));
  return der.slice(SPKI_PREFIX.length);
}

function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  const der = new Uint8Array(SPKI_PREFIX.length + PUBLIC_KEY_SIZE);
  der.set(SPKI_PREFIX);
  der.set(raw, SPKI_PREFIX.length);
  try {
    return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch {
    // No cause attached: OpenSSL's message is of no use to the caller and keys stay out of errors.
    throw new NoteError('KEY_MALFORMED', 'the verifier key is not a valid Ed25519 public key');
  }
}
