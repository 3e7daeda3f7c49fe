// `atlog register` and `atlog monitor` in process (main(argv, io)) against scripted HTTP servers on
// loopback: every SCRAPI answer register must handle (201, 303 → 302 → 200, Retry-After, 429/503,
// problem details, redirects off origin, bad receipts, limits), and a fake C2SP log whose tiles
// come from a naive RFC 9162 oracle (test/support/naive-tree.ts, no code shared with log/tree),
// for monitor: growth across tile boundaries and tile levels, forks, rollbacks, tiles that lie,
// trust on first use. The end-to-end runs over the real service are in test/e2e/service.test.ts.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, outputLines } from '../test/support/cli.js';
import { ed25519NoteSigner, formatCheckpoint, noteVerifierKey, signNote, tiles } from '../log/index.js';
import { hashLeaf } from '../log/tree/index.js';
import {
  attachReceipts,
  CoseAlgorithm,
  coseKeyFromKeyObject,
  coseKeyThumbprint,
  encodeCbor,
  encodeCoseKeySet,
  generateKeyPair,
  inclusionReceipt,
  registeredStatement,
  signStatement,
  signTreeHead,
} from '../receipts/index.js';
import { NaiveTree } from '../test/support/naive-tree.js';
import { toHex } from '../util/index.js';
import { main } from './index.js';
import { MAX_TILES_PER_POLL, SPLIT_VIEW_EXIT } from './commands/monitor.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlog-register-monitor-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function atlog(args: readonly string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, cwd: dir });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const lines = outputLines;
const path = (name: string) => join(dir, name);
let counter = 0;
const unique = (name: string) => `${counter++}-${name}`;


// ---------------------------------------------------------------------------------------------
// A scripted server

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

type Handler = (request: Seen, response: ServerResponse, server: Scripted) => void;

interface Scripted {
  readonly url: string;
  readonly requests: Seen[];
  handler: Handler;
  close(): Promise<void>;
}

async function scripted(handler: Handler): Promise<Scripted> {
  const requests: Seen[] = [];
  const state: { handler: Handler } = { handler };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(seen);
      state.handler(seen, res, scriptedServer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const scriptedServer: Scripted = {
    url: `http://127.0.0.1:${port}`,
    requests,
    get handler() {
      return state.handler;
    },
    set handler(h: Handler) {
      state.handler = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return scriptedServer;
}

function problem(res: ServerResponse, status: number, title: string, detail: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/concise-problem-details+cbor', ...headers });
  res.end(encodeCbor(new Map<number, string>([[-1, title], [-2, detail]])));
}

// ---------------------------------------------------------------------------------------------
// register

const issuer = generateKeyPair(CoseAlgorithm.ES256);
const service = generateKeyPair(CoseAlgorithm.EdDSA);

/** A statement file and the receipt a service would give it (as the only entry of its log). */
function statementAndReceipt(name: string): { file: string; statement: Uint8Array; receipt: Uint8Array; entryId: string } {
  const statement = signStatement({ key: issuer.privateKey, iss: 'did:example:agent', sub: name, payload: new TextEncoder().encode(`{"n":"${name}"}`) });
  const file = unique(`${name}.cose`);
  writeFileSync(path(file), statement);
  const leafHash = hashLeaf(registeredStatement(statement));
  const head = signTreeHead(service.privateKey, { issuer: 'https://ts.example', subject: 'ts.example/log' }, { size: 1, rootHash: leafHash, timestamp: 1_700_000_000_000 });
  return { file, statement, receipt: inclusionReceipt(head, { treeSize: 1, leafIndex: 0, path: [] }), entryId: toHex(leafHash) };
}

function cose(res: ServerResponse, status: number, body: Uint8Array, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/cose', ...headers });
  res.end(body);
}

describe('atlog register', () => {
  it('201: writes the statement with its receipt in 394 and prints entry, size, index and location', async () => {
    const { file, statement, receipt, entryId } = statementAndReceipt('created');
    const server = await scripted((req, res, s) => cose(res, 201, receipt, { location: `${s.url}/entries/${entryId}` }));
    try {
      const out = unique('out.cose');
      const run = await atlog(['register', file, '--url', server.url, '-o', out]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toBe('');
      expect(lines(run.stdout)).toEqual([
        `registered: entry ${entryId}, tree size 1, leaf index 0, location ${server.url}/entries/${entryId}; wrote ${out} (${attachReceipts(statement, [receipt]).length} bytes)`,
      ]);
      expect(toHex(readFileSync(path(out)))).toBe(toHex(attachReceipts(statement, [receipt])));
      const [post] = server.requests;
      expect(post).toMatchObject({ method: 'POST', url: '/entries' });
      expect(post!.headers['content-type']).toBe('application/cose');
      expect(post!.headers.accept).toContain('application/cose');
      expect(toHex(post!.body)).toBe(toHex(statement));

      const json = await atlog(['register', file, '--url', `${server.url}/`, '-o', unique('out.cose'), '--json']);
      expect(JSON.parse(json.stdout)).toMatchObject({ entryId, treeSize: 1, leafIndex: 0, location: `${server.url}/entries/${entryId}` });
      // An output that exists is refused before anything is sent.
      const before = server.requests.length;
      expectOneLineError(await atlog(['register', file, '--url', server.url, '-o', out]), 1, /already exists; pass --force/);
      expect(server.requests).toHaveLength(before);
      expect((await atlog(['register', file, '--url', server.url, '-o', out, '--force'])).code).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('303 → 302 → 302 → 200: follows the entry on the same origin, honouring Retry-After', async () => {
    const { file, statement, receipt, entryId } = statementAndReceipt('async');
    let polls = 0;
    const server = await scripted((req, res) => {
      if (req.method === 'POST') {
        res.writeHead(303, { location: `/entries/${entryId}`, 'retry-after': '0' });
        res.end();
      } else if (++polls < 3) {
        res.writeHead(302, { location: `/entries/${entryId}`, 'retry-after': polls === 1 ? '1' : '0' });
        res.end();
      } else cose(res, 200, receipt, { location: `/entries/${entryId}` });
    });
    try {
      const out = unique('out.cose');
      const started = Date.now();
      const run = await atlog(['register', file, '--url', server.url, '-o', out]);
      expect(run.code, run.stderr).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000); // the Retry-After: 1
      expect(run.stdout).toContain(`entry ${entryId}, tree size 1, leaf index 0, location ${server.url}/entries/${entryId}`);
      expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        'POST /entries',
        ...Array.from({ length: 3 }, () => `GET /entries/${entryId}`),
      ]);
      expect(toHex(readFileSync(path(out)))).toBe(toHex(attachReceipts(statement, [receipt])));
    } finally {
      await server.close();
    }
  });

  it('retries 429 and 503 within --timeout, then reports them', async () => {
    const { file, receipt } = statementAndReceipt('busy');
    let posts = 0;
    const server = await scripted((req, res) => {
      posts++;
      if (posts === 1) problem(res, 429, 'Too Many Requests', 'the sequencer queue is full', { 'retry-after': '0' });
      else if (posts === 2) problem(res, 503, 'Service Unavailable', 'starting', { 'retry-after': '0' });
      else cose(res, 201, receipt);
    });
    try {
      const run = await atlog(['register', file, '--url', server.url, '-o', unique('out.cose')]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('entry (no location given), tree size 1, leaf index 0, location -');
      expect(posts).toBe(3);

      server.handler = (req, res) => problem(res, 503, 'Service Unavailable', 'the service is starting or stopping; retry shortly', { 'retry-after': '0' });
      const out = unique('out.cose');
      const refused = await atlog(['register', file, '--url', server.url, '-o', out, '--timeout', '1']);
      expectOneLineError(
        refused,
        1,
        /^atlog: registration failed \(503 Service Unavailable\): the service is starting or stopping; retry shortly; gave up after --timeout 1 s$/,
      );
      expect(existsSync(path(out))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('problem details become one line, exit 1, nothing written; text from the service is escaped', async () => {
    const { file } = statementAndReceipt('refused');
    const server = await scripted((req, res) => problem(res, 400, 'Rejected', 'rule issuer-allowed: did:example:agent is not an allowed issuer\u001b[31m'));
    try {
      const out = unique('out.cose');
      const run = await atlog(['register', file, '--url', server.url, '-o', out]);
      expectOneLineError(run, 1, /^atlog: registration refused \(400 Rejected\): rule issuer-allowed: did:example:agent is not an allowed issuer\\u\{1b\}\[31m$/);
      expect(existsSync(path(out))).toBe(false);

      server.handler = (req, res) => {
        res.writeHead(500, { 'content-type': 'text/html' });
        res.end('<html>oops</html>');
      };
      expectOneLineError(await atlog(['register', file, '--url', server.url, '-o', out]), 1, /^atlog: registration failed \(HTTP 500 Internal Server Error\)$/);

      // A 404 while polling: the pending registration is gone.
      server.handler = (req, res) => {
        if (req.method === 'POST') {
          res.writeHead(303, { location: '/entries/abc', 'retry-after': '0' });
          res.end();
        } else problem(res, 404, 'Not Found', 'Receipt with entry ID abc not known to this service');
      };
      expectOneLineError(
        await atlog(['register', file, '--url', server.url, '-o', out]),
        1,
        /^atlog: the pending registration at http:\/\/127\.0\.0\.1:\d+\/entries\/abc failed \(404 Not Found\): Receipt with entry ID abc not known/,
      );
      expect(existsSync(path(out))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('follows no redirect off the origin of --url, and no other 3xx', async () => {
    const { file } = statementAndReceipt('redirect');
    const server = await scripted((req, res) => {
      res.writeHead(303, { location: 'http://localhost:9/entries/x' });
      res.end();
    });
    try {
      expectOneLineError(
        await atlog(['register', file, '--url', server.url, '-o', unique('out.cose')]),
        1,
        /Location http:\/\/localhost:9\/entries\/x leaves http:\/\/127\.0\.0\.1:\d+; not followed/,
      );
      server.handler = (req, res) => {
        res.writeHead(307, { location: '/elsewhere' });
        res.end();
      };
      expectOneLineError(await atlog(['register', file, '--url', server.url, '-o', unique('out.cose')]), 1, /redirected \(HTTP 307\); atlog follows only SCRAPI's 303/);
      server.handler = (req, res) => {
        res.writeHead(303);
        res.end();
      };
      expectOneLineError(await atlog(['register', file, '--url', server.url, '-o', unique('out.cose')]), 1, /HTTP 303 without a Location/);
      // The Location of a 201 is only shown: one off the origin is not.
      const { receipt } = statementAndReceipt('redirect');
      server.handler = (req, res) => cose(res, 201, receipt, { location: 'https://elsewhere.example/entries/x' });
      const shown = await atlog(['register', file, '--url', server.url, '-o', unique('out.cose')]);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toContain('entry (no location given), tree size 1, leaf index 0, location -;');
      expect(server.requests.every((r) => r.method === 'POST')).toBe(true); // nothing followed
    } finally {
      await server.close();
    }
  });

  it('refuses a receipt that is not one, of another type, or too large; and gives up at --timeout while pending', async () => {
    const { file, receipt } = statementAndReceipt('bad-receipt');
    const server = await scripted((req, res) => cose(res, 201, Uint8Array.of(0xa0)));
    try {
      const out = unique('out.cose');
      expectOneLineError(await atlog(['register', file, '--url', server.url, '-o', out]), 1, /^atlog: the receipt from http:\/\/127\.0\.0\.1:\d+\/entries: /);
      server.handler = (req, res) => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(receipt);
      };
      expectOneLineError(await atlog(['register', file, '--url', server.url, '-o', out]), 1, /the response is application\/json, not application\/cose/);
      server.handler = (req, res) => cose(res, 201, new Uint8Array(65 * 1024));
      expectOneLineError(await atlog(['register', file, '--url', server.url, '-o', out]), 1, /larger than the limit of 64 KiB/);
      server.handler = (req, res) => {
        res.writeHead(req.method === 'POST' ? 303 : 302, { location: '/entries/pending', 'retry-after': '0' });
        res.end();
      };
      expectOneLineError(
        await atlog(['register', file, '--url', server.url, '-o', out, '--timeout', '1']),
        1,
        /^atlog: the receipt was not ready within --timeout 1 s; the registration is pending at http:\/\/127\.0\.0\.1:\d+\/entries\/pending$/m,
      );
      expect(existsSync(path(out))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('refuses what is not a statement, and bad URLs, before sending anything', async () => {
    const junk = unique('junk.cose');
    writeFileSync(path(junk), 'not cbor');
    expectOneLineError(await atlog(['register', junk, '--url', 'http://127.0.0.1:9', '-o', unique('o')]), 1, /^atlog: statement .*junk\.cose: /);
    const { file } = statementAndReceipt('usage');
    expectOneLineError(await atlog(['register', file, '--url', 'http://atlog.example', '-o', unique('o')]), 2, /allowed only to a loopback address/);
    expectOneLineError(await atlog(['register', file, '--url', 'https://atlog.example/?x=1', '-o', unique('o')]), 2, /query or a fragment/);
    expectOneLineError(await atlog(['register', file, '--url', 'https://u:p@atlog.example', '-o', unique('o')]), 2, /credentials/);
    expectOneLineError(await atlog(['register', file, '--url', 'ftp://atlog.example', '-o', unique('o')]), 2, /https:\/\//);
    expectOneLineError(await atlog(['register', file, '-o', unique('o')]), 2, /required option '--url <url>'/);
    expectOneLineError(await atlog(['register', file, '--url', 'http://127.0.0.1:9', '-o', '-']), 2, /--out must be a file/);
    expectOneLineError(await atlog(['register', file, '--url', 'http://127.0.0.1:9', '-o', unique('o'), '--timeout', '1']), 1, /request failed \(ECONNREFUSED\)/);
  });
});

// ---------------------------------------------------------------------------------------------
// monitor: a fake C2SP log over a naive tree

const ORIGIN = 'monitor.test/log';
const checkpointKey = generateKeyPairSync('ed25519');
const VERIFIER_KEY = noteVerifierKey(ORIGIN, checkpointKey.publicKey);
const noteSigner = ed25519NoteSigner(ORIGIN, checkpointKey.privateKey);

function randomLeaves(n: number): Uint8Array[] {
  const bytes = randomBytes(32 * n);
  return Array.from({ length: n }, (_, i) => new Uint8Array(bytes.buffer, bytes.byteOffset + 32 * i, 32));
}

/** What the fake log serves: a history (leaf hashes), the size it shows, and ways to lie. */
interface View {
  tree: NaiveTree;
  size: number;
  /** Sign this root instead of the tree's. */
  root?: Uint8Array;
  /** Tiles to answer with 404, by path. */
  missing?: Set<string>;
  /** Mangle a tile's bytes. */
  mangle?: (path: string, bytes: Uint8Array) => Uint8Array;
}

function checkpointNote(view: View): string {
  return signNote(formatCheckpoint({ origin: ORIGIN, size: view.size, rootHash: view.root ?? view.tree.root(view.size) }), [noteSigner]);
}

/** Row 0 of tile (level, index) at `width`: node (8·level, 256·index + j) for j < width. */
function tileBytes(tree: NaiveTree, level: number, index: number, width: number): Uint8Array {
  const span = 256 ** level;
  const out = new Uint8Array(width * 32);
  for (let j = 0; j < width; j++) {
    const first = (index * 256 + j) * span;
    out.set(tree.mth(first, first + span), j * 32);
  }
  return out;
}

async function fakeLog(initial: View, keySet?: Uint8Array): Promise<Scripted & { view: View; tilesServed: string[] }> {
  const tilesServed: string[] = [];
  const holder = { view: initial };
  const server = await scripted((req, res) => {
    const view = holder.view;
    if (req.url === '/checkpoint') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(checkpointNote(view));
      return;
    }
    if (req.url === '/.well-known/scitt-keys' && keySet !== undefined) {
      res.writeHead(200, { 'content-type': 'application/cbor' });
      res.end(keySet);
      return;
    }
    const parsed = tiles.parseTilePath(req.url.slice(1));
    if (parsed?.kind === 'tile' && !view.missing?.has(req.url.slice(1))) {
      const available = tiles.tileWidthAt(parsed.tile, view.size);
      if (parsed.width <= available) {
        tilesServed.push(req.url.slice(1));
        const bytes = tileBytes(view.tree, parsed.tile.level, parsed.tile.index, parsed.width);
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(view.mangle === undefined ? bytes : view.mangle(req.url.slice(1), bytes));
        return;
      }
    }
    problem(res, 404, 'Not Found', `nothing at ${req.url}`);
  });
  Object.defineProperty(server, 'view', { get: () => holder.view, set: (v: View) => (holder.view = v) });
  return Object.assign(server as Scripted & { view: View }, { tilesServed });
}

const POLL_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ monitor\.test\/log size (\d+) root [0-9a-f]{16}…: (.+)$/;

describe('atlog monitor', () => {
  const leaves = randomLeaves(70_000);
  const history = new NaiveTree(leaves);

  it('follows the log as it grows across tile boundaries and tile levels, from the tiles alone', async () => {
    const log = await fakeLog({ tree: history, size: 1 });
    const state = unique('state.json');
    try {
      const first = await atlog(['monitor', '--url', log.url, '--state', state, '--key', VERIFIER_KEY, '--once']);
      expect(first.code, first.stderr).toBe(0);
      expect(lines(first.stdout)).toHaveLength(1);
      expect(lines(first.stdout)[0]).toMatch(POLL_LINE);
      expect(first.stdout).toContain('size 1 root');
      expect(first.stdout).toContain('first seen, root recomputed from 1 tile');
      const saved = JSON.parse(readFileSync(path(state), 'utf8'));
      expect(saved).toMatchObject({ version: 1, origin: ORIGIN, key: VERIFIER_KEY, size: 1, root: Buffer.from(history.root(1)).toString('base64') });
      expect(saved.checkpoint).toBe(checkpointNote(log.view));

      let previous = 1;
      for (const size of [2, 3, 8, 255, 256, 257, 511, 513, 1000, 65_535, 65_536, 65_537, 70_000]) {
        log.view = { tree: history, size };
        const run = await atlog(['monitor', '--url', log.url, '--state', state, '--once']);
        expect(run.code, `${size}: ${run.stderr}`).toBe(0);
        const [, shown, outcome] = POLL_LINE.exec(lines(run.stdout)[0]!)!;
        expect(shown).toBe(String(size));
        expect(outcome).toMatch(new RegExp(`^\\+${size - previous} entr(y|ies), consistent with size ${previous} \\(proof and root from \\d+ tiles?\\)$`));
        expect(JSON.parse(readFileSync(path(state), 'utf8')).size).toBe(size);
        previous = size;
      }
      // Only row-0 tiles, each at most 8 KiB, never more than the per-poll bound.
      expect(log.tilesServed.every((p) => /^tile\/[0-2]\//.test(p))).toBe(true);
      const again = await atlog(['monitor', '--url', log.url, '--state', state, '--once', '--json']);
      expect(JSON.parse(again.stdout)).toMatchObject({ origin: ORIGIN, size: 70_000, previousSize: 70_000, newEntries: 0, status: 'consistent' });
      expect(MAX_TILES_PER_POLL).toBeGreaterThanOrEqual(32);
    } finally {
      await log.close();
    }
  });

  it('polls on an interval, and warns about a failed download between polls', async () => {
    const log = await fakeLog({ tree: history, size: 10 });
    try {
      let checkpoints = 0;
      const serve = log.handler;
      log.handler = (req, res, s) => {
        if (req.url === '/checkpoint' && ++checkpoints === 2) {
          res.writeHead(502);
          res.end();
          return;
        }
        if (req.url === '/checkpoint' && checkpoints === 3) log.view = { tree: history, size: 20 };
        serve(req, res, s);
      };
      const run = await atlog(['monitor', '--url', log.url, '--key', VERIFIER_KEY, '--polls', '3', '--interval', '0.1']);
      expect(run.code, run.stderr).toBe(0);
      expect(lines(run.stdout).map((l) => POLL_LINE.exec(l)?.slice(1))).toEqual([
        ['10', 'first seen, root recomputed from 1 tile'],
        ['20', '+10 entries, consistent with size 10 (proof and root from 1 tile)'],
      ]);
      expect(lines(run.stderr)).toEqual([expect.stringMatching(/^atlog: warning: http:\/\/127\.0\.0\.1:\d+\/checkpoint: \(HTTP 502 Bad Gateway\); next poll in 0\.1 s$/)]);
    } finally {
      await log.close();
    }
  });

  it('SPLIT VIEW (exit 3): two roots for one size, and a bigger tree that does not extend the one seen', async () => {
    const fork = new NaiveTree([...leaves.slice(0, 300), ...randomLeaves(400)]);
    const log = await fakeLog({ tree: history, size: 600 });
    const state = unique('state.json');
    try {
      expect((await atlog(['monitor', '--url', log.url, '--state', state, '--key', VERIFIER_KEY, '--once'])).code).toBe(0);
      const saved = readFileSync(path(state), 'utf8');

      log.view = { tree: fork, size: 600 };
      const same = await atlog(['monitor', '--url', log.url, '--state', state, '--once']);
      expectOneLineError(same, SPLIT_VIEW_EXIT, /^atlog: SPLIT VIEW: the log signed two roots for tree size 600: [0-9a-f]{16}… \(seen before\) and [0-9a-f]{16}… \(now, at /);
      expect(same.stdout).toBe('');
      expect(readFileSync(path(state), 'utf8')).toBe(saved); // the state is kept, as evidence

      log.view = { tree: fork, size: 700 };
      expectOneLineError(
        await atlog(['monitor', '--url', log.url, '--state', state, '--once']),
        SPLIT_VIEW_EXIT,
        /^atlog: SPLIT VIEW: the checkpoint at size 700 \(root [0-9a-f]{16}…\) does not extend the one seen at size 600 \(root [0-9a-f]{16}…; its tree has [0-9a-f]{16}… there\): the log has shown two histories$/,
      );
      // A fork after the size seen is no split: it extends what was seen.
      const early = unique('state.json');
      log.view = { tree: history, size: 300 };
      expect((await atlog(['monitor', '--url', log.url, '--state', early, '--key', VERIFIER_KEY, '--once'])).code).toBe(0);
      log.view = { tree: fork, size: 700 };
      const extends_ = await atlog(['monitor', '--url', log.url, '--state', early, '--once']);
      expect(extends_.code, extends_.stderr).toBe(0);
      expect(extends_.stdout).toContain('+400 entries, consistent with size 300');
    } finally {
      await log.close();
    }
  });

  it('inconsistent (exit 1): a smaller checkpoint, tiles that do not give the signed root or disagree with each other', async () => {
    const log = await fakeLog({ tree: history, size: 300 });
    const state = unique('state.json');
    try {
      expect((await atlog(['monitor', '--url', log.url, '--state', state, '--key', VERIFIER_KEY, '--once'])).code).toBe(0);
      log.view = { tree: history, size: 200 };
      expectOneLineError(
        await atlog(['monitor', '--url', log.url, '--state', state, '--once']),
        1,
        /^atlog: inconsistent: the checkpoint at http:\/\/127\.0\.0\.1:\d+\/checkpoint went back from size 300 to 200: a rollback/,
      );
      // A signed root the tiles do not give.
      log.view = { tree: history, size: 310, root: history.root(309) };
      expectOneLineError(
        await atlog(['monitor', '--url', log.url, '--state', state, '--once']),
        1,
        /^atlog: inconsistent: the tiles at http:\/\/127\.0\.0\.1:\d+\/ give root [0-9a-f]{16}… at size 310, but the checkpoint says [0-9a-f]{16}…$/,
      );
      // A level-1 tile that does not match the level-0 tile below it, and a signed root made from
      // it: the root checks out, but the consistency proof (from level-0 nodes) does not reach it.
      const lie = randomLeaves(1)[0]!;
      const node = (l: Uint8Array, r: Uint8Array) => new Uint8Array(createHash('sha256').update(Uint8Array.of(1)).update(l).update(r).digest());
      const lyingRoot = node(
        node(history.mth(0, 256), lie),
        node(history.mth(512, 576), node(history.mth(576, 592), history.mth(592, 600))),
      );
      log.view = {
        tree: history,
        size: 600,
        root: lyingRoot,
        mangle: (p, bytes) => {
          if (p !== 'tile/1/000.p/2') return bytes;
          const copy = bytes.slice();
          copy.set(lie, 32);
          return copy;
        },
      };
      const lying = await atlog(['monitor', '--url', log.url, '--state', state, '--once']);
      expect(lying.code, lying.stderr).toBe(1);
      expect(lying.stderr).toMatch(/^atlog: inconsistent: the tiles at http:\/\/127\.0\.0\.1:\d+\/ do not agree with each other between sizes 300 and 600 \(/);
      expect(JSON.parse(readFileSync(path(state), 'utf8')).size).toBe(300);
    } finally {
      await log.close();
    }
  });

  it('checks every tile’s size, falls back to the full tile when a partial one is gone', async () => {
    const log = await fakeLog({ tree: history, size: 300, missing: new Set(['tile/0/001.p/44']) });
    try {
      // 300 leaves: tile 0/000 (full) and 0/001.p/44; the partial one is gone, but the full one is not there yet either.
      expectOneLineError(
        await atlog(['monitor', '--url', log.url, '--key', VERIFIER_KEY, '--once']),
        1,
        /^atlog: http:\/\/127\.0\.0\.1:\d+\/tile\/0\/001\.p\/44: \(404 Not Found\): nothing at \/tile\/0\/001\.p\/44$/,
      );
      // Once the log has 512 leaves, the full tile serves a 300-leaf checkpoint.
      log.view = { tree: history, size: 300, missing: new Set(['tile/0/001.p/44']) };
      const full = log.handler;
      log.handler = (req, res, s) => {
        if (req.url === '/tile/0/001') {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          res.end(tileBytes(history, 0, 1, 256));
          return;
        }
        full(req, res, s);
      };
      const run = await atlog(['monitor', '--url', log.url, '--key', VERIFIER_KEY, '--once']);
      expect(run.code, run.stderr).toBe(0);
      log.handler = full;
      log.view = { tree: history, size: 300, mangle: (p, bytes) => (p === 'tile/0/001.p/44' ? bytes.subarray(0, 43 * 32) : bytes) };
      expectOneLineError(await atlog(['monitor', '--url', log.url, '--key', VERIFIER_KEY, '--once']), 1, /a tile of 44 hashes is 1408 bytes, not 1376$/);
      log.view = { tree: history, size: 300, mangle: (p, bytes) => (p === 'tile/0/001.p/44' ? new Uint8Array(9000) : bytes) };
      expectOneLineError(await atlog(['monitor', '--url', log.url, '--key', VERIFIER_KEY, '--once']), 1, /tile\/0\/001\.p\/44: the response is larger than the limit of 1408 bytes$/);
    } finally {
      await log.close();
    }
  });

  it('trusts the key set on first use (and says so), and refuses a checkpoint no trusted key signed', async () => {
    const ed = coseKeyFromKeyObject(checkpointKey.publicKey, { kid: coseKeyThumbprint(checkpointKey.publicKey) });
    const es = coseKeyFromKeyObject(issuer.publicKey, { kid: coseKeyThumbprint(issuer.publicKey) });
    const other = generateKeyPair(CoseAlgorithm.EdDSA).publicKey;
    const log = await fakeLog({ tree: history, size: 5 }, encodeCoseKeySet([es, coseKeyFromKeyObject(other, { kid: coseKeyThumbprint(other) }), ed]));
    const onlyEs = await fakeLog({ tree: history, size: 5 }, encodeCoseKeySet([es]));
    try {
      const state = unique('state.json');
      const run = await atlog(['monitor', '--url', log.url, '--state', state, '--once']);
      expect(run.code, run.stderr).toBe(0);
      expect(lines(run.stdout)[0]).toBe(`key: ${VERIFIER_KEY} (from ${log.url}/.well-known/scitt-keys, trusted on first use; pin it with --key)`);
      expect(lines(run.stdout)[1]).toMatch(POLL_LINE);
      expect(JSON.parse(readFileSync(path(state), 'utf8')).key).toBe(VERIFIER_KEY);
      // The second run trusts the recorded key and fetches no key set.
      const before = log.requests.filter((r) => r.url.startsWith('/.well-known')).length;
      expect((await atlog(['monitor', '--url', log.url, '--state', state, '--once'])).stdout).not.toContain('key:');
      expect(log.requests.filter((r) => r.url.startsWith('/.well-known')).length).toBe(before);

      expectOneLineError(
        await atlog(['monitor', '--url', onlyEs.url, '--once']),
        1,
        /^atlog: the checkpoint from .* for origin "monitor\.test\/log" is not signed by any Ed25519 key the service publishes \(1 keys at \/\.well-known\/atlog-checkpoint-keys and \/\.well-known\/scitt-keys\); give the log's checkpoint key with --key$/,
      );
      const stranger = noteVerifierKey(ORIGIN, other);
      expectOneLineError(await atlog(['monitor', '--url', log.url, '--key', stranger, '--once']), 1, /^atlog: the checkpoint from .*: .*(signature|verif|known key)/i);
      expectOneLineError(
        await atlog(['monitor', '--url', log.url, '--key', VERIFIER_KEY, '--origin', 'other.example/log', '--once']),
        1,
        /checkpoint from .*: checkpoint is for origin/,
      );
      expectOneLineError(await atlog(['monitor', '--url', log.url, '--state', state, '--key', stranger, '--once']), 1, /was verified with checkpoint key .*, not --key/);
      expectOneLineError(await atlog(['monitor', '--url', log.url, '--state', state, '--origin', 'x.example/log', '--once']), 1, /follows origin "monitor\.test\/log", not --origin "x\.example\/log"/);
    } finally {
      await log.close();
      await onlyEs.close();
    }
  });

  it('refuses a state file that is not what it claims, and bad usage', async () => {
    const log = await fakeLog({ tree: history, size: 5 });
    try {
      const state = unique('state.json');
      expect((await atlog(['monitor', '--url', log.url, '--state', state, '--key', VERIFIER_KEY, '--once'])).code).toBe(0);
      const saved = JSON.parse(readFileSync(path(state), 'utf8'));
      const tampered = unique('tampered.json');
      writeFileSync(path(tampered), JSON.stringify({ ...saved, size: 4 }));
      expectOneLineError(await atlog(['monitor', '--url', log.url, '--state', tampered, '--once']), 1, /size and root do not match the recorded checkpoint/);
      writeFileSync(path(tampered), '{"version":1');
      expectOneLineError(await atlog(['monitor', '--url', log.url, '--state', tampered, '--once']), 1, /is not JSON/);
      writeFileSync(path(tampered), JSON.stringify({ ...saved, checkpoint: saved.checkpoint.replace('monitor', 'nomitor') }));
      expectOneLineError(await atlog(['monitor', '--url', log.url, '--state', tampered, '--once']), 1, /--state .*: checkpoint: /);

      expectOneLineError(await atlog(['monitor', '--url', log.url, '--once', '--polls', '3']), 2, /--once is --polls 1/);
      expectOneLineError(await atlog(['monitor', '--url', log.url, '--key', 'nope', '--once']), 2, /C2SP Ed25519 verifier key/);
      expectOneLineError(await atlog(['monitor', '--url', log.url, '--interval', '0', '--once']), 2, /from 0\.1 to 86400/);
      expectOneLineError(await atlog(['monitor', '--url', 'http://monitor.example', '--once']), 2, /loopback/);
      expectOneLineError(await atlog(['monitor', '--url', 'http://127.0.0.1:9', '--key', VERIFIER_KEY, '--once', '--timeout', '1']), 1, /ECONNREFUSED/);
    } finally {
      await log.close();
    }
  });
});
