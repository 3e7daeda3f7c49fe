// atlog token: a new bearer token for a regulator or an operator. The token is printed once, on
// stdout, for its holder; the tokens file the service reads (serve --tokens) gets only its SHA-256,
// so the file can be backed up or reviewed without giving any access away.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { ACCESS_ROLES, type AccessRole, accessTokenHash, generateAccessToken, parseAccessTokens } from '../../api/index.js';
import { toHex } from '../../util/index.js';
import { about, CliError } from '../errors.js';
import { safeText } from '../format.js';
import { type Context, readInput, shownPath, writeOutput } from '../io.js';
import type { CliCommand } from '../program.js';

const MAX_TOKENS_FILE = 64 * 1024;

interface TokenOptions {
  readonly name: string;
  readonly role: AccessRole;
  readonly tokens: string;
}

export const token: CliCommand = {
  name: 'token',
  register(program: Command, ctx: Context): void {
    program
      .command('token')
      .summary('make a bearer token for a regulator or an operator, and add its hash to a tokens file')
      .description(
        'Generate a bearer token (256 random bits) for --role, print it once on stdout, and add {name, role, sha256}\n' +
          'to the tokens file (created if missing) that `atlog serve --tokens FILE` reads. Only the hash is stored;\n' +
          'a lost token cannot be recovered, only replaced. The service reads the file when it starts.',
      )
      .requiredOption('--name <name>', 'who holds it (1 to 64 of A-Z a-z 0-9 . _ @ -), unique in the file')
      .addOption(new Option('--role <role>', 'what it opens').choices(ACCESS_ROLES).makeOptionMandatory())
      .requiredOption('--tokens <file>', 'the tokens file to add it to')
      .action(async (options: TokenOptions) => {
        const path = options.tokens;
        const existing = existsSync(resolve(ctx.cwd, path))
          ? await readInput(ctx, path, '--tokens', MAX_TOKENS_FILE).then((bytes) =>
              about(`--tokens ${shownPath(path)}`, () => parseAccessTokens(new TextDecoder().decode(bytes))),
            )
          : [];
        if (existing.some((t) => t.name === options.name)) {
          throw new CliError('CLI_INPUT', `--tokens ${shownPath(path)}: ${safeText(options.name, 64)} already has a token; choose another --name`);
        }
        const secret = generateAccessToken();
        const entries = [...existing.map((t) => ({ name: t.name, role: t.role, sha256: toHex(t.sha256) })), { name: options.name, role: options.role, sha256: accessTokenHash(secret) }];
        // Checked as the service will read it, before anything is written.
        about('the new tokens file', () => parseAccessTokens(JSON.stringify({ tokens: entries })));
        await writeOutput(ctx, path, `${JSON.stringify({ tokens: entries }, null, 2)}\n`, { force: true, what: '--tokens' });
        ctx.io.stdout.write(`${secret}\n`);
        ctx.io.stderr.write(
          `atlog: added the ${options.role} token of ${safeText(options.name, 64)} to ${shownPath(path)} (${entries.length} in all); ` +
            'the token above is shown once: hand it to its holder; restart the service to take it up\n',
        );
      });
  },
};
