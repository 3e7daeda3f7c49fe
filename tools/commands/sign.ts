// atlog sign: a SCITT signed statement (RFC 9943) over a payload file or stdin, as a tagged
// COSE_Sign1 with the issuer's CWT claims, a key id (the key's thumbprint, a given kid, or an
// x5chain), and optionally as a COSE hash envelope (RFC 9995).

import { createPublicKey } from 'node:crypto';
import type { Command } from 'commander';
import { CoseAlgorithm, coseKeyThumbprint, keyAlgorithm, signStatement } from '../../receipts/index.js';
import { didJwkFor } from '../../statements/index.js';
import { toHex } from '../../util/index.js';
import { CliError, about, usageError } from '../errors.js';
import { formatSize, quoted, safeText } from '../format.js';
import { type Context, LIMITS, checkWritable, readInput, shownPath, writeOutput } from '../io.js';
import { certificateHasKey, certificateOf, loadCertificateChain, loadPrivateKey, subjectOf } from '../keys.js';
import { parseContentType, parseSeconds, parseText } from '../options.js';
import type { CliCommand } from '../program.js';

/** The log's largest entry (C2SP entry bundles): bigger statements cannot be registered inline. */
const MAX_LOG_ENTRY = 65_535;

interface SignOptions {
  readonly key: string;
  readonly iss: string;
  readonly sub: string;
  readonly contentType: string | number;
  readonly kid?: string;
  readonly x5chain?: string;
  readonly hashEnvelope?: boolean;
  readonly iat?: number;
  readonly out: string;
  readonly force?: boolean;
}

const ALGORITHM_NAMES = new Map<number, string>(Object.entries(CoseAlgorithm).map(([name, alg]) => [alg, name]));

export const sign: CliCommand = {
  name: 'sign',
  register(program: Command, ctx: Context): void {
    program
      .command('sign')
      .summary('make a SCITT signed statement (COSE_Sign1) over a payload')
      .description(
        'Sign PAYLOAD (a file, or - for stdin) as a SCITT signed statement: a tagged COSE_Sign1 whose ' +
          'protected header holds alg, the CWT claims iss, sub and iat, the content type and the issuer key id.',
      )
      .argument('<payload>', 'the payload file, or - to read stdin')
      .requiredOption('--key <file>', 'the private key: PKCS#8 PEM (as atlog keygen writes it) or a JWK with d')
      .requiredOption(
        '--iss <issuer>',
        'CWT iss: who makes the statement (URI-like, e.g. https://… or did:…, with --x5chain); the word did:jwk makes it the did:jwk of --key',
        parseText(8192, 'iss'),
      )
      .requiredOption('--sub <subject>', 'CWT sub: what the statement is about', parseText(8192, 'sub'))
      .requiredOption(
        '--content-type <type>',
        'media type of the payload (label 3), e.g. application/json; digits are a CoAP content format',
        parseContentType,
      )
      .option('--kid <kid>', 'key id (label 4): the UTF-8 bytes of this text (default: the key’s RFC 9679 thumbprint)', parseText(1024, 'kid'))
      .option('--x5chain <file>', 'identify the key by certificate chain (label 33): a PEM bundle, leaf first, whose leaf certifies --key')
      .option('--hash-envelope', 'sign the SHA-256 digest of the payload (RFC 9995); --content-type becomes the preimage content type (259)')
      .option('--iat <seconds>', 'CWT iat, seconds since 1970 (default: now)', parseSeconds)
      .requiredOption('-o, --out <file>', 'where to write the signed statement')
      .option('--force', 'replace the output file if it exists')
      .addHelpText(
        'after',
        '\nKey id: without --kid or --x5chain, kid is the RFC 9679 COSE key thumbprint of the key (32 bytes);\n' +
          '--kid KID uses the UTF-8 bytes of KID; --x5chain sends the chain and no kid unless --kid is given too.\n' +
          `Limits: payload ${formatSize(LIMITS.payload)} (with --hash-envelope ${formatSize(LIMITS.preimage)}), ` +
          `key ${formatSize(LIMITS.key)}, chain ${formatSize(LIMITS.certificateChain)}.\n` +
          `The log stores entries of at most ${MAX_LOG_ENTRY} bytes: larger statements need --hash-envelope.`,
      )
      .action(async (payloadPath: string, options: SignOptions) => {
        if (options.out === '-') throw usageError('--out must be a file');
        await checkWritable(ctx, [options.out], options.force === true);
        const key = await loadPrivateKey(ctx, options.key);
        const alg = about(`--key ${shownPath(options.key)}`, () => keyAlgorithm(key));

        let x5chain: Uint8Array[] | undefined;
        let leafSubject: string | undefined;
        if (options.x5chain !== undefined) {
          x5chain = await loadCertificateChain(ctx, options.x5chain);
          const leaf = certificateOf(x5chain[0]!, '--x5chain leaf');
          if (!certificateHasKey(leaf, key)) {
            throw new CliError('CLI_INPUT', `the leaf certificate of --x5chain ${shownPath(options.x5chain)} is not for the key in --key ${shownPath(options.key)}`);
          }
          leafSubject = subjectOf(leaf);
        }
        const kid = options.kid === undefined ? undefined : new TextEncoder().encode(options.kid);
        // `--iss did:jwk`: the issuer is the key itself, as the open development policy admits.
        const iss = options.iss === 'did:jwk' ? didJwkFor(createPublicKey(key)) : options.iss;
        const maxPayload = options.hashEnvelope === true ? LIMITS.preimage : LIMITS.payload;
        const payload = await readInput(ctx, payloadPath, 'payload', maxPayload);
        const iat = options.iat ?? Math.floor(ctx.now().getTime() / 1000);

        const statement = about('cannot sign', () =>
          signStatement({
            key,
            iss,
            sub: options.sub,
            iat,
            payload,
            ...(options.hashEnvelope === true
              ? { hashEnvelope: { hashAlgorithm: 'sha-256' as const, preimageContentType: options.contentType } }
              : { contentType: options.contentType }),
            ...(kid === undefined ? {} : { kid }),
            ...(x5chain === undefined ? {} : { x5chain }),
          }),
        );
        await writeOutput(ctx, options.out, statement, { force: options.force === true, what: '--out' });

        const keyId =
          x5chain !== undefined
            ? `x5chain of ${x5chain.length} certificate${x5chain.length === 1 ? '' : 's'} (leaf ${quoted(leafSubject ?? '', 80)})${kid === undefined ? '' : `, kid ${quoted(options.kid!, 80)}`}`
            : kid === undefined
              ? `kid ${toHex(coseKeyThumbprint(key))} (RFC 9679 thumbprint)`
              : `kid ${quoted(options.kid!, 80)}`;
        const envelope = options.hashEnvelope === true ? `, hash envelope (sha-256 of ${payload.length} bytes)` : '';
        ctx.io.stdout.write(
          `wrote ${shownPath(options.out)} (${statement.length} bytes): ${ALGORITHM_NAMES.get(alg) ?? alg} signed statement, ` +
            `iss ${safeText(iss, 120)}, sub ${safeText(options.sub, 120)}, ${keyId}${envelope}\n`,
        );
        if (statement.length > MAX_LOG_ENTRY) {
          ctx.io.stderr.write(
            `atlog: warning: the statement is ${statement.length} bytes; the log takes entries of at most ${MAX_LOG_ENTRY} bytes (use --hash-envelope)\n`,
          );
        }
      });
  },
};
