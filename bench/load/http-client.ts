// A minimal HTTP/1.1 client for the load generator: one keep-alive TCP connection, one request at
// a time, responses framed by Content-Length or chunked encoding. node:http's client costs tens of
// microseconds per request, which on a two-core machine is taken from the server being measured;
// this one writes a prepared request head and parses only what the generator needs, as wrk does.
import { connect, type Socket } from 'node:net';

export interface HttpResponse {
  readonly status: number;
  /** Lower-cased header names; only the ones the generator reads are kept. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

const KEPT_HEADERS = new Set(['location', 'retry-after', 'content-type', 'connection']);
const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Thrown when the connection fails or the server answers something this client cannot parse. */
export class HttpClientError extends Error {
  override readonly name = 'HttpClientError';
}

interface Waiting {
  resolve(response: HttpResponse): void;
  reject(error: Error): void;
}

export class HttpConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: Waiting | undefined;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly hostHeader: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.parse();
    });
    const fail = (error: Error) => {
      this.closed = true;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.reject(error);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new HttpClientError('the connection closed')));
  }

  static open(host: string, port: number): Promise<HttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once('connect', () => resolve(new HttpConnection(socket, `${host}:${port}`)));
      socket.once('error', reject);
    });
  }

  get usable(): boolean {
    return !this.closed && this.waiting === undefined;
  }

  /** Sends one request and resolves with its response; the connection must be idle. */
  request(method: string, path: string, body?: Uint8Array, contentType?: string): Promise<HttpResponse> {
    if (this.closed) return Promise.reject(new HttpClientError('the connection is closed'));
    if (this.waiting !== undefined) return Promise.reject(new HttpClientError('one request at a time per connection'));
    const head =
      `${method} ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n` +
      (body === undefined ? '' : `content-type: ${contentType ?? 'application/octet-stream'}\r\ncontent-length: ${body.length}\r\n`) +
      '\r\n';
    return new Promise<HttpResponse>((resolve, reject) => {
      this.waiting = { resolve, reject };
      if (body === undefined) this.socket.write(head, 'latin1');
      else {
        this.socket.cork();
        this.socket.write(head, 'latin1');
        this.socket.write(body);
        this.socket.uncork();
      }
    });
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private parse(): void {
    if (this.waiting === undefined) return;
    const end = this.buffered.indexOf(CRLFCRLF);
    if (end < 0) return;
    const lines = this.buffered.toString('latin1', 0, end).split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1];
    if (status === undefined) return this.protocolError(`not an HTTP response: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
    const headers: Record<string, string> = {};
    let length: number | undefined;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
      else if (KEPT_HEADERS.has(name)) headers[name] = value;
    }
    const bodyStart = end + 4;
    let body: Buffer;
    let consumed: number;
    if (chunked) {
      const decoded = decodeChunked(this.buffered, bodyStart);
      if (decoded === undefined) return; // not all here yet
      ({ body, consumed } = decoded);
    } else {
      const size = length ?? 0;
      if (this.buffered.length < bodyStart + size) return;
      body = this.buffered.subarray(bodyStart, bodyStart + size);
      consumed = bodyStart + size;
    }
    const rest = this.buffered.subarray(consumed);
    this.buffered = rest.length === 0 ? Buffer.alloc(0) : Buffer.from(rest);
    const waiting = this.waiting;
    this.waiting = undefined;
    if (headers.connection?.toLowerCase() === 'close') this.closed = true;
    waiting.resolve({ status: Number(status), headers, body: Buffer.from(body) });
  }

  private protocolError(message: string): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    this.close();
    waiting?.reject(new HttpClientError(message));
  }
}

/** A whole chunked body from `start`, or undefined while it has not all arrived. */
function decodeChunked(buffer: Buffer, start: number): { body: Buffer; consumed: number } | undefined {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at, 'latin1');
    if (lineEnd < 0) return undefined;
    const size = parseInt(buffer.toString('latin1', at, lineEnd).split(';', 1)[0]!, 16);
    if (!Number.isFinite(size)) throw new HttpClientError('a malformed chunk size');
    const dataStart = lineEnd + 2;
    if (size === 0) {
      // The last chunk, then (no trailers here) the final CRLF.
      if (buffer.length < dataStart + 2) return undefined;
      return { body: Buffer.concat(parts), consumed: dataStart + 2 };
    }
    if (buffer.length < dataStart + size + 2) return undefined;
    parts.push(buffer.subarray(dataStart, dataStart + size));
    at = dataStart + size + 2;
  }
}
