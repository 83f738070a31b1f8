// The self-signed pair: kept across starts, its serving certificate issued anew under the same CA
// near its end or for a new host name, and made anew entirely when the CA cannot sign again.
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, unlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { ensureSelfSigned, keepSelfSignedRenewed, readTls, watchTls, type SelfSigned, type TlsMaterial } from './serving-tls.js';

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

test('while the process runs, a pair coming to its end is renewed and handed over; without the CA key it is kept, and said', async () => {
  const dir = dataDir();
  // Made 720 days ago: 10 days left.
  const first = await ensureSelfSigned(dir, [], new Date(Date.now() - 720 * DAY_MS));
  const renewed = await new Promise<SelfSigned>((resolve, reject) => {
    const stop = keepSelfSignedRenewed(dir, [], (made) => (stop(), resolve(made)), reject, 20);
  });
  expect(renewed).toMatchObject({ renewed: true, caPem: first.caPem });
  expect(Date.parse(leafOf(renewed.certFile).validTo)).toBeGreaterThan(Date.now() + 700 * DAY_MS);

  // Files of an earlier version (no CA key), coming to their end: no new CA under a running server.
  const legacy = dataDir();
  const old = await ensureSelfSigned(legacy, [], new Date(Date.now() - 720 * DAY_MS));
  unlinkSync(join(legacy, 'tls', 'ca.key'));
  const error = await new Promise<Error>((resolve) => {
    const stop = keepSelfSignedRenewed(legacy, [], () => undefined, (failure) => (stop(), resolve(failure)), 20);
  });
  expect(error.message).toContain('restart to make a new CA');
  expect(readFileSync(join(legacy, 'tls', 'ca.crt'), 'utf8')).toBe(old.caPem);
});

test('watchTls: a pair caught half-written is reported, tried again quietly, and loaded once whole, even when the last write kept the file times', async () => {
  const [a, b] = [await ensureSelfSigned(dataDir(), []), await ensureSelfSigned(dataDir(), [])];
  const dir = dataDir();
  const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
  copyFileSync(a.certFile, files.certFile);
  copyFileSync(a.keyFile, files.keyFile);
  const errors: Error[] = [];
  const loaded: TlsMaterial[] = [];
  // Whole seconds, which the file system keeps exactly: the key's times can be put back as they were.
  const second = Math.floor(Date.now() / 1000) - 60;
  utimesSync(files.keyFile, second, second);
  utimesSync(files.certFile, second, second);
  const stop = watchTls(files, (material) => loaded.push(material), (error) => errors.push(error), 20);
  try {
    // The watcher's first look at the files is what it compares with.
    await new Promise((resolve) => setTimeout(resolve, 60));
    copyFileSync(b.certFile, files.certFile);
    // A second later, as a real rotation comes (here the copies may share a clock tick, and the files their size).
    utimesSync(files.certFile, second + 1, second + 1);
    await until(() => errors.length > 0);
    // Tried again at every poll meanwhile, without a report each time.
    await new Promise((resolve) => setTimeout(resolve, 60));
    const reported = errors.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(errors).toHaveLength(reported);
    // The key's write lands with the times it had (a coarse clock): no change a poll can see.
    copyFileSync(b.keyFile, files.keyFile);
    utimesSync(files.keyFile, second, second);
    await until(() => loaded.length > 0);
    expect(loaded[0]?.cert).toBe(readFileSync(b.certFile, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Loaded only whole (possibly twice, should a poll catch the write before its times were set back).
    expect(new Set(loaded.map((material) => material.cert))).toEqual(new Set([readFileSync(b.certFile, 'utf8')]));
  } finally {
    stop();
  }
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
