// The log's standard output: the lines of one turn of the event loop are written together when it
// ends, and none is lost when the process exits before that, by process.exit or by running out of
// work. The child processes run the built logger (dist/) with stdout a real pipe.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireFreshBuild } from '../test/support/built.js';
import { REPO_ROOT } from '../test/support/vectors.js';
import { endOfTurnWrites } from './logging.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('endOfTurnWrites', () => {
  it('hands a turn’s lines to the sink as one text when the turn ends, and nothing for a turn without lines', async () => {
    const texts: string[] = [];
    const destination = endOfTurnWrites({ write: (text: string) => texts.push(text) });
    destination.write('a\n');
    destination.write('b\n');
    destination.write('c\n');
    expect(texts).toEqual([]);
    await nextTurn();
    expect(texts).toEqual(['a\nb\nc\n']);
    await nextTurn();
    expect(texts).toEqual(['a\nb\nc\n']);
    destination.write('d\n');
    await nextTurn();
    destination.write('e\n');
    destination.flush();
    expect(texts).toEqual(['a\nb\nc\n', 'd\n', 'e\n']);
    await nextTurn();
    expect(texts).toHaveLength(3);
  });
});

describe('the service’s standard output', () => {
  const logging = join(REPO_ROOT, 'dist/api/logging.js');
  const child = (ending: string) => {
    requireFreshBuild('dist/api/logging.js', ['api']);
    const script = `
      import { createLogger } from ${JSON.stringify(logging)};
      const first = createLogger(), second = createLogger();
      for (let i = 0; i < 300; i++) (i % 2 ? second : first).info({ i }, 'request');
      // Later, once the first turn's write is done (an asynchronous write still in flight at exit
      // is sonic-boom's to finish, as with pino's own default).
      setTimeout(() => {
        for (let i = 300; i < 400; i++) first.info({ i }, 'request');
        ${ending}
      }, 100);`;
    return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  };

  for (const [name, ending, status] of [
    ['the process runs out of work', '', 0],
    ['process.exit in the turn that wrote the last lines', 'process.exit(3);', 3],
  ] as const) {
    it(`writes every line, in order, when ${name}`, () => {
      const run = child(ending);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(status);
      const lines = run.stdout.split('\n');
      expect(lines.pop()).toBe('');
      expect(lines.map((line) => (JSON.parse(line) as { i: number }).i)).toEqual(Array.from({ length: 400 }, (_, i) => i));
      expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, service: 'atlog', msg: 'request' });
    });
  }
});
