// Keys and certificates from files: private keys as PKCS#8 PEM or JWK; public keys as SPKI PEM,
// JWK (or a JWK Set), COSE_Key or COSE_KeySet; certificate chains as PEM bundles (or one DER
// certificate). The format is told from the first bytes: `-----BEGIN` is PEM, `{` is JSON, anything
// else is CBOR (a CBOR map or array cannot start with either). No message ever quotes a key.

import { createPublicKey, type JsonWebKey, type KeyObject, X509Certificate } from 'node:crypto';
import {
  type CoseKey,
  coseKeyThumbprint,
  importJwk,
  importPrivateKeyPem,
  readPublicKeyFile,
} from '../receipts/index.js';
import { bytesEqual, fromBase64 } from '../util/index.js';
import { CliError, about } from './errors.js';
import { type Context, LIMITS, readInput, shownPath, utf8 } from './io.js';

type KeyFormat = 'pem' | 'json' | 'cbor';

function formatOf(bytes: Uint8Array): KeyFormat {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  if (bytes[i] === 0x2d) return 'pem'; // '-'
  if (bytes[i] === 0x7b) return 'json'; // '{'
  return 'cbor';
}

/** The issuer's private key, for signing: PKCS#8 PEM (`atlog keygen`'s key.pem) or a JWK with `d`. */
export async function loadPrivateKey(ctx: Context, path: string, what = '--key'): Promise<KeyObject> {
  const bytes = await readInput(ctx, path, what, LIMITS.key);
  const label = `${what} ${shownPath(path)}`;
  const format = formatOf(bytes);
  if (format === 'pem') return about(label, () => importPrivateKeyPem(utf8(bytes, label)));
  if (format === 'json') {
    const jwk = parseJson(bytes, label);
    if (!isObject(jwk) || jwk.d === undefined) throw new CliError('CLI_INPUT', `${label} is not a private key (a JWK without d)`);
    return about(label, () => importJwk(jwk as JsonWebKey));
  }
  throw new CliError('CLI_INPUT', `${label}: a private key must be PKCS#8 PEM (as atlog keygen writes it) or a JWK`);
}

/**
 * Public keys from a file: SPKI PEM, a JWK or JWK Set, a COSE_Key or a COSE_KeySet. Each key gets
 * its kid: its own (a COSE_Key's kid; a JWK's kid as UTF-8 bytes) when it has one, else its RFC 9679
 * thumbprint. (Verification also matches any key by its thumbprint.) Private keys are refused:
 * trusting a key needs only its public half, and a private key here is a mistake.
 */
export async function loadPublicKeys(ctx: Context, path: string, what: string): Promise<CoseKey[]> {
  const bytes = await readInput(ctx, path, what, LIMITS.key);
  return publicKeysFromBytes(bytes, `${what} ${shownPath(path)}`);
}

export function publicKeysFromBytes(bytes: Uint8Array, label: string): CoseKey[] {
  try {
    return readPublicKeys(bytes, label);
  } catch (error) {
    if (error instanceof CliError && (error.cause as { code?: unknown } | undefined)?.code === 'KEY_PRIVATE') {
      throw new CliError('CLI_INPUT', `${label} holds a private key; give the public key (as in <name>.pub.pem or <name>.pub.cbor)`);
    }
    throw error;
  }
}

function readPublicKeys(bytes: Uint8Array, label: string): CoseKey[] {
  return about(label, () => readPublicKeyFile(bytes, { sets: true, maxBytes: LIMITS.key })).map(withKid);
}

function withKid(key: CoseKey): CoseKey {
  return key.kid === undefined ? Object.freeze({ ...key, kid: coseKeyThumbprint(key) }) : key;
}

function parseJson(bytes: Uint8Array, label: string): unknown {
  try {
    return JSON.parse(utf8(bytes, label)) as unknown;
  } catch {
    // JSON.parse's message quotes the input, which may be a private key: say nothing of it.
    throw new CliError('CLI_INPUT', `${label} is not valid JSON`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Certificates

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]{1,40})-----([A-Za-z0-9+/=\s]*)-----END \1-----/g;

/**
 * A certificate chain from a PEM bundle (every block a CERTIFICATE, in the order given: leaf
 * first) or one DER certificate. Each must be a readable X.509 certificate; the full validation is
 * the verifier's, against trust anchors.
 */
export async function loadCertificateChain(ctx: Context, path: string, what = '--x5chain'): Promise<Uint8Array[]> {
  const bytes = await readInput(ctx, path, what, LIMITS.certificateChain);
  const label = `${what} ${shownPath(path)}`;
  let chain: Uint8Array[];
  if (bytes[0] === 0x30) {
    chain = [bytes];
  } else {
    const text = utf8(bytes, label);
    const blocks = [...text.matchAll(PEM_BLOCK)];
    if (blocks.length === 0) throw new CliError('CLI_INPUT', `${label} holds no PEM CERTIFICATE block`);
    if (blocks.length !== text.split('-----BEGIN ').length - 1) {
      throw new CliError('CLI_INPUT', `${label} has a PEM block that is not well formed`);
    }
    chain = blocks.map(([, type = '', body = ''], i) => {
      if (type.includes('PRIVATE')) throw new CliError('CLI_INPUT', `${label}: PEM block ${i} is a private key, not a certificate`);
      if (type !== 'CERTIFICATE') throw new CliError('CLI_INPUT', `${label}: PEM block ${i} is not a CERTIFICATE`);
      const der = fromBase64(body.replace(/\s+/g, ''));
      if (der === undefined || der.length === 0) throw new CliError('CLI_INPUT', `${label}: PEM block ${i} is not base64`);
      return der;
    });
  }
  chain.forEach((der, i) => certificateOf(der, `${label}: certificate ${i}`));
  return chain;
}

/** node:crypto's reading of a certificate, for its key and names. */
export function certificateOf(der: Uint8Array, label: string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw new CliError('CLI_INPUT', `${label} is not a readable X.509 certificate`);
  }
}

/** Whether a certificate certifies the public half of `key`. */
export function certificateHasKey(certificate: X509Certificate, key: KeyObject): boolean {
  const spki = (k: KeyObject) => new Uint8Array(k.export({ type: 'spki', format: 'der' }));
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return bytesEqual(spki(certificate.publicKey), spki(publicKey));
}

/** A certificate's subject on one line (`CN=agent, O=Example`). */
export function subjectOf(certificate: X509Certificate): string {
  return certificate.subject.split('\n').join(', ');
}
