// Files and streams for the CLI: every read has a size limit (checked while reading, so a FIFO,
// /dev/zero or a growing file cannot make atlog read without end), and every write refuses to
// replace an existing file unless asked, then replaces it atomically.

import { randomBytes } from 'node:crypto';
import { type FileHandle, lstat, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CliError } from './errors.js';
import { formatSize, safeText } from './format.js';

/** Where a command's input comes from and its output goes: the process, or a test's buffers. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Read only when an input is `-`. */
  readonly stdin?: AsyncIterable<Uint8Array | string>;
  /** Relative paths are resolved against this; default `process.cwd()`. */
  readonly cwd?: string;
  /** The clock (`sign`'s default iat, `verify`'s certificate validation time); default the system's. */
  readonly now?: () => Date;
}

/**
 * Size limits of everything the CLI reads. Statements and COSE files as the strict decoder's
 * default (1 MiB); keys and key sets at 64 KiB (a key set of hundreds of keys); certificate chains
 * as PEM at 128 KiB (the verifier takes at most 64 KiB of DER); trust anchor bundles at 1 MiB (as
 * `loadTrustAnchors`); preimages of hash envelopes at 64 MiB (they are the large artefacts the
 * envelope keeps out of the log, and are read into memory to be hashed).
 */
export const LIMITS = Object.freeze({
  statement: 1024 * 1024,
  payload: 1024 * 1024,
  preimage: 64 * 1024 * 1024,
  key: 64 * 1024,
  certificateChain: 128 * 1024,
  trustAnchors: 1024 * 1024,
  keySetResponse: 64 * 1024,
});

/** What a command gets besides its arguments. */
export interface Context {
  readonly io: CliIo;
  readonly cwd: string;
  now(): Date;
}

export function contextOf(io: CliIo): Context {
  return { io, cwd: io.cwd ?? process.cwd(), now: io.now ?? (() => new Date()) };
}

/** A path as shown in messages: as given, escaped and bounded. */
export function shownPath(path: string): string {
  return path === '-' ? 'stdin' : safeText(path, 120);
}

/**
 * Reads a file (or stdin for `-`) of at most `maxBytes` bytes. `what` names the input in messages
 * (`--key`, `statement`, …). Refusals are CLI_FILE: no such file, a directory, no permission, larger
 * than the limit.
 */
export async function readInput(ctx: Context, path: string, what: string, maxBytes: number): Promise<Uint8Array> {
  if (path === '-') return readStdin(ctx, what, maxBytes);
  const where = `${what} ${shownPath(path)}`;
  let handle: FileHandle | undefined;
  try {
    handle = await open(resolve(ctx.cwd, path), 'r');
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buffer = new Uint8Array(Math.min(64 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      chunks.push(buffer.subarray(0, bytesRead));
      if (total > maxBytes) throw tooLarge(where, maxBytes);
    }
    return concat(chunks, total);
  } catch (error) {
    throw fileError(error, `cannot read ${where}`);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

async function readStdin(ctx: Context, what: string, maxBytes: number): Promise<Uint8Array> {
  const stdin = ctx.io.stdin;
  if (stdin === undefined) throw new CliError('CLI_FILE', `${what}: no standard input to read`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  // Leaving the loop early (too large) destroys the stream, so the process does not wait on it.
  for await (const chunk of stdin) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    total += bytes.length;
    if (total > maxBytes) throw tooLarge(`${what} from stdin`, maxBytes);
    chunks.push(bytes);
  }
  return concat(chunks, total);
}

function tooLarge(where: string, maxBytes: number): CliError {
  return new CliError('CLI_FILE', `${where} is larger than the limit of ${formatSize(maxBytes)}`);
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Text of a file that must be UTF-8 (PEM, JSON). */
export function utf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CliError('CLI_INPUT', `${what} is not UTF-8 text`);
  }
}

export interface WriteOptions {
  /** Replace an existing file (atomically: a new file renamed over it). */
  readonly force?: boolean;
  /** Permission bits of a new file, e.g. 0o600 for a private key (set exactly, whatever the umask). */
  readonly mode?: number;
  /** The option that names this output, for messages (`-o`, `--out`). */
  readonly what: string;
}

/** Paths that {@link writeOutput} would refuse to replace: call before writing several files. */
export async function checkWritable(ctx: Context, paths: readonly string[], force: boolean): Promise<void> {
  if (force) return;
  for (const path of paths) {
    const exists = await lstat(resolve(ctx.cwd, path)).then(
      () => true,
      () => false, // missing, or not reachable: writeOutput will say what is wrong
    );
    if (exists) throw new CliError('CLI_FILE', `${shownPath(path)} already exists; pass --force to replace it`);
  }
}

/**
 * Writes a new file, durably (fsync). Without `force`, an existing file (or symlink) is never
 * replaced: the file is created with O_EXCL. With `force`, the bytes go to a fresh temporary file
 * in the same directory, which is then renamed over the target, so the target is either the old
 * file or the complete new one, a symlink there is replaced rather than followed, and the mode is
 * the one asked for even if the old file's was wider.
 */
export async function writeOutput(ctx: Context, path: string, bytes: Uint8Array | string, options: WriteOptions): Promise<void> {
  const target = resolve(ctx.cwd, path);
  const mode = options.mode ?? 0o644;
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  if (options.force !== true) {
    await writeNew(target, data, mode, `cannot write ${options.what} ${shownPath(path)}`);
    return;
  }
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeNew(temporary, data, mode, `cannot write ${options.what} ${shownPath(path)}`);
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw fileError(error, `cannot write ${options.what} ${shownPath(path)}`);
  }
}

async function writeNew(path: string, data: Uint8Array, mode: number, message: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'wx', mode);
    await handle.chmod(mode); // exactly, whatever the umask removed
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    if (handle !== undefined) {
      await handle.close().catch(() => undefined);
      handle = undefined;
      await unlink(path).catch(() => undefined);
    }
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliError('CLI_FILE', `${message}: it already exists; pass --force to replace it`);
    }
    throw fileError(error, message);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

const ERRNO_MESSAGES: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
};

/** A file system error as one CLI_FILE line; CliErrors pass through. */
function fileError(error: unknown, message: string): unknown {
  if (error instanceof CliError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') {
    return new CliError('CLI_FILE', `${message}: ${ERRNO_MESSAGES[code] ?? code}`, { cause: error });
  }
  return error;
}
