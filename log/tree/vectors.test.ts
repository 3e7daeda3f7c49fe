// The transparency-dev/merkle proof vectors, every one with the result it expects.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFiles, readJson, VECTORS } from '../../test/support/vectors.js';
import { ProofError, verifyConsistency, verifyInclusion } from './index.js';

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}
interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

function outcome(check: () => void): 'ok' | string {
  try {
    check();
    return 'ok';
  } catch (err) {
    // Only typed proof errors count as a rejection: a TypeError would be a bug, not a verdict.
    if (err instanceof ProofError) return err.code;
    throw err;
  }
}

const inclusionDir = join(VECTORS, 'rfc9162/inclusion');
const consistencyDir = join(VECTORS, 'rfc9162/consistency');
const inclusionFiles = listFiles(inclusionDir);
const consistencyFiles = listFiles(consistencyDir).filter((f) => f.endsWith('.json'));

describe('RFC 9162 vectors (transparency-dev/merkle)', () => {
  it('has the whole set: 196 vectors', () => {
    expect(inclusionFiles.length + consistencyFiles.length).toBe(196);
  });

  it.each(inclusionFiles)('inclusion %s', (file) => {
    const v = readJson<InclusionVector>(join(inclusionDir, file));
    const result = outcome(() =>
      verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), (v.proof ?? []).map(b64), b64(v.root)),
    );
    if (v.wantErr) expect(result, v.desc).not.toBe('ok');
    else expect(result, v.desc).toBe('ok');
  });

  it.each(consistencyFiles)('consistency %s', (file) => {
    const v = readJson<ConsistencyVector>(join(consistencyDir, file));
    const result = outcome(() =>
      verifyConsistency(v.size1, v.size2, b64(v.root1), b64(v.root2), (v.proof ?? []).map(b64)),
    );
    if (v.wantErr) expect(result, v.desc).not.toBe('ok');
    else expect(result, v.desc).toBe('ok');
  });
});
