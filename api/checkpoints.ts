// Every checkpoint is signed twice, once per audience: a C2SP signed note for monitors and
// witnesses (/checkpoint, tlog-tiles), and a COSE tree head that every receipt under it shares
// (RFC 9942, DESIGN decisions 2-3). The log stores the pair as its one opaque signature.
import type { KeyObject } from 'node:crypto';
import { type CheckpointSigner, ed25519NoteSigner, LogError, noteCheckpointSigner, type SignedTreeHead, type TreeHead } from '../log/index.js';
import { CborTag, type CborValue, decodeCbor, encodeCbor, type ServiceIdentity, signTreeHead } from '../receipts/index.js';

/** The two signatures of one checkpoint. */
export interface CheckpointSignatures {
  /** The C2SP checkpoint note, UTF-8. */
  readonly note: Uint8Array;
  /** The COSE signed tree head (a COSE_Sign1 over the root, payload detached). */
  readonly treeHead: Uint8Array;
}

// The stored form: a tagged CBOR array [note, tree head]; the tag (private use) marks the format.
const STORED_TAG = 1_635_019_887; // "atlo" as a 32-bit tag number, in the first-come range

export function serviceCheckpointSigner(options: {
  readonly origin: string;
  /** Ed25519: C2SP notes are signed with Ed25519. */
  readonly checkpointKey: KeyObject;
  /** ES256, ES384 or EdDSA: the key receipts are verified with. */
  readonly receiptKey: KeyObject;
  readonly identity: ServiceIdentity;
}): CheckpointSigner {
  const note = noteCheckpointSigner(options.origin, ed25519NoteSigner(options.origin, options.checkpointKey));
  return {
    async sign(head: TreeHead): Promise<Uint8Array> {
      const signedNote = await note.sign(head);
      const treeHead = signTreeHead(options.receiptKey, options.identity, head).signature;
      return encodeCbor(new CborTag(STORED_TAG, [signedNote, treeHead]));
    },
  };
}

/** Splits a stored checkpoint signature into its note and its COSE tree head. */
export function checkpointSignatures(head: SignedTreeHead): CheckpointSignatures {
  let value: CborValue;
  try {
    value = decodeCbor(head.signature, { tags: [STORED_TAG] });
  } catch (error) {
    throw new LogError('STORAGE_CORRUPT', `the checkpoint at size ${head.size} has an unreadable signature`, { cause: error });
  }
  const parts = value instanceof CborTag && value.tag === STORED_TAG ? value.value : undefined;
  if (!Array.isArray(parts) || parts.length !== 2 || !(parts[0] instanceof Uint8Array) || !(parts[1] instanceof Uint8Array)) {
    throw new LogError('STORAGE_CORRUPT', `the checkpoint at size ${head.size} does not hold a note and a tree head`);
  }
  return { note: parts[0], treeHead: parts[1] };
}

/** The head as receipts/ wants it: the COSE tree head as its signature. */
export function receiptHead(head: SignedTreeHead): SignedTreeHead {
  return { size: head.size, rootHash: head.rootHash, timestamp: head.timestamp, signature: checkpointSignatures(head).treeHead };
}
