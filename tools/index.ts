// tools/: the `atlog` command line. `main(argv, io)` runs one command and returns its exit status
// (0 success, 1 failure, 2 usage error) without exiting the process; `cli.ts` is the binary's entry.
// Commands live one per module in commands/ and are listed in commands/index.ts.

export { type CliCommand, type RunState, buildProgram, main } from './program.js';
export { type CliIo, type Context, LIMITS, contextOf } from './io.js';
export { type CliErrorCode, CliError, EXIT } from './errors.js';
