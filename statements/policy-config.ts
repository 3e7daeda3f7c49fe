// The registration policy from configuration: a JSON file (atlog serve --config FILE), and the
// flags that trust one issuer key or trust anchor each (--issuer-key, --trust-anchor), which add
// to the file's lists. Everything is checked strictly at start-up, with the path of the setting
// at fault, so a wrong configuration stops the service instead of silently admitting too much or
// refusing everything.
//
//   { "algorithms": ["ES256", "EdDSA"],            optional; default ES256, ES384, EdDSA
//     "maxStatementBytes": 65535,                  optional; 1 to 65535, default 65535
//     "contentTypes": ["application/json", 50],    optional; default any
//     "issuers": { "keys": ["keys/a.pub.pem", "keys/b.jwk", "keys/c.pub.cbor"],
//                  "trustAnchors": ["ca/agents-root.pem"] },
//     "agentStatements": { "enabled": true,          optional; the agent-statements/v1 check, on by default
//                          "profileAuthorities": [{ "iss": "spiffe://domain-a.example/policy/admin",
//                                                   "agents": ["spiffe://domain-a.example/agent/*"] }] } }
//
// Files are resolved against the configuration file's directory; flags against the working
// directory. Nothing in a file can make the policy open: only developmentPolicy() does that.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CertificateError, loadTrustAnchors, type TrustAnchorInput, type TrustAnchors } from '../verifier/index.js';
import { badArgument, configError, PolicyError, quoted, type SettingRef } from './errors.js';
import { issuerKeyFromFile, type LoadedIssuerKey, MAX_ISSUER_KEYS, MAX_KEY_FILE_BYTES } from './issuer-keys.js';
import { JsonSyntaxError, parseStrictJson } from '../util/index.js';
import { agentStatementsSettings } from './agent-check.js';
import { buildPolicy, developmentPolicy, type RegistrationPolicy, withAgentStatementsCheck } from './policy.js';
import {
  type PayloadCheck,
  algorithmsFromNames,
  checkMaxStatementBytes,
  contentTypesFrom,
  DEFAULT_POLICY_ALGORITHMS,
  MAX_LOG_ENTRY_BYTES,
} from './policy-rules.js';

/** Largest configuration file: a policy is a few hundred bytes of settings and file names. */
export const MAX_POLICY_CONFIG_BYTES = 64 * 1024;
/** Most trust anchor files (files and flags together) and most anchor certificates in them. */
export const MAX_TRUST_ANCHORS = 64;
/** Largest trust anchor file (a PEM bundle). */
export const MAX_TRUST_ANCHOR_FILE_BYTES = 1024 * 1024;
/** Longest file name in the configuration. */
const MAX_PATH_LENGTH = 4096;
/** Deepest nesting in a configuration file (the format needs 3). */
const MAX_CONFIG_DEPTH = 8;

/**
 * Reads a file the configuration names, synchronously (policies are loaded once, at start-up).
 * Returning more than `maxBytes` bytes is refused (a reader should stop at `maxBytes + 1`); the
 * default reader does, from the file system.
 */
export type ReadPolicyFile = (path: string, maxBytes: number) => Uint8Array;

/** Files named outside the configuration (the serve flags), added to its lists. */
export interface ExtraIssuers {
  /** `--issuer-key` files. */
  readonly issuerKeys?: readonly string[];
  /** `--trust-anchor` files. */
  readonly trustAnchors?: readonly string[];
  /** Where these names are resolved; default process.cwd(). */
  readonly cwd?: string;
}

export interface LoadPolicyOptions {
  /** The directory relative file names in the configuration are resolved against (the file's own). */
  readonly baseDir: string;
  readonly readFile?: ReadPolicyFile;
  readonly payloadChecks?: readonly PayloadCheck[];
  /** Issuer keys and anchors from the command line, added to the configuration's. */
  readonly extra?: ExtraIssuers;
}

export interface PolicyOptions {
  /** The configuration file (`--config`), if any. */
  readonly policyFile?: string;
  /** Issuer public keys (`--issuer-key`, repeated): PEM, JWK or COSE_Key files. */
  readonly issuerKeys?: readonly string[];
  /** Trust anchor files (`--trust-anchor`, repeated): PEM bundles or DER. */
  readonly trustAnchors?: readonly string[];
  /** Where the flags' file names (and policyFile) are resolved; default process.cwd(). */
  readonly cwd?: string;
  readonly readFile?: ReadPolicyFile;
  readonly payloadChecks?: readonly PayloadCheck[];
}

/** A file a setting names, resolved. */
interface FileSetting extends SettingRef {
  readonly file: string;
  readonly path: string;
}

/** A configuration file's settings, checked, its files not yet read. */
interface ConfigSettings {
  readonly algorithms?: ReturnType<typeof algorithmsFromNames>;
  readonly maxStatementBytes?: number;
  readonly contentTypes?: (string | number)[];
  readonly keys: readonly FileSetting[];
  readonly trustAnchors: readonly FileSetting[];
  /** The `agentStatements` section as written (checked when read, so its errors come in order). */
  readonly agentStatements?: unknown;
}

const TOP_LEVEL = ['algorithms', 'maxStatementBytes', 'contentTypes', 'issuers', 'agentStatements'] as const;
const ISSUERS = ['keys', 'trustAnchors'] as const;

/**
 * Parses a configuration file's text: at most {@link MAX_POLICY_CONFIG_BYTES}, UTF-8, strict JSON
 * (duplicate member names refused: which of two values wins is not a question to leave open).
 */
export function parsePolicyConfig(text: Uint8Array | string, setting: string | SettingRef = 'policy'): unknown {
  let source: string;
  if (text instanceof Uint8Array) {
    if (text.length > MAX_POLICY_CONFIG_BYTES) throw configError(setting, `the configuration is larger than ${MAX_POLICY_CONFIG_BYTES} bytes`);
    try {
      source = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(text);
    } catch {
      throw configError(setting, 'the configuration is not UTF-8 text');
    }
  } else if (typeof text === 'string') {
    source = text;
  } else {
    throw badArgument('a policy configuration is bytes or text');
  }
  try {
    return parseStrictJson(source, { maxLength: MAX_POLICY_CONFIG_BYTES, maxDepth: MAX_CONFIG_DEPTH });
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw configError(setting, `not strict JSON: ${error.message}`);
    throw error;
  }
}

/**
 * A closed policy from a parsed configuration (prefer {@link parsePolicyConfig} to JSON.parse:
 * it refuses duplicate members); file names resolved against `baseDir`, `extra`'s against its cwd.
 */
export function loadPolicy(config: unknown, options: LoadPolicyOptions): RegistrationPolicy {
  const { baseDir } = checkLoadOptions(options);
  const extra = options.extra ?? {};
  if (typeof extra !== 'object' || extra === null) throw badArgument('extra must be { issuerKeys?, trustAnchors?, cwd? }');
  const cwd = resolve(checkDirectory(extra.cwd ?? process.cwd(), 'extra.cwd'));
  const settings = readConfig(config, baseDir);
  return assemble(settings, flagList(extra.issuerKeys, '--issuer-key', cwd), flagList(extra.trustAnchors, '--trust-anchor', cwd), options);
}

/** A closed policy from a configuration file; its file names resolved against its directory. */
export function loadPolicyFile(file: string, options: Omit<LoadPolicyOptions, 'baseDir' | 'extra'> & { readonly cwd?: string } = {}): RegistrationPolicy {
  return policyFromOptions({ ...options, policyFile: file });
}

/**
 * The service's policy from its command line: the file's settings and lists, plus one issuer key
 * per `--issuer-key` and one anchor file per `--trust-anchor`. With neither a file nor a flag, the
 * open {@link developmentPolicy} (check `policy.open` and say so at start-up).
 */
export function policyFromOptions(options: PolicyOptions): RegistrationPolicy {
  if (typeof options !== 'object' || options === null) throw badArgument('policyFromOptions needs options');
  const cwd = resolve(checkDirectory(options.cwd ?? process.cwd(), 'cwd'));
  const issuerKeys = flagList(options.issuerKeys, '--issuer-key', cwd);
  const trustAnchors = flagList(options.trustAnchors, '--trust-anchor', cwd);
  if (options.policyFile === undefined) {
    if (issuerKeys.length === 0 && trustAnchors.length === 0) {
      return developmentPolicy(options.payloadChecks === undefined ? {} : { payloadChecks: options.payloadChecks });
    }
    return assemble({ keys: [], trustAnchors: [] }, issuerKeys, trustAnchors, options);
  }
  const policyFile = fileSetting(options.policyFile, { setting: '--config' }, cwd);
  const bytes = readBounded(policyFile, MAX_POLICY_CONFIG_BYTES, options.readFile);
  const config = parsePolicyConfig(bytes, describeFile(policyFile));
  return assemble(readConfig(config, dirname(policyFile.path)), issuerKeys, trustAnchors, options);
}

// ---------------------------------------------------------------------------------------------
// The configuration's shape

function readConfig(config: unknown, baseDir: string): ConfigSettings {
  const top = plainObject(config, 'policy', TOP_LEVEL);
  const issuers = top.issuers === undefined ? {} : plainObject(top.issuers, 'issuers', ISSUERS);
  return {
    ...(top.algorithms === undefined ? {} : { algorithms: algorithmsFromNames(top.algorithms, 'algorithms') }),
    ...(top.maxStatementBytes === undefined ? {} : { maxStatementBytes: checkMaxStatementBytes(top.maxStatementBytes, 'maxStatementBytes') }),
    ...(top.contentTypes === undefined ? {} : { contentTypes: contentTypesFrom(top.contentTypes, 'contentTypes') }),
    keys: fileList(issuers.keys, 'issuers.keys', baseDir, MAX_ISSUER_KEYS),
    trustAnchors: fileList(issuers.trustAnchors, 'issuers.trustAnchors', baseDir, MAX_TRUST_ANCHORS),
    ...(top.agentStatements === undefined ? {} : { agentStatements: checked(top.agentStatements) }),
  };
}

function checked(agentStatements: unknown): unknown {
  agentStatementsSettings(agentStatements, 'agentStatements');
  return agentStatements;
}

/** An object with only the known members; the first unknown one is refused by its path. */
function plainObject(value: unknown, setting: string, known: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw configError(setting, 'must be a JSON object');
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) throw configError(setting, 'must be a plain JSON object');
  const names = Object.keys(value);
  if (names.length > known.length) {
    const unknown = names.find((name) => !known.includes(name)) as string;
    throw configError(memberPath(setting, unknown), `is not a setting (known: ${known.join(', ')})`);
  }
  for (const name of names) {
    if (!known.includes(name)) throw configError(memberPath(setting, name), `is not a setting (known: ${known.join(', ')})`);
  }
  return value as Record<string, unknown>;
}

function memberPath(parent: string, name: string): string {
  const member = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/.test(name) ? `.${name}` : `[${quoted(name, 32)}]`;
  return parent === 'policy' ? member.replace(/^\./, '') : `${parent}${member}`;
}

function fileList(value: unknown, setting: string, baseDir: string, max: number): FileSetting[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw configError(setting, 'must be a list of file names');
  if (value.length > max) throw configError(setting, `lists ${value.length} files; at most ${max}`);
  return value.map((file: unknown, index) => fileSetting(file, { setting: `${setting}[${index}]` }, baseDir));
}

function flagList(value: readonly string[] | undefined, flag: string, cwd: string): FileSetting[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw badArgument(`${flag} values must be an array of file names`);
  return value.map((file: unknown, index) => fileSetting(file, { setting: `${flag}[${index}]` }, cwd));
}

function fileSetting(file: unknown, ref: SettingRef, baseDir: string): FileSetting {
  if (typeof file !== 'string' || file.length === 0 || file.length > MAX_PATH_LENGTH || file.includes('\u0000')) {
    throw configError(ref, `must be a file name (1 to ${MAX_PATH_LENGTH} characters)`);
  }
  return { setting: ref.setting, file, path: resolve(baseDir, file) };
}

function checkLoadOptions(options: LoadPolicyOptions): { baseDir: string } {
  if (typeof options !== 'object' || options === null) throw badArgument('loadPolicy needs { baseDir }');
  return { baseDir: resolve(checkDirectory(options.baseDir, 'baseDir')) };
}

function checkDirectory(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\u0000')) throw badArgument(`${name} must be a directory name`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Reading the files and building the policy

function assemble(
  config: ConfigSettings,
  flagKeys: readonly FileSetting[],
  flagAnchors: readonly FileSetting[],
  options: { readonly readFile?: ReadPolicyFile; readonly payloadChecks?: readonly PayloadCheck[] },
): RegistrationPolicy {
  const keySettings = [...config.keys, ...flagKeys];
  const anchorSettings = [...config.trustAnchors, ...flagAnchors];
  if (keySettings.length > MAX_ISSUER_KEYS) throw configError('issuers.keys', `${keySettings.length} issuer keys with the flags; at most ${MAX_ISSUER_KEYS}`);
  if (anchorSettings.length > MAX_TRUST_ANCHORS) throw configError('issuers.trustAnchors', `${anchorSettings.length} trust anchor files with the flags; at most ${MAX_TRUST_ANCHORS}`);
  const payloadChecks = withAgentStatementsCheck(config.agentStatements, options.payloadChecks, false);

  // One file at a time, in order: the first bad setting is the one reported, every time.
  const keys: LoadedIssuerKey[] = [];
  for (const setting of keySettings) {
    keys.push(issuerKeyFromFile(readBounded(setting, MAX_KEY_FILE_BYTES, options.readFile), setting));
  }
  const anchorInputs: { input: TrustAnchorInput; setting: FileSetting }[] = [];
  for (const setting of anchorSettings) {
    anchorInputs.push({ input: anchorInput(readBounded(setting, MAX_TRUST_ANCHOR_FILE_BYTES, options.readFile), setting), setting });
  }
  return buildPolicy({
    open: false,
    algorithms: config.algorithms ?? DEFAULT_POLICY_ALGORITHMS,
    maxStatementBytes: config.maxStatementBytes ?? MAX_LOG_ENTRY_BYTES,
    contentTypes: config.contentTypes ?? null,
    keys,
    trustAnchors: trustAnchorsFrom(anchorInputs),
    payloadChecks,
  });
}

/** A trust anchor file: DER when it starts like one, else PEM text (one certificate or a bundle). */
function anchorInput(bytes: Uint8Array, setting: FileSetting): TrustAnchorInput {
  if (bytes[0] === 0x30) return bytes;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw configError(setting, 'is neither a DER certificate nor PEM text');
  }
}

/**
 * Each file is loaded on its own first, so a bad anchor is reported with its setting; then all
 * together, which drops exact duplicates and refuses two different certificates with one
 * subject and key.
 */
function trustAnchorsFrom(inputs: readonly { input: TrustAnchorInput; setting: FileSetting }[]): TrustAnchors {
  let count = 0;
  for (const { input, setting } of inputs) {
    count += anchorsOrConfigError(setting, () => loadTrustAnchors([input])).size;
    if (count > MAX_TRUST_ANCHORS) throw configError(setting, `brings the trust anchors to more than ${MAX_TRUST_ANCHORS} certificates`);
  }
  return anchorsOrConfigError('issuers.trustAnchors', () => loadTrustAnchors(inputs.map(({ input }) => input)));
}

function anchorsOrConfigError(ref: string | SettingRef, load: () => TrustAnchors): TrustAnchors {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof CertificateError)) throw error;
    throw configError(ref, `not a usable trust anchor (${error.code}: ${error.message})`, error);
  }
}

function readBounded(setting: FileSetting, maxBytes: number, readFile: ReadPolicyFile = readFileBounded): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFile(setting.path, maxBytes);
  } catch (error) {
    if (error instanceof PolicyError) throw error;
    // The system's code (ENOENT, EACCES, EISDIR…) says enough; its message would repeat the path.
    const code = (error as { code?: unknown } | null)?.code;
    throw configError(setting, `cannot be read${typeof code === 'string' ? ` (${code.slice(0, 32)})` : ''}`, error);
  }
  if (!(bytes instanceof Uint8Array)) throw badArgument('readFile must return a Uint8Array, synchronously');
  if (bytes.length > maxBytes) throw configError(setting, `is larger than ${maxBytes} bytes`);
  return bytes;
}

function describeFile(setting: FileSetting): SettingRef {
  return { setting: setting.setting, file: setting.file };
}

/** Reads at most `maxBytes + 1` bytes of a regular file, so a huge file costs nothing to refuse. */
export function readFileBounded(path: string, maxBytes: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    if (!fstatSync(fd).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
    const buffer = new Uint8Array(maxBytes + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const read = readSync(fd, buffer, filled, buffer.length - filled, null);
      if (read === 0) break;
      filled += read;
    }
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}
