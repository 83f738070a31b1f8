// A registry whose behaviour a test changes as it goes: a plain-http reverse proxy in front of a
// real registry that can be slow (each request held back a while before it is forwarded), or
// down (nothing listens on its port: connections are refused) and up again on the same port, so
// the image references that name it stay the same.
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FlakyRegistry {
  /** `127.0.0.1:PORT`: the registry as image references name it. */
  readonly host: string;
  /** Held back before each request is forwarded; 0: none. */
  delayMs: number;
  /** Requests received while up, in arrival order (`HEAD /v2/team/app/manifests/1.0`). */
  readonly requests: readonly string[];
  manifestRequests(): number;
  /** Stops listening and drops open connections: the port refuses connections. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  stop(): Promise<void>;
}

export async function startFlakyRegistry(targetUrl: string, options: { delayMs?: number } = {}): Promise<FlakyRegistry> {
  const target = new URL(targetUrl);
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const state = { delayMs: options.delayMs ?? 0 };
  const server = createServer((incoming, outgoing) => {
    requests.push(`${incoming.method ?? 'GET'} ${incoming.url ?? '/'}`);
    const forward = () => {
      if (outgoing.destroyed) return;
      const upstream = httpRequest({ host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: forwardable(incoming.headers) }, (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      });
      upstream.on('error', () => outgoing.destroy());
      incoming.pipe(upstream);
    };
    if (state.delayMs > 0) setTimeout(forward, state.delayMs).unref();
    else forward();
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const close = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value: number) {
      state.delayMs = value;
    },
    requests,
    manifestRequests: () => requests.filter((line) => line.includes('/manifests/')).length,
    down: close,
    up: () => (server.listening ? Promise.resolve() : listen(port)),
    stop: close,
  };
}

function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { connection: _connection, 'keep-alive': _keepAlive, ...rest } = headers;
  return rest;
}
