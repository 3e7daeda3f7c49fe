// The vendored external vectors must stay byte-identical to the shared originals.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFiles, REPO_ROOT, VECTORS } from './support/vectors.js';

const SHARED = join(REPO_ROOT, '../shared/test-vectors');

describe.runIf(existsSync(SHARED))('vendored external vectors', () => {
  it.each(['rfc9162', 'cose-receipts', 'tlog-tiles'])('%s matches ../shared byte for byte', (dir) => {
    const ours = listFiles(join(VECTORS, dir));
    expect(ours).toEqual(listFiles(join(SHARED, dir)));
    for (const file of ours) {
      expect(readFileSync(join(VECTORS, dir, file)).equals(readFileSync(join(SHARED, dir, file))), file).toBe(true);
    }
  });
});
