// atlog monitor: follows a log's C2SP checkpoint and checks that it only ever grows. Each poll
// fetches <url>/checkpoint, verifies its signature with the log's note key, and checks the new tree
// against the last one seen by computing, from the log's own hash tiles (row 0 only, each checked
// for size), the consistency proof between the two sizes and the new root. Nothing the server
// says about proofs is trusted: every hash is recomputed from tiles, and the tiles are trusted only
// because they reproduce the signed root. A split view (two signed histories) exits 3; any other
// inconsistency, exit 1.

import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import {
  ed25519NoteVerifier,
  NoteError,
  type NoteVerifier,
  noteVerifierKey,
  openCheckpoint,
  tiles,
  tree,
} from '../../log/index.js';
import { decodeCoseKeySet, keyObjectFromCoseKey, KeyType } from '../../receipts/index.js';
import { AtlogError, bytesEqual, fromBase64, toBase64, toHex } from '../../util/index.js';
import { CliError, about, usageError } from '../errors.js';
import { formatSize, jsonLine, safeText } from '../format.js';
import { type HttpResponse, CHECKPOINT_KEYS, WELL_KNOWN_KEYS, describeStatus, exchange, fetchCbor, serviceBaseUrl } from '../http.js';
import { type Context, LIMITS, readInput, shownPath, utf8, writeOutput } from '../io.js';
import { parseText, parseTimeout } from '../options.js';
import type { CliCommand, RunState } from '../program.js';

/** Exit status for a split view: the log signed two trees that cannot both be its history. */
export const SPLIT_VIEW_EXIT = 3;

/** A checkpoint with up to 16 signatures, post-quantum ones included, fits easily. */
const MAX_CHECKPOINT = 64 * 1024;
/** Most distinct tiles one poll downloads; a proof and a root need about 4 per tile level (7 levels at most). */
export const MAX_TILES_PER_POLL = 64;
const MAX_STATE = 256 * 1024;
const STATE_VERSION = 1;
const HASH = tree.HASH_SIZE;

interface MonitorOptions {
  readonly url: string;
  readonly state?: string;
  readonly interval: number;
  readonly once?: boolean;
  readonly polls?: number;
  readonly origin?: string;
  readonly key?: string;
  readonly timeout: number;
  readonly json?: boolean;
  readonly insecureHttp?: boolean;
}

/** What the monitor remembers between polls (and runs, with --state). */
interface Seen {
  readonly origin: string;
  /** The C2SP verifier key the checkpoints are checked with. */
  readonly key: string;
  readonly size: number;
  readonly root: Uint8Array;
  /** The signed checkpoint note, kept as evidence and re-verified on load. */
  readonly checkpoint: string;
}

/** The log showed two histories: exit 3. */
class SplitView extends Error {}
/** The log (or its tiles) is inconsistent in a way that is not, by itself, proof of two histories: exit 1. */
class Inconsistent extends Error {}

export const monitor: CliCommand = {
  name: 'monitor',
  register(program: Command, ctx: Context, state: RunState): void {
    program
      .command('monitor')
      .summary('follow a log’s checkpoints and check, from its tiles, that it never forks')
      .description(
        'Poll <url>/checkpoint, verify its signature, and check that the log only grew since the last checkpoint seen: ' +
          'the consistency proof between the two sizes and the new root are computed from the log’s hash tiles ' +
          '(<url>/tile/…), never taken from the server. One line per poll; --state keeps the last checkpoint between runs.',
      )
      .requiredOption('--url <url>', 'the log: https://host[:port][/prefix] (checkpoint and tiles under it; http only on loopback)')
      .option('--state <file>', 'JSON file with the last checkpoint seen: read if it exists, replaced atomically after each good poll')
      .option('--key <verifier-key>', 'the checkpoint key, as a C2SP verifier key <name>+<hex id>+<base64> (default: from --state, else trust on first use)', parseVerifierKey)
      .option('--origin <origin>', 'the log’s origin, first line of its checkpoints (default: from --state, else the first checkpoint’s)', parseText(255, 'origin'))
      .option('--interval <seconds>', 'time between polls', parseInterval, 30)
      .option('--once', 'poll once and exit (same as --polls 1)')
      .option('--polls <n>', 'stop after this many polls (default: until interrupted)', parsePolls)
      .option('--timeout <seconds>', 'how long each download may take', parseTimeout, 10)
      .option('--json', 'print each poll (and a first-use key) as one line of JSON')
      .option('--insecure-http', 'allow plain http to a host that is not loopback')
      .addHelpText(
        'after',
        '\nTrust: without --key and without a --state file, the checkpoint key is derived on first use from the service’s\n' +
          `checkpoint key (${CHECKPOINT_KEYS}, else the key set ${WELL_KNOWN_KEYS}, on the same host): the Ed25519 key that signed the checkpoint, named by the origin\n` +
          '(noteVerifierKey(origin, key)). This trusts whatever the service serves at that moment (trust on first use);\n' +
          'the derived key is printed: pin it with --key, and keep --state, which records it. The origin is likewise taken\n' +
          'from the first checkpoint unless --origin is given.\n' +
          '\nExit status: 0 all polls consistent; 1 an inconsistency (the checkpoint went back in size, tiles that do not give\n' +
          'the signed root, a bad signature, the wrong origin), a failed download with --once or on the last of --polls, or\n' +
          `bad input; 2 usage; ${SPLIT_VIEW_EXIT} SPLIT VIEW: two signed checkpoints that cannot both be the log's history (two roots\n` +
          'for one size, or a newer tree that does not extend the older). Between polls, download failures are warnings.\n' +
          `Limits: checkpoint ${formatSize(MAX_CHECKPOINT)}; key set ${formatSize(LIMITS.keySetResponse)}; tiles: row 0 only, ` +
          `exactly 32 bytes a hash, at most 8 KiB, at most ${MAX_TILES_PER_POLL} a poll; state file ${formatSize(MAX_STATE)}.`,
      )
      .action(async (options: MonitorOptions) => {
        if (options.once === true && options.polls !== undefined && options.polls !== 1) throw usageError('--once is --polls 1');
        const base = serviceBaseUrl(options.url, { option: '--url', insecureHttp: options.insecureHttp === true });
        const polls = options.once === true ? 1 : options.polls;
        let seen = options.state === undefined ? undefined : await loadState(ctx, options.state);
        if (seen !== undefined && options.origin !== undefined && seen.origin !== options.origin) {
          throw new CliError('CLI_INPUT', `--state ${shownPath(options.state!)} follows origin ${quotedText(seen.origin)}, not --origin ${quotedText(options.origin)}`);
        }
        if (seen !== undefined && options.key !== undefined && seen.key !== options.key) {
          throw new CliError(
            'CLI_INPUT',
            `--state ${shownPath(options.state!)} was verified with checkpoint key ${safeText(seen.key, 200)}, not --key; use a new state file to change keys`,
          );
        }
        const { verifyCheckpointConsistency } = await import('../../verifier/index.js');
        const monitor = new Monitor(ctx, base, options, verifyCheckpointConsistency);

        for (let poll = 1; polls === undefined || poll <= polls; poll++) {
          const last = polls !== undefined && poll === polls;
          try {
            seen = await monitor.poll(seen);
            if (options.state !== undefined) await saveState(ctx, options.state, seen);
          } catch (error) {
            if (error instanceof SplitView) {
              ctx.io.stderr.write(`atlog: SPLIT VIEW: ${error.message}\n`);
              state.exitCode = SPLIT_VIEW_EXIT;
              return;
            }
            if (error instanceof Inconsistent) throw new CliError('CLI_INPUT', `inconsistent: ${error.message}`);
            // A download that failed is retried at the next poll; anything else ends the monitor.
            if (!(error instanceof CliError && error.code === 'CLI_NETWORK') || last) throw error;
            ctx.io.stderr.write(`atlog: warning: ${safeText((error as Error).message, 500)}; next poll in ${options.interval} s\n`);
          }
          if (!last) await sleep(options.interval * 1000);
        }
      });
  },
};

type ConsistencyCheck = typeof import('../../verifier/index.js').verifyCheckpointConsistency;

class Monitor {
  private key: string | undefined;

  constructor(
    private readonly ctx: Context,
    private readonly base: URL,
    private readonly options: MonitorOptions,
    private readonly checkConsistency: ConsistencyCheck,
  ) {
    this.key = options.key;
  }

  /** One poll: the checkpoint, verified, checked against `seen` with the tiles; returns what is now seen. */
  async poll(seen: Seen | undefined): Promise<Seen> {
    const checkpointUrl = new URL('checkpoint', this.base);
    const response = await exchange(checkpointUrl, { timeoutMs: this.timeoutMs, maxBytes: MAX_CHECKPOINT, headers: { accept: 'text/plain' } });
    if (response.status !== 200) throw new CliError('CLI_NETWORK', `${safeText(checkpointUrl.href, 200)}: ${describeStatus(response)}`);
    const note = utf8(response.body, `the checkpoint from ${safeText(checkpointUrl.href, 200)}`);

    const origin = this.options.origin ?? seen?.origin ?? firstLine(note);
    const key = seen?.key ?? this.key ?? (await this.firstUseKey(note, origin));
    this.key = key;
    const verifier = ed25519NoteVerifier(key);
    const { checkpoint } = about(`the checkpoint from ${safeText(checkpointUrl.href, 200)}`, () => openCheckpoint(note, origin, [verifier]));
    const { size, rootHash: root } = checkpoint;
    const now: Seen = { origin, key, size, root, checkpoint: note };
    const source = new TileSource(this.base, size, this.timeoutMs);

    let outcome: string;
    let added = 0;
    if (seen === undefined || seen.size < size) {
      const fromTiles = await source.root(size);
      if (!bytesEqual(fromTiles, root)) {
        throw new Inconsistent(
          `the tiles at ${safeText(this.base.href, 200)} give root ${short(fromTiles)} at size ${size}, but the checkpoint says ${short(root)}`,
        );
      }
      if (seen === undefined) outcome = size === 0 ? 'first seen, empty' : `first seen, root recomputed from ${source.fetched} tile${plural(source.fetched)}`;
      else {
        added = size - seen.size;
        if (seen.size > 0) await this.checkGrowth(seen, now, source, verifier);
        outcome = `+${added} entr${added === 1 ? 'y' : 'ies'}, consistent with size ${seen.size} (proof and root from ${source.fetched} tile${plural(source.fetched)})`;
      }
    } else if (seen.size === size) {
      if (!bytesEqual(seen.root, root)) {
        throw new SplitView(
          `the log signed two roots for tree size ${size}: ${short(seen.root)} (seen before) and ${short(root)} (now, at ${safeText(checkpointUrl.href, 200)})`,
        );
      }
      outcome = 'no new entries';
    } else {
      throw new Inconsistent(
        `the checkpoint at ${safeText(checkpointUrl.href, 200)} went back from size ${seen.size} to ${size}: a rollback, or a view other than the one seen before`,
      );
    }

    const time = this.ctx.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (this.options.json === true) {
      this.ctx.io.stdout.write(
        `${jsonLine({ time, origin, size, root: toHex(root), previousSize: seen?.size ?? null, newEntries: added, tiles: source.fetched, status: 'consistent' })}\n`,
      );
    } else {
      this.ctx.io.stdout.write(`${time} ${safeText(origin, 100)} size ${size} root ${short(root)}: ${outcome}\n`);
    }
    return now;
  }

  /**
   * Checks that the tree of `now` extends the tree of `seen` (0 < seen.size < now.size), with a
   * consistency proof assembled from the tiles whose root matched `now`'s. If the tiles are not
   * even consistent with themselves they prove nothing about the log (exit 1); if they are, and
   * the old signed root is not their prefix, the log has signed two histories (exit 3).
   */
  private async checkGrowth(seen: Seen, now: Seen, source: TileSource, verifier: NoteVerifier): Promise<void> {
    const plan = tree.consistencyProofPlan(seen.size, now.size);
    const proof = tree.assembleProof(plan, await source.nodes(plan.nodes));
    const prefixRoot = await source.root(seen.size);
    try {
      tree.verifyConsistency(seen.size, now.size, prefixRoot, now.root, proof);
    } catch (error) {
      if (!(error instanceof tree.ProofError)) throw error;
      throw new Inconsistent(`the tiles at ${safeText(this.base.href, 200)} do not agree with each other between sizes ${seen.size} and ${now.size} (${error.message})`);
    }
    try {
      this.checkConsistency(seen.checkpoint, now.checkpoint, proof, { origin: now.origin, verifiers: [verifier] });
    } catch (error) {
      if (error instanceof AtlogError && error.code === 'CHECKPOINT_INCONSISTENT') {
        throw new SplitView(
          `the checkpoint at size ${now.size} (root ${short(now.root)}) does not extend the one seen at size ${seen.size} ` +
            `(root ${short(seen.root)}; its tree has ${short(prefixRoot)} there): the log has shown two histories`,
        );
      }
      throw error;
    }
  }

  /**
   * The checkpoint key on first use: the Ed25519 keys of the service's key set, named by the
   * origin; the one that signed this checkpoint. Printed, so that it can be pinned with --key.
   */
  private async firstUseKey(note: string, origin: string): Promise<string> {
    // atlog publishes its checkpoint key on its own (an ECDSA service's receipt keys do not
    // include it); other services may only have the key set.
    const places = [new URL(CHECKPOINT_KEYS, this.base), new URL(WELL_KNOWN_KEYS, this.base)];
    let seen = 0;
    for (const url of places) {
      let bytes: Uint8Array;
      try {
        bytes = await fetchCbor(url, { timeoutMs: this.timeoutMs, insecureHttp: this.options.insecureHttp === true });
      } catch (error) {
        if (error instanceof CliError && url !== places[places.length - 1]) continue;
        throw error;
      }
      const keys = about(`the key set from ${safeText(url.href, 200)}`, () => decodeCoseKeySet(bytes, { maxBytes: LIMITS.keySetResponse }));
      seen += keys.length;
      const candidates = keys
        .filter((key) => key.kty === KeyType.OKP)
        .map((key) => about(`the key set from ${safeText(url.href, 200)}`, () => noteVerifierKey(origin, keyObjectFromCoseKey(key))));
      for (const candidate of candidates) {
        try {
          openCheckpoint(note, origin, [ed25519NoteVerifier(candidate)]);
        } catch (error) {
          if (error instanceof NoteError) continue;
          throw error;
        }
        if (this.options.json === true) this.ctx.io.stdout.write(`${jsonLine({ key: candidate, from: url.href, trust: 'first use' })}\n`);
        else this.ctx.io.stdout.write(`key: ${candidate} (from ${safeText(url.href, 200)}, trusted on first use; pin it with --key)\n`);
        return candidate;
      }
    }
    throw new CliError(
      'CLI_INPUT',
      `the checkpoint from ${safeText(this.base.href, 200)} for origin ${quotedText(origin)} is not signed by any Ed25519 key ` +
        `the service publishes (${seen} keys at ${places.map((u) => safeText(u.pathname, 60)).join(' and ')}); give the log's checkpoint key with --key`,
    );
  }

  private get timeoutMs(): number {
    return this.options.timeout * 1000;
  }
}

/**
 * The tree's nodes at one size, computed from the C2SP hash tiles of that size: row 0 of each
 * tile only (the level-8L hashes), with every higher node inside a tile folded from them. Tiles
 * are fetched once per poll, at the width they have at this size, and checked to be exactly that
 * many hashes.
 */
class TileSource {
  private readonly cache = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly base: URL,
    private readonly size: number,
    private readonly timeoutMs: number,
  ) {}

  get fetched(): number {
    return this.cache.size;
  }

  /** The root of the tree of `size` leaves (at most this source's size), from the tiles. */
  async root(size: number): Promise<Uint8Array> {
    if (size === 0) return tree.EMPTY_ROOT;
    return tree.assembleRoot(await this.nodes(tree.rootPlan(size)));
  }

  nodes(ids: readonly tree.NodeId[]): Promise<Uint8Array[]> {
    return Promise.all(ids.map((id) => this.node(id)));
  }

  /** The hash of a node complete at this size: 2^row row-0 hashes of its tile, folded. */
  async node(id: tree.NodeId): Promise<Uint8Array> {
    const { tile, row, position } = tiles.locateNode(id);
    const width = tiles.tileWidthAt(tile, this.size);
    const first = position << row;
    const count = 1 << row;
    if (first + count > width) throw new RangeError(`node ${id.level}/${id.index} is not complete at size ${this.size}`);
    const row0 = await this.tile(tile, width);
    let layer: Uint8Array[] = [];
    for (let i = first; i < first + count; i++) layer.push(row0.subarray(i * HASH, (i + 1) * HASH));
    while (layer.length > 1) {
      const next: Uint8Array[] = [];
      for (let i = 0; i < layer.length; i += 2) next.push(tree.hashChildren(layer[i]!, layer[i + 1]!));
      layer = next;
    }
    return layer[0]!;
  }

  private tile(tile: tiles.TileId, width: number): Promise<Uint8Array> {
    const path = tiles.tilePath(tile, width);
    let pending = this.cache.get(path);
    if (pending === undefined) {
      if (this.cache.size >= MAX_TILES_PER_POLL) {
        throw new CliError('CLI_NETWORK', `a poll would need more than ${MAX_TILES_PER_POLL} tiles from ${safeText(this.base.href, 200)}`);
      }
      pending = this.download(tile, width);
      this.cache.set(path, pending);
    }
    return pending;
  }

  /** Row 0 of a tile at `width`; a partial tile the log no longer serves is read from the full one. */
  private async download(tile: tiles.TileId, width: number): Promise<Uint8Array> {
    const expected = width * HASH;
    const response = await this.get(new URL(tiles.tilePath(tile, width), this.base), expected);
    if (response.status === 200) return checkedTile(response, expected);
    if (response.status === 404 && width < tiles.TILE_WIDTH) {
      // tlog-tiles lets a log drop a partial tile once the full tile exists.
      const full = await this.get(new URL(tiles.tilePath(tile), this.base), tiles.TILE_WIDTH * HASH);
      if (full.status === 200) return checkedTile(full, tiles.TILE_WIDTH * HASH).subarray(0, expected);
    }
    throw new CliError('CLI_NETWORK', `${safeText(response.url.href, 200)}: ${describeStatus(response)}`);
  }

  private get(url: URL, maxBytes: number): Promise<HttpResponse> {
    return exchange(url, { timeoutMs: this.timeoutMs, maxBytes, headers: { accept: 'application/octet-stream' } });
  }
}

/** A tile's body must be exactly its hashes: a C2SP tile has no header and no slack. */
function checkedTile(response: HttpResponse, expected: number): Uint8Array {
  if (response.body.length !== expected) {
    throw new CliError(
      'CLI_NETWORK',
      `${safeText(response.url.href, 200)}: a tile of ${expected / HASH} hashes is ${expected} bytes, not ${response.body.length}`,
    );
  }
  return response.body;
}

// ---------------------------------------------------------------------------------------------
// The state file: {"version":1,"origin":…,"key":…,"size":…,"root":"<base64>","checkpoint":"<note>"}

async function loadState(ctx: Context, path: string): Promise<Seen | undefined> {
  const exists = await stat(resolve(ctx.cwd, path)).then(
    () => true,
    (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? false : true), // let readInput say what is wrong
  );
  if (!exists) return undefined;
  const where = `--state ${shownPath(path)}`;
  const text = utf8(await readInput(ctx, path, '--state', MAX_STATE), where);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError('CLI_INPUT', `${where} is not JSON`);
  }
  const bad = (what: string) => new CliError('CLI_INPUT', `${where}: ${what}`);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('expected a JSON object');
  const record = json as Record<string, unknown>;
  if (record.version !== STATE_VERSION) throw bad(`unsupported version (expected ${STATE_VERSION})`);
  const { origin, key, size, root, checkpoint } = record;
  if (typeof origin !== 'string' || origin === '') throw bad('origin must be a non-empty string');
  if (typeof key !== 'string') throw bad('key must be a C2SP verifier key');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad('size must be a tree size');
  const rootBytes = typeof root === 'string' ? fromBase64(root) : undefined;
  if (rootBytes === undefined || rootBytes.length !== HASH) throw bad('root must be a base64 SHA-256 hash');
  if (typeof checkpoint !== 'string') throw bad('checkpoint must be the signed checkpoint note');
  const verifier = about(`${where}: key`, () => ed25519NoteVerifier(key));
  // The recorded checkpoint must be what it claims: signed, and for this origin, size and root.
  const opened = about(`${where}: checkpoint`, () => openCheckpoint(checkpoint, origin, [verifier])).checkpoint;
  if (opened.size !== size || !bytesEqual(opened.rootHash, rootBytes)) throw bad('size and root do not match the recorded checkpoint');
  return { origin, key, size, root: rootBytes, checkpoint };
}

async function saveState(ctx: Context, path: string, seen: Seen): Promise<void> {
  const json = {
    version: STATE_VERSION,
    origin: seen.origin,
    key: seen.key,
    size: seen.size,
    root: toBase64(seen.root),
    checkpoint: seen.checkpoint,
  };
  // writeOutput with force: a temporary file in the same directory, fsynced, renamed over the old one.
  await writeOutput(ctx, path, `${JSON.stringify(json, null, 2)}\n`, { force: true, mode: 0o644, what: '--state' });
}

// ---------------------------------------------------------------------------------------------

function parseVerifierKey(value: string): string {
  try {
    ed25519NoteVerifier(value);
  } catch (error) {
    throw new InvalidArgumentError(`it must be a C2SP Ed25519 verifier key <name>+<key id>+<base64 key> (${error instanceof Error ? error.message : 'invalid'}).`);
  }
  return value;
}

function parseInterval(value: string): number {
  const seconds = Number(value);
  if (!/^\d+(?:\.\d+)?$/.test(value) || !(seconds >= 0.1 && seconds <= 86_400)) {
    throw new InvalidArgumentError('it must be a number of seconds from 0.1 to 86400.');
  }
  return seconds;
}

function parsePolls(value: string): number {
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new InvalidArgumentError('it must be a whole number from 1.');
  return Number(value);
}

/** The first line of a note, bounded: the origin a checkpoint claims, before it is verified. */
function firstLine(note: string): string {
  const line = note.slice(0, Math.min(note.length, 1024)).split('\n', 1)[0] ?? '';
  if (line === '') throw new CliError('CLI_INPUT', 'the checkpoint has no origin line');
  return line;
}

function short(hash: Uint8Array): string {
  return `${toHex(hash.subarray(0, 8))}…`;
}

function quotedText(text: string): string {
  return JSON.stringify(safeText(text, 100));
}

function plural(n: number): string {
  return n === 1 ? '' : 's';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
