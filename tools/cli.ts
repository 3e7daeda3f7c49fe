// The `atlog` binary's entry (bin/atlog.js imports the built copy, dist/tools/cli.js): runs one
// command with the process's arguments and streams, and leaves with its exit status.
import { main } from './index.js';

// A reader that went away (`atlog inspect x | head`) is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
