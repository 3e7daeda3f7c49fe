// atlog keygen: a new issuer (or service) key pair, as three files: the PKCS#8 private key (mode
// 0600), and beside it the public key as SPKI PEM and as a COSE_Key whose kid is its RFC 9679
// thumbprint. Prints the files and the kid; never the key.

import { type Command, Option } from 'commander';
import {
  CoseAlgorithm,
  coseKeyFromKeyObject,
  coseKeyThumbprint,
  encodeCoseKey,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateKeyPair,
} from '../../receipts/index.js';
import { toHex } from '../../util/index.js';
import { usageError } from '../errors.js';
import { checkWritable, type Context, shownPath, writeOutput } from '../io.js';
import type { CliCommand } from '../program.js';

const ALGORITHMS = ['ES256', 'ES384', 'EdDSA'] as const;
type AlgorithmName = (typeof ALGORITHMS)[number];

interface KeygenOptions {
  readonly alg: AlgorithmName;
  readonly out: string;
  readonly force?: boolean;
}

/** key.pem → key.pub.pem and key.pub.cbor; a name without .pem gets the suffixes appended. */
export function publicKeyPaths(out: string): { pem: string; cbor: string } {
  const base = out.toLowerCase().endsWith('.pem') ? out.slice(0, -4) : out;
  return { pem: `${base}.pub.pem`, cbor: `${base}.pub.cbor` };
}

export const keygen: CliCommand = {
  name: 'keygen',
  register(program: Command, ctx: Context): void {
    program
      .command('keygen')
      .summary('generate a key pair (PKCS#8 private key, SPKI and COSE_Key public key)')
      .description(
        'Generate a signing key pair. The private key is written as unencrypted PKCS#8 PEM with mode 0600; ' +
          'beside it go the public key as SPKI PEM (<name>.pub.pem) and as a COSE_Key (<name>.pub.cbor) ' +
          'whose kid is the key’s RFC 9679 thumbprint. Prints the files written and the kid (hex).',
      )
      .addOption(new Option('--alg <alg>', 'algorithm: ES256 (P-256), ES384 (P-384) or EdDSA (Ed25519)').choices(ALGORITHMS).default('ES256'))
      .requiredOption('-o, --out <file>', 'the private key file, e.g. key.pem (the public key files go beside it)')
      .option('--force', 'replace existing files')
      .addHelpText('after', '\nExisting files are never replaced without --force. Key material is never printed.')
      .action(async (options: KeygenOptions) => {
        const { out } = options;
        if (out === '-') throw usageError('--out must be a file: keys are never written to stdout');
        const pub = publicKeyPaths(out);
        const force = options.force === true;
        await checkWritable(ctx, [out, pub.pem, pub.cbor], force);

        const alg = CoseAlgorithm[options.alg];
        const { privateKey, publicKey } = generateKeyPair(alg);
        const kid = coseKeyThumbprint(publicKey);
        const coseKey = encodeCoseKey(coseKeyFromKeyObject(publicKey, { kid, alg }));

        await writeOutput(ctx, out, exportPrivateKeyPem(privateKey), { force, mode: 0o600, what: '--out' });
        await writeOutput(ctx, pub.pem, exportPublicKeyPem(publicKey), { force, mode: 0o644, what: 'public key' });
        await writeOutput(ctx, pub.cbor, coseKey, { force, mode: 0o644, what: 'public key' });
        ctx.io.stdout.write(
          `wrote ${shownPath(out)} (${options.alg} private key, mode 0600), ${shownPath(pub.pem)}, ${shownPath(pub.cbor)}; kid ${toHex(kid)}\n`,
        );
      });
  },
};
