// atlog inspect: a readable dump of a COSE file: a signed statement, a transparent statement (with
// its receipts), a receipt, a signed tree head, a COSE_Key or a COSE_KeySet. Everything is decoded
// with the strict, bounded decoders of receipts/; what they refuse is reported as a problem next to
// what could be read, never as a crash. Exit 0 when nothing is wrong, 1 when a problem was found or
// the file is not a COSE structure at all.

import { hash } from 'node:crypto';
import type { Command } from 'commander';
import {
  type CborValue,
  CborTag,
  CoseAlgorithm,
  type CoseSign1,
  Curve,
  CwtClaim,
  HashAlgorithm,
  HeaderLabel,
  KeyLabel,
  KeyType,
  RECEIPT_LIMITS,
  VdpProof,
  coseKeyFromCbor,
  coseKeyThumbprint,
  decodeCbor,
  encodeCbor,
  parseReceipt,
  parseStatement,
  sign1FromCbor,
} from '../../receipts/index.js';
import { AtlogError, bytesEqual, toHex } from '../../util/index.js';
import { CliError, EXIT } from '../errors.js';
import { diagnostic, formatSize, isoTime, jsonLine, printableText, quoted, safeText, shortHex } from '../format.js';
import { type Context, LIMITS, readInput, shownPath } from '../io.js';
import { certificateOf, subjectOf } from '../keys.js';
import type { CliCommand, RunState } from '../program.js';

/** One line of the dump: a name, its COSE label, a value for machines and a text for people. */
export interface Item {
  readonly name: string;
  readonly label?: number | string;
  /** JSON-ready value (bytes as hex). */
  readonly value?: unknown;
  /** The value as shown to people. */
  readonly text?: string;
  readonly items?: readonly Item[];
}

export interface Problem {
  readonly part: string;
  readonly code: string;
  readonly message: string;
}

export interface Inspection {
  readonly kind: string;
  readonly bytes: number;
  readonly items: readonly Item[];
  readonly problems: readonly Problem[];
}

export const inspect: CliCommand = {
  name: 'inspect',
  register(program: Command, ctx: Context, state: RunState): void {
    program
      .command('inspect')
      .summary('dump a statement, transparent statement, receipt, tree head, COSE_Key or key set')
      .description(
        'Show what a COSE file holds: headers by name (alg, kid, content type, CWT claims, x5chain subjects, ' +
          'hash envelope, vds, tree size), a payload preview, each receipt in label 394 and each proof. ' +
          'The file is decoded strictly; anything that cannot be read is reported (exit 1), not guessed at.',
      )
      .argument('<file>', 'the COSE file, or - to read stdin')
      .option('--json', 'print the dump as one line of JSON (bytes as hex)')
      .addHelpText('after', `\nLimit: ${formatSize(LIMITS.statement)}. Private key material is never shown.`)
      .action(async (path: string, options: { json?: boolean }) => {
        const bytes = await readInput(ctx, path, 'file', LIMITS.statement);
        const inspection = inspectBytes(bytes, shownPath(path));
        ctx.io.stdout.write(options.json === true ? `${jsonLine(inspection)}\n` : render(inspection));
        state.exitCode = inspection.problems.length === 0 ? EXIT.OK : EXIT.FAILURE;
      });
  },
};

// ---------------------------------------------------------------------------------------------

/** Inspects bytes; throws a one-line CliError when they are not a COSE structure at all. */
export function inspectBytes(bytes: Uint8Array, label: string): Inspection {
  const first = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  if (first === 0x2d && new TextDecoder().decode(bytes.subarray(0, 64)).trimStart().startsWith('-----BEGIN')) {
    throw new CliError('CLI_INPUT', `${label} is PEM text; inspect reads COSE (CBOR) files`);
  }
  let value: CborValue;
  try {
    value = decodeCbor(bytes, { tags: [18] });
  } catch (error) {
    if (error instanceof AtlogError) throw new CliError('CLI_INPUT', `${label} is not a COSE structure atlog can read: ${error.message}`);
    throw error;
  }
  if (value instanceof CborTag || (Array.isArray(value) && value.length === 4 && value[0] instanceof Uint8Array && value[1] instanceof Map)) {
    return inspectSign1(bytes, value);
  }
  if (value instanceof Map) {
    const { items, problems } = inspectKey(value, 'key');
    return { kind: 'COSE_Key', bytes: bytes.length, items, problems };
  }
  if (Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof Map)) {
    const problems: Problem[] = [];
    const items = (value as readonly ReadonlyMap<number | string, CborValue>[]).map((key, i) => {
      const inspected = inspectKey(key, `key ${i}`);
      problems.push(...inspected.problems);
      return { name: `key ${i}`, items: inspected.items };
    });
    const kids = value.map((key) => (key as ReadonlyMap<number | string, CborValue>).get(KeyLabel.kid)).filter((k) => k instanceof Uint8Array);
    if (new Set(kids.map((k) => toHex(k))).size !== kids.length) {
      problems.push({ part: 'key set', code: 'KEY_MALFORMED', message: 'two keys in the set share a kid' });
    }
    return { kind: 'COSE_KeySet', bytes: bytes.length, items: [{ name: 'keys', text: String(value.length), value: value.length }, ...items], problems };
  }
  throw new CliError('CLI_INPUT', `${label} is CBOR but not a COSE_Sign1, COSE_Key or COSE_KeySet (it is ${describeKind(value)})`);
}

function describeKind(value: CborValue): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return 'a byte string';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof CborTag) return `tag ${value.tag}`;
  return `a ${typeof value}`;
}

// ---------------------------------------------------------------------------------------------
// COSE_Sign1: statements, transparent statements, receipts, signed tree heads

function inspectSign1(bytes: Uint8Array, value: CborValue): Inspection {
  let sign1: CoseSign1;
  try {
    sign1 = sign1FromCbor(value, { requireTag: false });
  } catch (error) {
    if (error instanceof AtlogError) throw new CliError('CLI_INPUT', `not a COSE_Sign1 atlog can read: ${error.message}`);
    throw error;
  }
  const problems: Problem[] = [];
  const note = (part: string, error: unknown) => {
    if (!(error instanceof AtlogError)) throw error;
    problems.push({ part, code: error.code, message: error.message });
  };
  const ph = sign1.protectedHeader;
  const uh = sign1.unprotectedHeader;
  let kind: string;
  if (ph.has(HeaderLabel.vds)) {
    kind = uh.has(HeaderLabel.vdp) ? 'receipt' : 'signed tree head';
    try {
      parseReceipt(bytes);
    } catch (error) {
      if (!(kind === 'signed tree head' && error instanceof AtlogError && error.code === 'RECEIPT_PROOFS_MISSING')) note(kind, error);
    }
  } else {
    kind = uh.has(HeaderLabel.receipts) ? 'transparent statement' : 'signed statement';
    try {
      parseStatement(bytes);
    } catch (error) {
      note('statement', error);
      if (!ph.has(HeaderLabel.cwtClaims)) kind = 'COSE_Sign1';
    }
  }
  const items = sign1Items(sign1, kind);
  const receipts = uh.get(HeaderLabel.receipts);
  if (receipts !== undefined && !ph.has(HeaderLabel.vds)) {
    const list: readonly CborValue[] = Array.isArray(receipts) ? (receipts as readonly CborValue[]) : [receipts];
    if (list.length === 0) problems.push({ part: 'receipts', code: 'RECEIPTS_MALFORMED', message: 'receipts (394) must not be an empty array' });
    list.forEach((item, i) => {
      const inspected = inspectReceiptItem(item, i);
      items.push(inspected.item);
      problems.push(...inspected.problems);
    });
  }
  return { kind, bytes: bytes.length, items, problems };
}

function inspectReceiptItem(item: CborValue, index: number): { item: Item; problems: Problem[] } {
  const part = `receipt ${index}`;
  let receiptBytes: Uint8Array;
  if (item instanceof Uint8Array) receiptBytes = item;
  else if (item instanceof CborTag) receiptBytes = encodeCbor(item);
  else {
    return {
      item: { name: part, text: `not a receipt: ${diagnostic(item)}` },
      problems: [{ part, code: 'RECEIPTS_MALFORMED', message: 'a receipt must be a bstr-wrapped or tagged COSE_Sign1' }],
    };
  }
  const problems: Problem[] = [];
  let sign1: CoseSign1;
  try {
    sign1 = sign1FromCbor(decodeCbor(receiptBytes, { ...RECEIPT_LIMITS, tags: [18] }), { limits: RECEIPT_LIMITS });
  } catch (error) {
    if (!(error instanceof AtlogError)) throw error;
    return { item: { name: part, text: `unreadable (${receiptBytes.length} bytes)` }, problems: [{ part, code: error.code, message: error.message }] };
  }
  try {
    parseReceipt(receiptBytes);
  } catch (error) {
    if (!(error instanceof AtlogError)) throw error;
    problems.push({ part, code: error.code, message: error.message });
  }
  return { item: { name: part, text: `${receiptBytes.length} bytes`, items: sign1Items(sign1, 'receipt') }, problems };
}

function sign1Items(sign1: CoseSign1, kind: string): Item[] {
  const hashEnvelope = sign1.protectedHeader.get(HeaderLabel.payloadHashAlg);
  return [
    { name: 'COSE_Sign1', text: sign1.tagged ? 'tag 18' : 'untagged', value: { tagged: sign1.tagged } },
    { name: 'protected header', text: `${sign1.protectedBytes.length} bytes`, items: headerItems(sign1.protectedHeader) },
    { name: 'unprotected header', text: sign1.unprotectedHeader.size === 0 ? 'empty' : undefined, items: headerItems(sign1.unprotectedHeader) },
    payloadItem(sign1.payload, kind, hashEnvelope),
    { name: 'signature', text: `${sign1.signature.length} bytes`, value: toHex(sign1.signature) },
  ].map(dropUndefined);
}

function payloadItem(payload: Uint8Array | null, kind: string, hashEnvelope: CborValue | undefined): Item {
  if (payload === null) {
    const why = kind === 'receipt' || kind === 'signed tree head' ? ' (detached: the Merkle root the signature covers)' : ' (detached)';
    return { name: 'payload', text: `nil${why}`, value: null };
  }
  const hex = toHex(payload);
  if (hashEnvelope !== undefined) {
    return { name: 'payload', text: `${payload.length} bytes, the ${hashName(hashEnvelope)} digest of the preimage: ${shortHex(payload, 64)}`, value: hex };
  }
  const text = payload.length <= 1024 ? printableText(payload) : undefined;
  if (text !== undefined) return { name: 'payload', text: `${payload.length} bytes, text ${quoted(text, 200)}`, value: hex };
  return { name: 'payload', text: `${payload.length} bytes, hex ${shortHex(payload, 32)}`, value: hex };
}

const LABEL_NAMES = new Map<number | string, string>([
  [HeaderLabel.alg, 'alg'],
  [HeaderLabel.crit, 'crit'],
  [HeaderLabel.contentType, 'content type'],
  [HeaderLabel.kid, 'kid'],
  [HeaderLabel.cwtClaims, 'CWT claims'],
  [HeaderLabel.typ, 'typ'],
  [HeaderLabel.x5chain, 'x5chain'],
  [HeaderLabel.x5t, 'x5t'],
  [HeaderLabel.payloadHashAlg, 'payload hash alg'],
  [HeaderLabel.preimageContentType, 'preimage content type'],
  [HeaderLabel.payloadLocation, 'payload location'],
  [HeaderLabel.receipts, 'receipts'],
  [HeaderLabel.vds, 'vds'],
  [HeaderLabel.vdp, 'vdp'],
  [HeaderLabel.treeSize, 'tree size'],
]);

const ALGORITHM_NAMES = new Map<number, string>(Object.entries(CoseAlgorithm).map(([name, alg]) => [alg, name]));
const HASH_NAMES = new Map<number, string>([
  [HashAlgorithm.SHA256, 'sha-256'],
  [HashAlgorithm.SHA384, 'sha-384'],
  [HashAlgorithm.SHA512, 'sha-512'],
]);
const CLAIM_NAMES = new Map<number | string, string>(Object.entries(CwtClaim).map(([name, key]) => [key, name]));

function hashName(value: CborValue): string {
  return typeof value === 'number' ? (HASH_NAMES.get(value) ?? `hash ${value}`) : 'unknown hash';
}

function headerItems(header: ReadonlyMap<number | string, CborValue>): Item[] {
  return [...header].map(([label, value]) => dropUndefined({ name: LABEL_NAMES.get(label) ?? 'label', label, ...headerValue(label, value) }));
}

type Shown = Pick<Item, 'value' | 'text' | 'items'>;

function headerValue(label: number | string, value: CborValue): Shown {
  switch (label) {
    case HeaderLabel.alg:
      return { value: toJson(value), text: typeof value === 'number' ? `${ALGORITHM_NAMES.get(value) ?? 'unknown'} (${value})` : diagnostic(value) };
    case HeaderLabel.contentType:
    case HeaderLabel.preimageContentType:
    case HeaderLabel.typ:
      return { value: toJson(value), text: typeof value === 'number' ? `${value} (CoAP content format)` : diagnostic(value) };
    case HeaderLabel.kid:
      return value instanceof Uint8Array ? { value: toHex(value), text: bytesText(value) } : { value: toJson(value), text: diagnostic(value) };
    case HeaderLabel.cwtClaims:
      return value instanceof Map ? { text: `${value.size} claims`, items: claimItems(value) } : { value: toJson(value), text: diagnostic(value) };
    case HeaderLabel.x5chain:
      return x5chainValue(value);
    case HeaderLabel.payloadHashAlg:
      return { value: toJson(value), text: typeof value === 'number' ? `${hashName(value)} (${value})` : diagnostic(value) };
    case HeaderLabel.payloadLocation:
      return { value: toJson(value), text: diagnostic(value) };
    case HeaderLabel.receipts: {
      const count = Array.isArray(value) ? value.length : 1;
      return { value: count, text: `${count} receipt${count === 1 ? '' : 's'} (below)` };
    }
    case HeaderLabel.vds:
      return { value: toJson(value), text: value === 1 ? 'RFC9162_SHA256 (1)' : diagnostic(value) };
    case HeaderLabel.vdp:
      return value instanceof Map ? { items: vdpItems(value) } : { value: toJson(value), text: diagnostic(value) };
    case HeaderLabel.treeSize:
      return { value: toJson(value), text: `${diagnostic(value)} (the tree size the service signed; atlog's label)` };
    default:
      return { value: toJson(value), text: diagnostic(value) };
  }
}

function claimItems(claims: ReadonlyMap<number | string, CborValue>): Item[] {
  return [...claims].map(([key, value]) => {
    const name = CLAIM_NAMES.get(key) ?? 'claim';
    const time =
      (key === CwtClaim.iat || key === CwtClaim.exp || key === CwtClaim.nbf) && typeof value === 'number' ? isoTime(value) : undefined;
    const text = value instanceof Uint8Array ? bytesText(value) : `${diagnostic(value)}${time === undefined ? '' : ` (${time})`}`;
    return { name, label: key, value: toJson(value), text };
  });
}

function x5chainValue(value: CborValue): Shown {
  const chain = value instanceof Uint8Array ? [value] : Array.isArray(value) ? (value as readonly CborValue[]) : undefined;
  if (chain === undefined) return { value: toJson(value), text: diagnostic(value) };
  return {
    text: `${chain.length} certificate${chain.length === 1 ? '' : 's'}`,
    items: chain.map((der, i) => {
      if (!(der instanceof Uint8Array)) return { name: `certificate ${i}`, text: `not a byte string: ${diagnostic(der)}` };
      const fingerprint = hash('sha256', der, 'hex');
      try {
        const certificate = certificateOf(der, `certificate ${i}`);
        const subject = subjectOf(certificate);
        const issuer = certificate.issuer.split('\n').join(', ');
        const notBefore = isoDate(certificate.validFrom);
        const notAfter = isoDate(certificate.validTo);
        return {
          name: `certificate ${i}`,
          value: { subject, issuer, notBefore, notAfter, sha256: fingerprint },
          text: `subject ${quoted(subject, 100)}, issuer ${quoted(issuer, 100)}, valid ${notBefore} to ${notAfter}, sha-256 ${fingerprint.slice(0, 16)}…`,
        };
      } catch {
        return { name: `certificate ${i}`, value: { sha256: fingerprint }, text: `${der.length} bytes, not a readable X.509 certificate` };
      }
    }),
  };
}

/** node:crypto's validity text ("Mar  1 12:00:00 2026 GMT") as ISO 8601. */
function isoDate(text: string): string {
  const time = Date.parse(text);
  return Number.isNaN(time) ? safeText(text, 40) : new Date(time).toISOString().replace('.000Z', 'Z');
}

const PROOF_LIMITS = { maxBytes: 8 * 1024, maxDepth: 2, maxItems: 128, maxStringBytes: 32, tags: [] as number[] };

function vdpItems(vdp: ReadonlyMap<number | string, CborValue>): Item[] {
  return [...vdp].map(([key, value]) => {
    const kind = key === VdpProof.inclusion ? 'inclusion' : key === VdpProof.consistency ? 'consistency' : undefined;
    if (kind === undefined) return { name: 'proofs', label: key, text: diagnostic(value) };
    const proofs = value instanceof Uint8Array ? [value] : Array.isArray(value) ? (value as readonly CborValue[]) : [];
    return {
      name: `${kind} proofs`,
      label: key,
      text: `${proofs.length}`,
      items: proofs.map((proof, i) => proofItem(proof, kind, i)),
    };
  });
}

function proofItem(proof: CborValue, kind: 'inclusion' | 'consistency', index: number): Item {
  const name = `proof ${index}`;
  if (!(proof instanceof Uint8Array)) return { name, text: `not a byte string: ${diagnostic(proof)}` };
  let triple: CborValue;
  try {
    triple = decodeCbor(proof, PROOF_LIMITS);
  } catch (error) {
    return { name, text: `unreadable (${error instanceof AtlogError ? error.message : 'malformed'})` };
  }
  if (!Array.isArray(triple) || triple.length !== 3 || typeof triple[0] !== 'number' || typeof triple[1] !== 'number' || !Array.isArray(triple[2])) {
    return { name, text: `not [size, index, path]: ${diagnostic(triple)}` };
  }
  const [a, b, path] = triple as [number, number, readonly CborValue[]];
  const length = `path of ${path.length} hash${path.length === 1 ? '' : 'es'}`;
  if (kind === 'inclusion') {
    return { name, value: { treeSize: a, leafIndex: b, pathLength: path.length, path: path.map(toJson) }, text: `tree size ${a}, leaf index ${b}, ${length}` };
  }
  return { name, value: { treeSize1: a, treeSize2: b, pathLength: path.length, path: path.map(toJson) }, text: `from tree size ${a} to ${b}, ${length}` };
}

// ---------------------------------------------------------------------------------------------
// COSE_Key

const KEY_TYPE_NAMES = new Map<number, string>(Object.entries(KeyType).map(([name, id]) => [id, name]));
const CURVE_NAMES = new Map<number, string>([
  [Curve.P256, 'P-256'],
  [Curve.P384, 'P-384'],
  [Curve.P521, 'P-521'],
  [Curve.X25519, 'X25519'],
  [Curve.X448, 'X448'],
  [Curve.Ed25519, 'Ed25519'],
  [Curve.Ed448, 'Ed448'],
]);

/** A key's public description; never its private part, and not its coordinates (the thumbprint names it). */
function inspectKey(map: ReadonlyMap<number | string, CborValue>, part: string): { items: Item[]; problems: Problem[] } {
  const items: Item[] = [];
  const named = (label: number, name: string, names?: ReadonlyMap<number, string>) => {
    const value = map.get(label);
    if (value === undefined) return;
    const text = typeof value === 'number' && names !== undefined ? `${names.get(value) ?? 'unknown'} (${value})` : value instanceof Uint8Array ? bytesText(value) : diagnostic(value);
    items.push({ name, label, value: toJson(value), text });
  };
  named(KeyLabel.kty, 'kty', KEY_TYPE_NAMES);
  named(KeyLabel.crv, 'crv', CURVE_NAMES);
  named(KeyLabel.alg, 'alg', ALGORITHM_NAMES);
  named(KeyLabel.kid, 'kid');
  if (map.has(KeyLabel.d)) {
    items.push({ name: 'd', label: KeyLabel.d, text: 'PRIVATE KEY (not shown)' });
    return { items, problems: [{ part, code: 'KEY_PRIVATE', message: 'the COSE_Key contains a private key (d); a published key must not' }] };
  }
  try {
    const key = coseKeyFromCbor(map);
    const thumbprint = coseKeyThumbprint(key);
    const kidIsThumbprint = key.kid !== undefined && bytesEqual(key.kid, thumbprint);
    items.push({ name: 'RFC 9679 thumbprint', value: toHex(thumbprint), text: `${toHex(thumbprint)}${kidIsThumbprint ? ' (= kid)' : ''}` });
    return { items, problems: [] };
  } catch (error) {
    if (!(error instanceof AtlogError)) throw error;
    return { items, problems: [{ part, code: error.code, message: error.message }] };
  }
}

// ---------------------------------------------------------------------------------------------

/** Bytes as hex, with the text too when they are short printable ASCII (a kid like "agent-1"). */
function bytesText(bytes: Uint8Array): string {
  const text = bytes.length <= 64 && /^[\x20-\x7e]+$/.test(Buffer.from(bytes).toString('latin1')) ? ` ${quoted(Buffer.from(bytes).toString('latin1'), 64)}` : '';
  return `${shortHex(bytes, 48)} (${bytes.length} bytes)${text}`;
}

function toJson(value: CborValue): unknown {
  if (value instanceof Uint8Array) return toHex(value);
  if (value instanceof CborTag) return { tag: value.tag, value: toJson(value.value) };
  if (Array.isArray(value)) return (value as readonly CborValue[]).map(toJson);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJson(v)]));
  return value;
}

function dropUndefined(item: Item): Item {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined)) as Item;
}

/** The dump as text: a title line, then the items indented by level, then the problems. */
export function render(inspection: Inspection): string {
  const lines = [`${inspection.kind}, ${inspection.bytes} bytes`];
  const walk = (items: readonly Item[], depth: number) => {
    for (const item of items) {
      const label = item.label === undefined ? '' : ` (${typeof item.label === 'string' ? quoted(item.label, 40) : item.label})`;
      lines.push(`${'  '.repeat(depth)}${item.name}${label}${item.text === undefined ? '' : `: ${item.text}`}`);
      if (item.items !== undefined) walk(item.items, depth + 1);
    }
  };
  walk(inspection.items, 1);
  if (inspection.problems.length > 0) {
    lines.push(`problems (${inspection.problems.length}):`);
    for (const p of inspection.problems) lines.push(`  ${p.part}: ${p.code}: ${safeText(p.message, 300)}`);
  }
  return `${lines.join('\n')}\n`;
}
