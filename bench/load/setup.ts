// What a benchmarked service is started with: its receipt key (ES256) and checkpoint key
// (Ed25519), one ES256 key per agent (the generator signs with them, the policy admits them), and
// the `atlog serve` arguments that configure all of it. Shared by bench:load and the alternating
// comparison of two builds, so both measure the same service.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_ORIGIN, BENCH_URL } from './prefill.js';
import { type Agent, agentFile, makeAgents } from './workload.js';

export interface BenchService {
  readonly keysDir: string;
  readonly agents: readonly Agent[];
  /** The agents' private keys, for the generator. */
  readonly agentsFile: string;
  /** The agents' public keys, one PEM file each. */
  readonly issuerFiles: readonly string[];
  /** `atlog serve` arguments but --data and --port. */
  readonly serveArgs: readonly string[];
}

export function prepareService(root: string, options: { readonly agents: number; readonly workers?: string }): BenchService {
  const keysDir = join(root, 'keys');
  mkdirSync(keysDir, { recursive: true });
  const pem = (key: { export(o: { format: 'pem'; type: 'pkcs8' | 'spki' }): string | Buffer }, type: 'pkcs8' | 'spki') => key.export({ format: 'pem', type }).toString();
  writeFileSync(join(keysDir, 'service.pem'), pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'pkcs8'), { mode: 0o600 });
  writeFileSync(join(keysDir, 'checkpoint.pem'), pem(generateKeyPairSync('ed25519').privateKey, 'pkcs8'), { mode: 0o600 });
  const agents = makeAgents(options.agents);
  const agentsFile = join(keysDir, 'agents.json');
  writeFileSync(agentsFile, JSON.stringify(agentFile(agents)), { mode: 0o600 });
  const issuerFiles = agents.map((agent, i) => {
    const file = join(keysDir, `agent-${i}.pub.pem`);
    writeFileSync(file, pem(agent.publicKey, 'spki'));
    return file;
  });
  const serveArgs = [
    '--url',
    BENCH_URL,
    '--origin',
    BENCH_ORIGIN,
    '--service-key',
    join(keysDir, 'service.pem'),
    '--checkpoint-key',
    join(keysDir, 'checkpoint.pem'),
    ...issuerFiles.flatMap((file) => ['--issuer-key', file]),
    ...(options.workers === undefined ? [] : ['--workers', options.workers]),
  ];
  return { keysDir, agents, agentsFile, issuerFiles, serveArgs };
}
