// Another replica recognized by the certificate key it shares with this one: real HTTPS servers
// with self-signed certificates, each connection a new TLS handshake.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fetchPinnedTo } from './pinned-peer.js';
import { ensureSelfSigned, type TlsFiles } from './serving-tls.js';

let dir: string;
let own: TlsFiles;
let other: TlsFiles;
const servers: Server[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-pinned-'));
  own = await ensureSelfSigned(join(dir, 'own'), []);
  other = await ensureSelfSigned(join(dir, 'other'), []);
});
afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** A server that closes every connection after its answer, so each request is a new handshake. */
async function serve(files: TlsFiles): Promise<string> {
  const server = createServer({ cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) }, (_request, response) => {
    response.writeHead(200, { connection: 'close', 'content-type': 'text/plain' });
    response.end('ok');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

test('a server presenting the same key is reached on every new connection, a resumed TLS session included', async () => {
  const url = await serve(own);
  const pinned = fetchPinnedTo(() => readFileSync(own.certFile, 'utf8'));
  for (let i = 0; i < 4; i++) {
    const response = await pinned(url);
    expect(await response.text()).toBe('ok');
  }
});

test('a server presenting another key is refused before anything is sent, on every attempt', async () => {
  let requests = 0;
  const url = await serve(other);
  servers.at(-1)?.on('request', () => (requests += 1));
  const pinned = fetchPinnedTo(() => readFileSync(own.certFile, 'utf8'));
  for (let i = 0; i < 2; i++) {
    const failure = await pinned(url).then(
      () => undefined,
      (error: unknown) => error as Error & { cause?: Error },
    );
    expect(failure?.cause?.message).toMatch(/presented a certificate with another key/);
  }
  expect(requests).toBe(0);
});
