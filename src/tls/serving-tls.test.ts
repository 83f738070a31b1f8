// The self-signed pair: kept across starts, its serving certificate issued anew under the same CA
// near its end or for a new host name, and made anew entirely when the CA cannot sign again.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { ensureSelfSigned, keepSelfSignedRenewed, readTls, type SelfSigned } from './serving-tls.js';

const DAY_MS = 86_400_000;
const MADE = new Date('2026-01-01T00:00:00.000Z');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-tls-'));
  dirs.push(dir);
  return dir;
}

const leafOf = (certFile: string) => new X509Certificate(readFileSync(certFile, 'utf8'));

test('kept while good; within 30 days of its end, the serving certificate is issued anew under the same CA', async () => {
  const dir = dataDir();
  const first = await ensureSelfSigned(dir, ['portcullis-webhook.portcullis.svc'], MADE);
  expect(first).toMatchObject({ created: true, renewed: false });
  const firstLeaf = leafOf(first.certFile);

  const later = await ensureSelfSigned(dir, ['portcullis-webhook.portcullis.svc'], new Date(MADE.getTime() + 600 * DAY_MS));
  expect(later).toMatchObject({ created: false, renewed: false, caPem: first.caPem });
  expect(leafOf(later.certFile).serialNumber).toBe(firstLeaf.serialNumber);

  const nearEnd = new Date(Date.parse(firstLeaf.validTo) - 10 * DAY_MS);
  const renewed = await ensureSelfSigned(dir, ['portcullis-webhook.portcullis.svc'], nearEnd);
  expect(renewed).toMatchObject({ created: false, renewed: true, caPem: first.caPem });
  const leaf = leafOf(renewed.certFile);
  expect(Date.parse(leaf.validTo)).toBeGreaterThan(nearEnd.getTime() + 700 * DAY_MS);
  // Signed by the CA the clusters already trust, and the key on disk is the new certificate's.
  expect(leaf.verify(new X509Certificate(first.caPem).publicKey)).toBe(true);
  expect(leaf.checkIssued(new X509Certificate(first.caPem))).toBe(true);
  expect(() => readTls(renewed)).not.toThrow();
  expect(leaf.checkHost('portcullis-webhook.portcullis.svc')).toBe('portcullis-webhook.portcullis.svc');
});

test('a host name the certificate lacks: issued anew for it, under the same CA', async () => {
  const dir = dataDir();
  const first = await ensureSelfSigned(dir, [], MADE);
  const withHost = await ensureSelfSigned(dir, ['webhook.example.internal'], new Date(MADE.getTime() + DAY_MS));
  expect(withHost).toMatchObject({ created: false, renewed: true, caPem: first.caPem });
  expect(leafOf(withHost.certFile).checkHost('webhook.example.internal')).toBe('webhook.example.internal');
  expect(leafOf(withHost.certFile).checkHost('localhost')).toBe('localhost');
});

test('without the CA key (files an earlier version made), a certificate near its end is made anew with a new CA', async () => {
  const dir = dataDir();
  const first = await ensureSelfSigned(dir, [], MADE);
  unlinkSync(join(dir, 'tls', 'ca.key'));
  const nearEnd = new Date(Date.parse(leafOf(first.certFile).validTo) - DAY_MS);
  const made = await ensureSelfSigned(dir, [], nearEnd);
  expect(made).toMatchObject({ created: true, renewed: false });
  expect(made.caPem).not.toBe(first.caPem);
  expect(leafOf(made.certFile).verify(new X509Certificate(made.caPem).publicKey)).toBe(true);
});

test('while the process runs, a pair coming to its end is renewed and handed over', async () => {
  const dir = dataDir();
  // Made 720 days ago: 10 days left.
  const first = await ensureSelfSigned(dir, [], new Date(Date.now() - 720 * DAY_MS));
  const renewed = await new Promise<SelfSigned>((resolve, reject) => {
    const stop = keepSelfSignedRenewed(dir, [], (made) => (stop(), resolve(made)), reject, 20);
  });
  expect(renewed).toMatchObject({ renewed: true, caPem: first.caPem });
  expect(Date.parse(leafOf(renewed.certFile).validTo)).toBeGreaterThan(Date.now() + 700 * DAY_MS);
});
