// What `atlog serve` says about node's young generation at start: read from its flags.
import { describe, expect, it } from 'vitest';
import { semiSpaceOf } from './commands/serve.js';

describe('serve: the semi-space node runs with', () => {
  it('is read from node flags and NODE_OPTIONS, the flags winning', () => {
    expect(semiSpaceOf([], undefined)).toBeUndefined();
    expect(semiSpaceOf(['--max-semi-space-size=64'], undefined)).toBe(64);
    expect(semiSpaceOf([], '--max-old-space-size=4096 --max-semi-space-size=32')).toBe(32);
    expect(semiSpaceOf(['--max_semi_space_size', '128'], '--max-semi-space-size=32')).toBe(128);
    expect(semiSpaceOf(['--max-semi-space-size=64'], '--max-semi-space-size=32')).toBe(64);
  });

  it('ignores what is not that flag with a number', () => {
    for (const flags of [['--max-semi-space-size=lots'], ['--max-semi-space-size'], ['--max-semi-space-sizes=64'], ['--min-semi-space-size=64'], ['--max-semi-space-size=1234567']]) {
      expect(semiSpaceOf(flags, undefined), flags.join(' ')).toBeUndefined();
    }
    expect(semiSpaceOf([], '  ')).toBeUndefined();
  });
});
