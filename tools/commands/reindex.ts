// atlog reindex: drop the entry index of a data directory and rebuild it from the log. The index is
// derived data (index/): this is the way back from an index an operator no longer trusts, and it
// gives byte for byte what the service's follower would have written. The service must be stopped
// (LevelDB allows one process per database), and the log is only read: nothing is signed.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { EntryIndex } from '../../index/index.js';
import { LevelDbStorage, LogError, MerkleLog } from '../../log/index.js';
import { CliError } from '../errors.js';
import { safeText } from '../format.js';
import type { Context } from '../io.js';
import type { CliCommand } from '../program.js';

interface ReindexOptions {
  readonly data: string;
}

export const reindex: CliCommand = {
  name: 'reindex',
  register(program: Command, ctx: Context): void {
    program
      .command('reindex')
      .summary('rebuild the entry index of a stopped service from its log')
      .description(
        'Drop the entry index in the data directory and index every entry of the log again, as the service does\n' +
          'while it runs. The service must be stopped. Only the index is written; the log is read, never signed.',
      )
      .option('--data <dir>', 'data directory of the service', 'data')
      .action(async (options: ReindexOptions) => {
        await run(options, ctx);
      });
  },
};

async function run(options: ReindexOptions, ctx: Context): Promise<void> {
  const dataDir = resolve(ctx.io.cwd ?? process.cwd(), options.data);
  const say = (line: string) => ctx.io.stderr.write(`atlog: ${line}\n`);
  // LevelDB would create an empty database where there is none: a typo must not look like success.
  if (!existsSync(join(dataDir, 'log', 'CURRENT'))) {
    throw new CliError('CLI_FILE', `${safeText(options.data)}: no log here (expected a LevelDB in ${safeText(join(options.data, 'log'))})`);
  }
  let storage: LevelDbStorage;
  try {
    storage = await LevelDbStorage.open(join(dataDir, 'log'));
  } catch (error) {
    if (error instanceof LogError && error.code === 'STORAGE_LOCKED') {
      throw new CliError('CLI_INPUT', `${safeText(options.data)}: the log is in use by a running service; stop it first`, { cause: error });
    }
    throw new CliError('CLI_INPUT', `${safeText(options.data)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const started = Date.now();
  let log: MerkleLog | undefined;
  try {
    log = await MerkleLog.open({ storage, signer: refuseToSign });
    const total = log.size;
    let shown = Date.now();
    const size = await EntryIndex.rebuild({
      log,
      space: storage.space('index'),
      onIndexed: (indexed) => {
        if (Date.now() - shown < 2000) return;
        shown = Date.now();
        say(`indexed ${indexed} of ${total} entries`);
      },
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    ctx.io.stdout.write(`reindexed ${size} entries (tree size ${size}) in ${seconds} s\n`);
  } catch (error) {
    if (error instanceof LogError && error.code === 'SIGNER_FAILURE') {
      throw new CliError('CLI_INPUT', 'the log holds entries not yet under a signed checkpoint (it stopped mid-batch): start the service once so that it checkpoints them, then reindex', { cause: error });
    }
    throw error;
  } finally {
    if (log !== undefined) await log.close();
    else await storage.close();
  }
}

/** Reindexing never signs: a log that would need a new checkpoint to open is left to the service. */
const refuseToSign = {
  async sign(): Promise<Uint8Array> {
    throw new Error('atlog reindex does not sign checkpoints');
  },
};
