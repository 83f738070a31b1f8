// Another replica recognized by the certificate key it shares with this one: real HTTPS servers
// with self-signed certificates, each connection a new TLS handshake.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pemCertificates } from './pem.js';
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

describe('a renewal with a new key, while it reaches the replicas', () => {
  /** Two certificates of one CA with different keys: `before` for the Service's name, `after` renewed with one more name. */
  let before: TlsFiles;
  let after: TlsFiles;
  let caPem: string;
  const leafOnly = (files: TlsFiles) => pemCertificates(readFileSync(files.certFile, 'utf8'))[0] ?? '';

  beforeAll(async () => {
    const secret = join(dir, 'secret');
    const first = await ensureSelfSigned(secret, ['portcullis-webhook.portcullis.svc']);
    caPem = first.caPem;
    before = { certFile: join(dir, 'before.crt'), keyFile: join(dir, 'before.key') };
    copyFileSync(first.certFile, before.certFile);
    copyFileSync(first.keyFile, before.keyFile);
    const renewed = await ensureSelfSigned(secret, ['portcullis-webhook.portcullis.svc', 'portcullis-webhook.portcullis.svc.cluster.local']);
    expect(renewed).toMatchObject({ renewed: true, caPem });
    after = renewed;
  });

  test("a replica already serving the new key is recognized by the CA: the Secret's ca.crt, or the chain after the leaf", async () => {
    const url = await serve(after);
    // As cert-manager writes the Secret: the leaf in tls.crt, its CA in ca.crt.
    const withCaFile = fetchPinnedTo(() => leafOnly(before), () => caPem);
    expect(await (await withCaFile(url)).text()).toBe('ok');
    // The chain after the leaf (as the self-signed pair is written).
    const withChain = fetchPinnedTo(() => readFileSync(before.certFile, 'utf8'));
    expect(await (await withChain(url)).text()).toBe('ok');
  });

  test('without the CA, or for fewer names than this one, a new key is refused', async () => {
    const afterUrl = await serve(after);
    const noCa = await fetchPinnedTo(() => leafOnly(before))(afterUrl).then(
      () => undefined,
      (error: unknown) => error as Error & { cause?: Error },
    );
    expect(noCa?.cause?.message).toMatch(/another key/);
    // The CA's, but without the name this replica has since the renewal.
    const beforeUrl = await serve(before);
    const fewer = await fetchPinnedTo(() => leafOnly(after), () => caPem)(beforeUrl).then(
      () => undefined,
      (error: unknown) => error as Error & { cause?: Error },
    );
    expect(fewer?.cause?.message).toMatch(/not one for this webhook's names from its CA/);
  });
});
