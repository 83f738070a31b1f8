// The syncer in a thread of its own, against a real control plane listening on a port (or the
// all-in-one's store file): it writes the snapshot file through its own connection, and the
// snapshot on this (the admission) thread follows each change it tells of.
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { parseImageReference } from '../images/reference.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { findingsOf, putScan, ruleOf, scanOf, until } from '../webhook/testing/webhook-harness.js';
import { LocalSnapshot, type SnapshotChange } from './local-snapshot.js';
import { HttpSyncSource, StoreSyncSource } from './sync.js';
import { SyncThread } from './sync-thread.js';
import { digestOf, listeningControlPlane, nativeScan, ruleDocument, tempDir, type ListeningControlPlane } from './testing/control-plane.js';
import { answered } from './testing/answered.js';

let cp: ListeningControlPlane;
let temp: ReturnType<typeof tempDir>;
let snapshot: LocalSnapshot;
let thread: SyncThread;
let changes: SnapshotChange[];

beforeEach(async () => {
  cp = await listeningControlPlane();
  temp = tempDir();
  const file = join(temp.dir, 'snapshot.db');
  snapshot = LocalSnapshot.open(file);
  changes = [];
  const source = new HttpSyncSource(cp.connection('Sensor')).portable;
  if (source === undefined) throw new Error('a source made from data alone is portable');
  thread = new SyncThread({
    file,
    source,
    intervalMs: 50,
    logger: pino({ level: 'silent' }),
    onChange: (change) => {
      changes.push(change);
      snapshot.follow(change);
    },
  });
  thread.start();
});
afterEach(async () => {
  await thread.stop();
  snapshot.close();
  await cp.close();
  temp.remove();
});

async function call(role: 'SecurityAdmin' | 'Scanner', method: 'POST' | 'PUT', url: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await cp.api.call(role, method, url, { body });
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response.json();
}

const lookup = (reference: string) => answered(snapshot.lookup(parseImageReference(reference)));

test('rules and findings synced in the thread reach the snapshot that follows it; syncNow resolves once they have', async () => {
  const rule = await call('SecurityAdmin', 'POST', '/api/v1/rules', ruleDocument('deny-critical'));
  await call('Scanner', 'POST', '/api/v1/scans', nativeScan({ digest: digestOf('a'), tag: 'ghcr.io/org/api:2.0', findings: [{ id: 'CVE-2024-0001', severity: 'Critical' }] }));
  expect(await thread.syncNow()).toMatchObject({ scans: expect.any(Number) as number });
  expect(snapshot.rules().map((r) => [r.ref.name, r.ref.version])).toEqual([['deny-critical', 1]]);
  expect(lookup('ghcr.io/org/api:2.0')?.evidence?.counts.Critical).toBe(1);
  expect(snapshot.state.syncedAt).toBeDefined();

  // Read once (now built and cached here), then changed on the control plane: the change drops it.
  await call('Scanner', 'POST', '/api/v1/scans', nativeScan({ digest: digestOf('a'), tag: 'ghcr.io/org/api:2.0', scannedAt: '2030-01-01T00:00:00.000Z', findings: [{ id: 'CVE-2024-0002', severity: 'Low' }] }));
  await call('SecurityAdmin', 'PUT', `/api/v1/rules/${String(rule.id)}`, ruleDocument('deny-critical', { action: 'Audit' }));
  await thread.syncNow();
  expect(snapshot.rules().map((r) => [r.ref.name, r.ref.version, r.rule.action])).toEqual([['deny-critical', 2, 'Audit']]);
  expect(lookup('ghcr.io/org/api:2.0')?.evidence?.findings.map((f) => f.id)).toEqual(['CVE-2024-0002']);
  expect(changes.some((change) => change.keys.includes(digestOf('a')))).toBe(true);
});

test('the control plane away: the thread tells the snapshot it is stale, and that it is not once the control plane is back', async () => {
  await call('SecurityAdmin', 'POST', '/api/v1/rules', ruleDocument('deny-critical'));
  await thread.syncNow();
  await cp.stop();
  await until(() => snapshot.state.stale, 'the snapshot to say it is stale', 15_000);
  expect(snapshot.rules().map((r) => r.ref.name)).toEqual(['deny-critical']);
  await cp.restart();
  await until(() => !snapshot.state.stale, 'the snapshot to be fresh again', 15_000);
});

test('stopped, the thread ends: syncNow refuses, and the file keeps what it wrote', async () => {
  await call('SecurityAdmin', 'POST', '/api/v1/rules', ruleDocument('deny-critical'));
  await thread.syncNow();
  await thread.stop();
  await expect(thread.syncNow()).rejects.toThrow('the sync thread is not running');
  const reopened = LocalSnapshot.open(join(temp.dir, 'snapshot.db'));
  try {
    expect(reopened.rules().map((r) => r.ref.name)).toEqual(['deny-critical']);
  } finally {
    reopened.close();
  }
});

test('a thread that cannot run (its snapshot file cannot be opened) is reported and started again', async () => {
  const stopped: (Error | undefined)[] = [];
  const broken = new SyncThread({
    // A directory where the file should be.
    file: temp.dir,
    source: { kind: 'http', endpoint: { url: cp.url, token: 'unused' } },
    logger: pino({ level: 'silent' }),
    onChange: () => undefined,
    onStopped: (error) => stopped.push(error),
    restartMs: 20,
  });
  broken.start();
  try {
    await until(() => stopped.length >= 2, 'the thread to be reported twice');
    expect((stopped[0] as { code?: string } | undefined)?.code).toBe('SQLITE_CANTOPEN');
  } finally {
    await broken.stop();
  }
});


test("the all-in-one's store as the source: the thread reads its SQLite file through a connection of its own", async () => {
  const storeFile = join(temp.dir, 'portcullis.db');
  const store = new SqliteStore(storeFile);
  await store.migrate();
  await store.rules.create(ruleOf('deny-critical'), 'test', new Date().toISOString());
  await putScan(store, scanOf([digestOf('b')], findingsOf('Critical', 3), ['ghcr.io/org/web:1.0']));
  const source = new StoreSyncSource(store, `sqlite:${storeFile}`).portable;
  expect(source).toEqual({ kind: 'store', database: `sqlite:${storeFile}` });
  if (source === undefined) throw new Error('a store source given its database is portable');
  const file = join(temp.dir, 'from-store.db');
  const following = LocalSnapshot.open(file);
  const fromStore = new SyncThread({
    file,
    source,
    intervalMs: 50,
    logger: pino({ level: 'silent' }),
    onChange: (change) => following.follow(change),
  });
  fromStore.start();
  try {
    await fromStore.syncNow();
    expect(following.rules().map((r) => r.ref.name)).toEqual(['deny-critical']);
    expect(answered(following.lookup(parseImageReference('ghcr.io/org/web:1.0')))?.evidence?.counts.Critical).toBe(3);
  } finally {
    await fromStore.stop();
    following.close();
    await store.close();
  }
});
