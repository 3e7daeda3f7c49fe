// The service's keys: where they come from (a file, a PEM in the environment, or a development key
// generated into the data directory), and the keyring of every receipt key this log has signed
// with, so that retired keys stay published for as long as receipts signed with them exist.
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type CoseKey,
  coseKeyFromKeyObject,
  coseKeyThumbprint,
  decodeCoseKeySet,
  encodeCoseKeySet,
  importPrivateKeyPem,
  keyAlgorithm,
} from '../receipts/index.js';
import { bytesEqual } from '../util/index.js';
import { ServiceError } from './errors.js';

export interface ServiceKeys {
  /** Signs the COSE tree heads that receipts share. */
  readonly receiptKey: KeyObject;
  /** Signs the C2SP checkpoint notes (Ed25519). */
  readonly checkpointKey: KeyObject;
  /** True when the receipt key was generated for development, not configured. */
  readonly development: boolean;
  /** Where the development key was written, if it was. */
  readonly developmentKeyPath?: string;
}

export interface KeySources {
  /** PEM file of the receipt key (PKCS#8). */
  readonly receiptKeyFile?: string;
  /** PEM of the receipt key, e.g. from the environment. */
  readonly receiptKeyPem?: string;
  /** PEM file of an Ed25519 checkpoint key; default: the receipt key if it is Ed25519. */
  readonly checkpointKeyFile?: string;
  readonly checkpointKeyPem?: string;
  /** Where a development key is kept when no key is configured. */
  readonly dataDir: string;
}

const DEVELOPMENT_KEY = 'development-service-key.pem';

/**
 * Loads the configured keys, or (with none configured) the development key in the data directory,
 * generating it on first start. One Ed25519 key can sign both checkpoints and tree heads: a
 * C2SP note and a COSE Sig_structure can never be mistaken for one another. A receipt key of
 * another kind needs an Ed25519 checkpoint key beside it.
 */
export function loadServiceKeys(sources: KeySources): ServiceKeys {
  const configured = sources.receiptKeyPem ?? (sources.receiptKeyFile === undefined ? undefined : readPem(sources.receiptKeyFile, 'service key'));
  let receiptKey: KeyObject;
  let developmentKeyPath: string | undefined;
  if (configured !== undefined) {
    receiptKey = privateKey(configured, 'service key');
  } else {
    developmentKeyPath = join(sources.dataDir, DEVELOPMENT_KEY);
    if (!existsSync(developmentKeyPath)) {
      const { privateKey: generated } = generateKeyPairSync('ed25519');
      writeSecret(developmentKeyPath, generated.export({ format: 'pem', type: 'pkcs8' }).toString());
    }
    receiptKey = privateKey(readPem(developmentKeyPath, 'development service key'), 'development service key');
  }
  const checkpointPem =
    sources.checkpointKeyPem ?? (sources.checkpointKeyFile === undefined ? undefined : readPem(sources.checkpointKeyFile, 'checkpoint key'));
  const checkpointKey = checkpointPem === undefined ? receiptKey : privateKey(checkpointPem, 'checkpoint key');
  if (checkpointKey.asymmetricKeyType !== 'ed25519') {
    throw new ServiceError(
      'CONFIG_INVALID',
      'C2SP checkpoints are signed with Ed25519: configure an Ed25519 checkpoint key beside an ECDSA service key',
    );
  }
  return { receiptKey, checkpointKey, development: configured === undefined, ...(developmentKeyPath === undefined ? {} : { developmentKeyPath }) };
}

function readPem(path: string, what: string): string {
  try {
    const text = readFileSync(path, 'utf8');
    if (text.length > 64 * 1024) throw new ServiceError('CONFIG_INVALID', `the ${what} file ${path} is larger than a key can be`);
    return text;
  } catch (error) {
    if (error instanceof ServiceError) throw error;
    throw new ServiceError('CONFIG_INVALID', `cannot read the ${what} from ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function privateKey(pem: string, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = importPrivateKeyPem(pem);
  } catch (error) {
    // The message says what kind of problem it was, never the key.
    throw new ServiceError('CONFIG_INVALID', `the ${what} is not a usable PKCS#8 private key (ES256, ES384 or EdDSA)`, { cause: error });
  }
  keyAlgorithm(key);
  return key;
}

/** Writes a secret so that only the owner can ever read it: created 0600, renamed into place. */
function writeSecret(path: string, contents: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents, { mode: 0o600, flag: 'wx' });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

const KEYRING = 'service-keys.cbor';

/**
 * The published key set: every receipt key this data directory has signed with, current first.
 * Adds the current key on start if it is new; a key once used is never removed, because receipts
 * signed with it stay valid.
 */
export function updateKeyring(dataDir: string, receiptKey: KeyObject): CoseKey[] {
  const path = join(dataDir, KEYRING);
  const current = coseKeyFromKeyObject(createPublicKey(receiptKey), { kid: coseKeyThumbprint(receiptKey), alg: keyAlgorithm(receiptKey) });
  let known: CoseKey[] = [];
  if (existsSync(path)) {
    try {
      known = decodeCoseKeySet(readFileSync(path));
    } catch (error) {
      throw new ServiceError('CONFIG_INVALID', `the key ring ${path} is unreadable; restore it from a backup`, { cause: error });
    }
  }
  const others = known.filter((key) => !bytesEqual(coseKeyThumbprint(key), current.kid!));
  const keys = [current, ...others];
  if (others.length === known.length) {
    mkdirSync(dataDir, { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, encodeCoseKeySet(keys));
    renameSync(temporary, path);
  }
  return keys;
}

