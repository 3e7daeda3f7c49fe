// The commander program: `atlog` and its commands, with commander's own errors turned into atlog's
// one-line form (`atlog: unknown option '--x'`) and exit status 2, and everything else a command
// throws into `atlog: <message>` and exit 1 (see errors.ts).

import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands/index.js';
import { EXIT, describeError, exitCodeOf, usageError } from './errors.js';
import { safeText } from './format.js';
import { type CliIo, type Context, contextOf } from './io.js';

/** A command's state during one run: what it wants the process to exit with. */
export interface RunState {
  exitCode: number;
}

/**
 * One `atlog` command. `register` adds it to the program (name, arguments, options, help) and
 * gives it an action; the action reads `ctx` for its input and output, throws for errors (one line,
 * exit 1, or 2 for a CLI_USAGE error) and sets `state.exitCode` for an outcome that is not an error
 * but not a success either (a verification that failed, an inspection that found problems).
 */
export interface CliCommand {
  readonly name: string;
  register(program: Command, ctx: Context, state: RunState): void;
}

/** Builds the `atlog` program for one run. */
export function buildProgram(ctx: Context, state: RunState): Command {
  const { io } = ctx;
  const program = new Command('atlog')
    .description('atlog: the agent transparency log (SCITT). Make, verify and inspect signed statements and receipts.')
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`atlog: ${commanderMessage(text)}\n`),
    })
    .showSuggestionAfterError(true)
    .allowExcessArguments(false);
  program.addHelpText(
    'after',
    '\nExit status: 0 success; 1 failure (bad input, verification failed, network); 2 usage error.\n' +
      'Run `atlog <command> --help` for a command’s options, formats and limits.',
  );
  // Settings above are inherited by commands created with program.command(), which every
  // command's register() uses.
  for (const command of COMMANDS) command.register(program, ctx, state);
  return program;
}

// Commander's messages start with "error: " and may put a suggestion on a second line.
function commanderMessage(text: string): string {
  const line = text
    .trim()
    .split('\n')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .join(' ')
    .replace(/^error: /, '');
  return safeText(line, 300);
}

/**
 * Runs `atlog` with `argv` (the arguments after the program name) and returns the exit status.
 * Never throws, never exits the process, never prints a stack trace.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const ctx = contextOf(io);
  const state: RunState = { exitCode: EXIT.OK };
  try {
    if (argv.length === 0) throw usageError('no command given; run `atlog --help` for the list');
    await buildProgram(ctx, state).parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Already printed (help, version, or the error through outputError above).
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.OK;
      // `atlog help <command>`: exit status 0; help shown because something was missing: usage.
      if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      return EXIT.USAGE;
    }
    io.stderr.write(`atlog: ${describeError(error)}\n`);
    return exitCodeOf(error);
  }
}

let cachedVersion: string | undefined;

/** The package's version, from the package.json above this file (source or dist/). */
function version(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const json = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (json.name === 'atlog' && typeof json.version === 'string') return (cachedVersion = json.version);
    } catch {
      // not there: try the next level
    }
  }
  return (cachedVersion = 'unknown');
}
