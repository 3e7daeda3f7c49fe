#!/usr/bin/env node
// The `atlog` command: the CLI is built to dist/ (npm ci runs the build through `prepare`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/tools/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('atlog: not built yet; run `npm run build` in the atlog checkout');
  process.exit(1);
}
await import(cli.href);
