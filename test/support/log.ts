import { generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { CheckpointSigner, MerkleLog, SignedTreeHead, TreeHead } from '../../log/index.js';
import { writeUint64BE } from '../../util/index.js';

// Every directory made by tempDir in this test file. One hook, registered when a test file
// imports this module (so on the file's root suite, and, as after hooks run in reverse order,
// after the file's own), removes them all: a hook registered from inside a running test or
// hook is never run, and such calls had left their directories behind in the OS temp dir.
const made = new Set<string>();
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
});

/** A fresh directory under the OS temp dir, removed when the test file finishes. */
export function tempDir(prefix = 'atlog-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** size ‖ root ‖ timestamp: what the test signer signs. */
export function headBytes(head: TreeHead): Uint8Array {
  const out = new Uint8Array(8 + 32 + 8);
  writeUint64BE(out, 0, head.size);
  out.set(head.rootHash, 8);
  writeUint64BE(out, 40, head.timestamp);
  return out;
}

/** A real Ed25519 checkpoint signer over {@link headBytes}, with a way to check what it signed. */
export function testSigner(): CheckpointSigner & { publicKey: KeyObject; verify(head: TreeHead & { signature: Uint8Array }): boolean } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    publicKey,
    async sign(head) {
      return new Uint8Array(sign(null, headBytes(head), privateKey));
    },
    verify(head) {
      return verify(null, headBytes(head), publicKey, head.signature);
    },
  };
}

/** Every checkpoint the log has signed, oldest first, read a page at a time. */
export async function allCheckpoints(log: MerkleLog): Promise<SignedTreeHead[]> {
  const heads: SignedTreeHead[] = [];
  for (let from = 1; ; ) {
    const page = await log.checkpoints(from, 1000);
    heads.push(...page);
    if (page.length < 1000) return heads;
    from = page.at(-1)!.size + 1;
  }
}
