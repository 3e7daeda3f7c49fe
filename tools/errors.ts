// The CLI's errors and exit statuses. Every failure ends as one line `atlog: <what is wrong>` on
// stderr: usage errors (unknown flags, missing arguments, bad values) exit 2, everything else 1.
// Messages never carry a stack trace, key material or raw, unbounded input.

import { AtlogError } from '../util/index.js';
import { safeText } from './format.js';

/** Exit statuses of every `atlog` command. */
export const EXIT = Object.freeze({
  /** Done; for `verify`, verified. */
  OK: 0,
  /** Anything but a usage error: unreadable input, a refused key, a failed verification, the network. */
  FAILURE: 1,
  /** The command line itself is wrong: unknown flag or command, missing argument, bad value. */
  USAGE: 2,
} as const);

export type CliErrorCode =
  | 'CLI_USAGE' // the command line is wrong (exit 2)
  | 'CLI_FILE' // a file cannot be read or written (missing, a directory, no permission, too large, exists)
  | 'CLI_INPUT' // a file was read but its content is refused (with the library's message)
  | 'CLI_NETWORK'; // fetching from a service failed (timeout, status, size, content type)

/** A refusal by the CLI itself. `CLI_USAGE` exits 2, the others 1. */
export class CliError extends AtlogError<CliErrorCode> {}

/** A usage error: exit 2. */
export function usageError(message: string): CliError {
  return new CliError('CLI_USAGE', message);
}

/**
 * Runs `operation`, and turns any typed atlog error it throws into a CLI_INPUT error whose message
 * says which input it was about (`--key key.pem: expected one … PEM block`). The original error is
 * kept as the cause; its code is kept in the message only through the library's own wording.
 */
export function about<T>(what: string, operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    throw inContext(what, error);
  }
}

/** The async form of {@link about}. */
export async function aboutAsync<T>(what: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw inContext(what, error);
  }
}

function inContext(what: string, error: unknown): unknown {
  if (error instanceof CliError) return error;
  if (error instanceof AtlogError) return new CliError('CLI_INPUT', `${what}: ${error.message}`, { cause: error });
  return error;
}

/** The exit status for an error thrown out of a command. */
export function exitCodeOf(error: unknown): number {
  return error instanceof CliError && error.code === 'CLI_USAGE' ? EXIT.USAGE : EXIT.FAILURE;
}

/**
 * The one line printed for an error (without the `atlog: ` prefix). Typed errors give their
 * message; anything else is a bug in atlog, said as such, with the error's name and message but
 * never its stack.
 */
export function describeError(error: unknown): string {
  if (error instanceof AtlogError) return safeText(error.message, 500);
  if (error instanceof Error) return safeText(`unexpected error (${error.name}): ${error.message}`, 500);
  return 'unexpected error';
}
