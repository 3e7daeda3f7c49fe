// The real service for tests: TransparencyService on a fresh LevelDB in a temporary folder, and,
// when asked, its HTTP server on 127.0.0.1 with a port of the system's choosing.
import { type RunningServer, loadServiceKeys, type ServiceOptions, silentLogger, startServer, TransparencyService } from '../../api/index.js';
import { developmentPolicy } from '../../statements/index.js';
import { tempDir } from './log.js';

export type TestServiceOptions = Partial<Omit<ServiceOptions, 'keys'>>;

/** The service alone (no HTTP), on `dataDir` or a new temporary folder. */
export async function openTestService(options: TestServiceOptions = {}): Promise<TransparencyService> {
  const dataDir = options.dataDir ?? tempDir('atlog-service-');
  return TransparencyService.open({
    issuer: 'http://127.0.0.1',
    origin: 'test.atlog/log',
    policy: developmentPolicy(),
    logger: silentLogger(),
    ...options,
    dataDir,
    keys: loadServiceKeys({ dataDir }),
  });
}

export interface TestServer {
  readonly service: TransparencyService;
  readonly server: RunningServer;
  /** http://127.0.0.1:<port>, no trailing slash. */
  readonly url: string;
  close(): Promise<void>;
}

/** The service behind its HTTP server; its issuer is the server's own URL unless one is given. */
export async function startTestServer(options: TestServiceOptions = {}): Promise<TestServer> {
  const server = await startServer(({ url }) => openTestService({ issuer: url, ...options }), { port: 0, hostname: '127.0.0.1', logger: silentLogger() });
  const service = await server.opened;
  return { service, server, url: server.url, close: () => server.close() };
}
