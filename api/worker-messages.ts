// What the service and its worker threads (workers.ts, service-worker.ts) say to each other.
// Byte strings travel packed: one buffer per message, transferred, with the end offset of each.

/** Per statement of an admission batch: null when admitted, else why not. */
export type AdmissionOutcome =
  | null
  | { readonly kind: 'policy'; readonly code: string; readonly rule: string; readonly message: string }
  | { readonly kind: 'fault'; readonly message: string };

export type WorkerJob =
  | {
      readonly type: 'admit';
      /** The statements, packed. */
      readonly buffer: ArrayBuffer;
      readonly offsets: Uint32Array;
      /** The registration time of each (ms), for certificate validity. */
      readonly now: Float64Array;
    }
  | {
      readonly type: 'drafts';
      /** The entries, packed. */
      readonly buffer: ArrayBuffer;
      readonly offsets: Uint32Array;
    };

export type WorkerReply =
  | {
      readonly type: 'admitted';
      readonly outcomes: readonly AdmissionOutcome[];
      /** Of each admitted one, in order: the registered statement and its entry index draft, packed. */
      readonly buffer: ArrayBuffer;
      readonly offsets: Uint32Array;
    }
  | {
      readonly type: 'drafts';
      /** The entry index draft of each entry, in order, packed. */
      readonly buffer: ArrayBuffer;
      readonly offsets: Uint32Array;
    };

/** Byte strings in one new buffer, and where each ends. */
export function packBytes(parts: readonly Uint8Array[]): { buffer: ArrayBuffer; offsets: Uint32Array } {
  let total = 0;
  for (const part of parts) total += part.length;
  const bytes = new Uint8Array(total);
  const offsets = new Uint32Array(parts.length);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    bytes.set(parts[i]!, at);
    at += parts[i]!.length;
    offsets[i] = at;
  }
  return { buffer: bytes.buffer, offsets };
}

/** The byte strings of a packed buffer, as views of it (no copy). */
export function unpackBytes(buffer: ArrayBuffer, offsets: Uint32Array): Uint8Array[] {
  const parts: Uint8Array[] = new Array<Uint8Array>(offsets.length);
  let at = 0;
  for (let i = 0; i < offsets.length; i++) {
    const end = offsets[i]!;
    parts[i] = new Uint8Array(buffer, at, end - at);
    at = end;
  }
  return parts;
}
