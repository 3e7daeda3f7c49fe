/**
 * A tree head: what a checkpoint commits to. The log signs one after every integration, and never
 * two that are not consistent with each other.
 */
export interface TreeHead {
  /** Number of leaves. */
  readonly size: number;
  /** RFC 9162 root of the first `size` leaves (SHA-256 of nothing for size 0). */
  readonly rootHash: Uint8Array;
  /** When the head was signed, in milliseconds since the Unix epoch; never decreases. */
  readonly timestamp: number;
}

/**
 * Signs tree heads. The bytes it returns are stored beside the head and served as they are: a
 * C2SP signed-note checkpoint from `log/note`, or a COSE signature over the root from `receipts/`.
 * A signer must not return before its signature exists; it may be slow (an HSM, a remote KMS).
 */
export interface CheckpointSigner {
  sign(head: TreeHead): Promise<Uint8Array>;
}

/** A tree head together with its signature, as the log stores it. */
export interface SignedTreeHead extends TreeHead {
  readonly signature: Uint8Array;
}
