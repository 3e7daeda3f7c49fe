// atlog verify: is this transparent statement what it claims to be? Offline, with the service's
// public keys (from a file, or fetched once from the service) and, optionally, the issuer's keys or
// trust anchors. Prints the verdict: one line when verified, every failure when not.

import { type Command, Option } from 'commander';
import { type CoseKey, decodeCoseKeySet } from '../../receipts/index.js';
import type { TrustAnchorInput, Verdict } from '../../verifier/index.js';
import { CliError, EXIT, about, usageError } from '../errors.js';
import { formatSize, jsonLine, quoted, safeText } from '../format.js';
import { WELL_KNOWN_KEYS, fetchCbor, keySetUrl } from '../http.js';
import { type Context, LIMITS, readInput, shownPath, utf8 } from '../io.js';
import { loadPublicKeys } from '../keys.js';
import { collect, parseIsoTime, parseTimeout } from '../options.js';
import type { CliCommand, RunState } from '../program.js';

interface VerifyOptions {
  readonly serviceKeys?: string;
  readonly service?: string;
  readonly trustAnchor?: readonly string[];
  readonly issuerKey?: readonly string[];
  readonly at?: Date;
  readonly preimage?: string;
  readonly json?: boolean;
  readonly timeout: number;
  readonly insecureHttp?: boolean;
}

export const verify: CliCommand = {
  name: 'verify',
  register(program: Command, ctx: Context, state: RunState): void {
    program
      .command('verify')
      .summary('verify a transparent statement offline: receipts, and the issuer’s signature')
      .description(
        'Verify a transparent statement (a signed statement with receipts in label 394) offline: at least one ' +
          'receipt from a trusted transparency service must verify against the statement, and, when issuer keys ' +
          'or trust anchors are given, the issuer’s signature too. Exit 0 and one line when verified; ' +
          'exit 1 and every failure, one per line (part: CODE: message), when not.',
      )
      .argument('<statement>', 'the transparent statement (COSE), or - to read stdin')
      .addOption(new Option('--service-keys <file>', 'the trusted service keys: a COSE_KeySet or a COSE_Key (also SPKI PEM or JWK)').conflicts('service'))
      .addOption(new Option('--service <url>', `fetch the service's keys once from <url>${WELL_KNOWN_KEYS} (https, or http on loopback)`))
      .option('--issuer-key <file>', 'trust this issuer public key (PEM, JWK or COSE_Key), matched by kid; repeatable', collect)
      .option('--trust-anchor <file>', 'trust issuers whose x5chain leads to this CA (PEM bundle or DER); repeatable', collect)
      .option('--at <time>', 'validate certificate chains at this ISO 8601 time (default: now)', parseIsoTime)
      .option('--preimage <file>', 'for a hash envelope: the preimage, checked against the signed digest')
      .option('--json', 'print the verdict as one line of JSON (bytes as hex); exit status unchanged')
      .option('--timeout <seconds>', 'with --service: how long the fetch may take', parseTimeout, 10)
      .option('--insecure-http', 'with --service: allow plain http to a host that is not loopback')
      .addHelpText(
        'after',
        '\nWithout --issuer-key or --trust-anchor the issuer signature is not checked, and the verdict says so.\n' +
          'Keys are matched by kid: a key’s own kid (COSE_Key kid; JWK kid as UTF-8) or its RFC 9679 thumbprint.\n' +
          '--service trusts whatever keys the service serves at that moment: prefer --service-keys from a source you\n' +
          'trust. The fetch follows no redirects, times out (--timeout) and reads at most ' +
          `${formatSize(LIMITS.keySetResponse)}.\n` +
          `Limits: statement ${formatSize(LIMITS.statement)}, keys ${formatSize(LIMITS.key)}, trust anchors ` +
          `${formatSize(LIMITS.trustAnchors)}, preimage ${formatSize(LIMITS.preimage)}.`,
      )
      .action(async (statementPath: string, parsed: VerifyOptions) => {
        const options = { ...parsed, trustAnchor: parsed.trustAnchor ?? [], issuerKey: parsed.issuerKey ?? [] };
        if ((options.service === undefined) === (options.serviceKeys === undefined)) {
          throw usageError('give the trusted service keys: --service-keys <file> or --service <url>');
        }
        if (options.at !== undefined && options.trustAnchor.length === 0) {
          throw usageError('--at sets the time certificate chains are validated at; it needs --trust-anchor');
        }
        const serviceUrl = options.service === undefined ? undefined : keySetUrl(options.service, { insecureHttp: options.insecureHttp === true });

        const statement = await readInput(ctx, statementPath, 'statement', LIMITS.statement);
        const issuerKeys: CoseKey[] = [];
        for (const path of options.issuerKey) issuerKeys.push(...(await loadPublicKeys(ctx, path, '--issuer-key')));
        const anchorInputs: TrustAnchorInput[] = [];
        for (const path of options.trustAnchor) {
          const bytes = await readInput(ctx, path, '--trust-anchor', LIMITS.trustAnchors);
          anchorInputs.push(bytes[0] === 0x30 ? bytes : utf8(bytes, `--trust-anchor ${shownPath(path)}`));
        }
        const preimage = options.preimage === undefined ? undefined : await readInput(ctx, options.preimage, '--preimage', LIMITS.preimage);

        const serviceKeys =
          serviceUrl === undefined
            ? await loadPublicKeys(ctx, options.serviceKeys!, '--service-keys')
            : serviceKeySet(await fetchCbor(serviceUrl, { timeoutMs: options.timeout * 1000, insecureHttp: options.insecureHttp === true }), serviceUrl);

        // The verifier (and with it the X.509 stack) is loaded only by the command that needs it.
        const { loadTrustAnchors, verifyTransparentStatement } = await import('../../verifier/index.js');
        anchorInputs.forEach((input, i) => about(`--trust-anchor ${shownPath(options.trustAnchor[i]!)}`, () => loadTrustAnchors([input])));
        const trustAnchors = anchorInputs.length === 0 ? undefined : about('--trust-anchor', () => loadTrustAnchors(anchorInputs));

        const verdict = about('cannot verify', () =>
          verifyTransparentStatement(statement, {
            serviceKeys,
            ...(issuerKeys.length === 0 && trustAnchors === undefined
              ? {}
              : {
                  issuer: {
                    ...(issuerKeys.length === 0 ? {} : { keys: issuerKeys }),
                    ...(trustAnchors === undefined ? {} : { certificates: { trustAnchors, at: options.at ?? ctx.now() } }),
                  },
                }),
            ...(preimage === undefined ? {} : { preimage }),
          }),
        );
        if (options.json === true) ctx.io.stdout.write(`${jsonLine(verdict)}\n`);
        else if (verdict.verified) ctx.io.stdout.write(`${successLine(verdict)}\n`);
        else for (const f of verdict.failures) ctx.io.stdout.write(`${f.part}: ${f.code}: ${safeText(f.message, 300)}\n`);
        state.exitCode = verdict.verified ? EXIT.OK : EXIT.FAILURE;
      });
  },
};

function serviceKeySet(bytes: Uint8Array, url: URL): CoseKey[] {
  const keys = about(`the key set from ${safeText(url.href, 200)}`, () => decodeCoseKeySet(bytes, { maxBytes: LIMITS.keySetResponse }));
  if (keys.length === 0) throw new CliError('CLI_NETWORK', `the key set from ${safeText(url.href, 200)} is empty`);
  return keys;
}

/** `verified: issuer …, subject …, tree size N, entry index I (receipt from …); issuer signature …` */
function successLine(report: Verdict): string {
  const statement = report.statement!;
  const verified = report.receipts.filter((r) => r.status === 'verified');
  const first = verified[0]!;
  const more = verified.length > 1 ? `; ${verified.length - 1} more verified` : '';
  const parts = [
    `verified: issuer ${safeText(statement.iss, 120)}, subject ${safeText(statement.sub, 120)}, ` +
      `tree size ${first.treeSize}${first.treeSizeSigned === false ? ' (not signed by the service)' : ''}, entry index ${first.leafIndex} ` +
      `(receipt from ${safeText(first.issuer ?? '?', 120)}${more})`,
  ];
  const issuer = report.issuer;
  if (!issuer.checked) parts.push('issuer signature not checked (no --issuer-key or --trust-anchor)');
  else if (issuer.by === 'kid') parts.push('issuer signature checked by kid with --issuer-key');
  else parts.push(`issuer signature checked by x5chain to a --trust-anchor (leaf ${quoted(issuer.certificate?.subject ?? '?', 100)})`);
  if (report.preimage?.checked === true) parts.push('preimage matches the hash envelope');
  else if (statement.hashEnvelope) parts.push('hash envelope: preimage not checked (no --preimage)');
  const untrusted = report.receipts.filter((r) => r.status === 'untrusted').length;
  if (untrusted > 0) parts.push(`${untrusted} receipt${untrusted === 1 ? '' : 's'} from untrusted services ignored`);
  return parts.join('; ');
}
