// Sync against a real control plane listening on a port, into snapshots in real SQLite files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { parseImageReference } from '../images/reference.js';
import { DEFAULT_RULE } from '../policy/rule.js';
import { LocalSnapshot } from './local-snapshot.js';
import { SCAN_PAGE_FINDINGS } from './sync-protocol.js';
import { HttpSyncSource, INSTALLATION_SETTING, StoreSyncSource, Syncer, type SyncSource } from './sync.js';
import { digestOf, listeningControlPlane, nativeScan, ruleDocument, tempDir, type ListeningControlPlane } from './testing/control-plane.js';
import { answered } from './testing/answered.js';

const GRYPE_MULTI_ARCH = join(import.meta.dirname, '../../test/fixtures/grype/chainguard-ruby-wolfi-image.json');
const RUBY_PLATFORM = 'sha256:86abe662dfa3746038eea6b0db91092b0767d78b8b8938a343d614cd1579adc2';
const RUBY_INDEX = 'sha256:3c9afb4f188827ea1062ec3b8acea32893236a0d7df31e0498df93486cff0978';

let cp: ListeningControlPlane;
let temp: ReturnType<typeof tempDir>;
const opened: LocalSnapshot[] = [];
const syncers: Syncer[] = [];

beforeEach(async () => {
  cp = await listeningControlPlane();
  temp = tempDir();
});
afterEach(async () => {
  for (const syncer of syncers.splice(0)) await syncer.stop();
  for (const snapshot of opened.splice(0)) snapshot.close();
  await cp.close();
  temp.remove();
});

function openSnapshot(name = 'snapshot.db'): LocalSnapshot {
  const snapshot = LocalSnapshot.open(join(temp.dir, name));
  opened.push(snapshot);
  return snapshot;
}

function syncerOf(source: SyncSource, snapshot: LocalSnapshot, options: Partial<ConstructorParameters<typeof Syncer>[0]> = {}): Syncer {
  const syncer = new Syncer({ source, snapshot, now: () => new Date('2026-03-01T12:00:30.000Z'), ...options });
  syncers.push(syncer);
  return syncer;
}

const http = (cluster?: string) => new HttpSyncSource({ ...cp.connection('Sensor'), ...(cluster !== undefined && { cluster }) });

async function call(role: Parameters<ListeningControlPlane['api']['call']>[0], method: 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await cp.api.call(role, method, url, body === undefined ? {} : { body });
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response.statusCode === 204 ? {} : response.json();
}

const refs = (snapshot: LocalSnapshot) => snapshot.rules().map((rule) => [rule.ref.name, rule.ref.version]);
const lookup = (snapshot: LocalSnapshot, reference: string) => answered(snapshot.lookup(parseImageReference(reference)));

describe('rules', () => {
  test('created, changed and deleted on the control plane show up incrementally', async () => {
    await call('Admin', 'POST', '/api/v1/clusters', { name: 'prod-eu', provider: 'aws', account: '123456789012' });
    const deny = await call('SecurityAdmin', 'POST', '/api/v1/rules', ruleDocument('deny-critical'));
    const audit = await call('SecurityAdmin', 'POST', '/api/v1/rules', ruleDocument('audit-high', { action: 'Audit', conditions: { severities: ['High'] } }));
    const snapshot = openSnapshot();
    const syncer = syncerOf(http('prod-eu'), snapshot);

    expect(await syncer.syncNow()).toEqual({ rules: 2, scans: 0, pages: 1 });
    expect(refs(snapshot)).toEqual([
      ['audit-high', 1],
      ['deny-critical', 1],
    ]);
    expect(snapshot.rules()[1]?.ref.id).toBe(deny.id);
    expect(snapshot.state).toEqual({ rulesSeq: expect.any(Number), scansSeq: 0, syncedAt: '2026-03-01T12:00:30.000Z', stale: false });
    // The cluster is marked seen, and the snapshot knows its provider and account.
    expect((await cp.api.store.clusters.get('prod-eu'))?.lastSeenAt).toBe('2026-03-01T12:00:00.000Z');
    expect(snapshot.cluster('prod-eu')).toMatchObject({ provider: 'aws', account: '123456789012' });

    await call('SecurityAdmin', 'PUT', `/api/v1/rules/${String(deny.id)}`, ruleDocument('deny-critical', { conditions: { severities: ['Critical', 'High'] } }));
    await call('SecurityAdmin', 'POST', `/api/v1/rules/${String(audit.id)}/disable`);
    expect(await syncer.syncNow()).toEqual({ rules: 2, scans: 0, pages: 1 });
    expect(refs(snapshot)).toEqual([['deny-critical', 2]]);
    expect(snapshot.rules()[0]?.rule.conditions.severities).toEqual(['Critical', 'High']);

    // Nothing changed: nothing fetched again.
    expect(await syncer.syncNow()).toEqual({ rules: 0, scans: 0, pages: 1 });

    await call('SecurityAdmin', 'DELETE', `/api/v1/rules/${String(deny.id)}`);
    await call('SecurityAdmin', 'POST', `/api/v1/rules/${String(audit.id)}/enable`);
    expect(await syncer.syncNow()).toEqual({ rules: 2, scans: 0, pages: 1 });
    expect(refs(snapshot)).toEqual([['audit-high', 3]]);
  });

  test('settings and account switches are synced every round', async () => {
    const snapshot = openSnapshot();
    const syncer = syncerOf(http(), snapshot);
    await syncer.syncNow();
    expect(snapshot.settings().recordAllowed).toBe(false);
    expect(snapshot.account('azure', 'sub-1')).toBeUndefined();

    await call('Admin', 'PUT', '/api/v1/settings', { recordAllowed: true });
    await call('Admin', 'PUT', '/api/v1/accounts/azure/sub-1', { gating: false });
    await syncer.syncNow();
    expect(snapshot.settings().recordAllowed).toBe(true);
    expect(snapshot.account('azure', 'sub-1')).toMatchObject({ gating: false, registryAccess: true, securityFindings: true });
  });
});

describe('scans', () => {
  test('paged until the last page; found by tag and by digest; a newer scan replaces the older', async () => {
    const hexes = ['1', '2', '3', '4', '5', '6', '7'];
    for (const hex of hexes) {
      await call('Scanner', 'POST', '/api/v1/scans', nativeScan({ digest: digestOf(hex), tag: `ghcr.io/org/app-${hex}:1.0`, scannedAt: '2026-02-01T00:00:00.000Z', findings: [{ id: `CVE-2026-${hex}`, severity: 'Critical' }] }));
    }
    const snapshot = openSnapshot();
    const syncer = syncerOf(http(), snapshot, { pageSize: 3 });
    expect(await syncer.syncNow()).toEqual({ rules: 0, scans: 7, pages: 3 });

    for (const hex of hexes) {
      const byTag = lookup(snapshot, `ghcr.io/org/app-${hex}:1.0`);
      expect(byTag?.digest).toBe(digestOf(hex));
      expect(byTag?.evidence?.findings.map((f) => f.id)).toEqual([`CVE-2026-${hex}`]);
      expect(lookup(snapshot, `ghcr.io/org/app-${hex}@${digestOf(hex)}`)?.evidence?.counts.Critical).toBe(1);
    }
    expect(lookup(snapshot, 'ghcr.io/org/app-8:1.0')).toBeUndefined();

    // Read once (now cached), then rescanned: the new findings replace the old on the next round.
    expect(lookup(snapshot, 'ghcr.io/org/app-1:1.0')?.evidence?.counts.Critical).toBe(1);
    await call('Scanner', 'POST', '/api/v1/scans', nativeScan({ digest: digestOf('1'), tag: 'ghcr.io/org/app-1:1.0', scannedAt: '2026-02-10T00:00:00.000Z', findings: [{ id: 'CVE-2026-LOW', severity: 'Low' }] }));
    await call('Scanner', 'POST', '/api/v1/scans', nativeScan({ digest: digestOf('1'), scanner: 'grype', scannedAt: '2026-02-10T00:00:00.000Z', findings: [{ id: 'CVE-2026-MED', severity: 'Medium', pkg: 'zlib' }] }));
    expect(await syncer.syncNow()).toEqual({ rules: 0, scans: 2, pages: 1 });
    expect(lookup(snapshot, 'ghcr.io/org/app-1:1.0')?.evidence?.findings.map((f) => f.id)).toEqual(['CVE-2026-MED', 'CVE-2026-LOW']);
  });

  test('a page holds at most SCAN_PAGE_FINDINGS findings, whatever the page size asked: big scans come a few at a time, and all arrive', async () => {
    const perScan = Math.ceil(SCAN_PAGE_FINDINGS * 0.4);
    const hexes = ['1', '2', '3', '4', '5'];
    for (const hex of hexes) {
      const findings = Array.from({ length: perScan }, (_, i) => ({ id: `CVE-2026-${hex}${String(i).padStart(5, '0')}`, severity: 'High' as const }));
      await call('Scanner', 'POST', '/api/v1/scans', nativeScan({ digest: digestOf(hex), tag: `ghcr.io/org/big-${hex}:1.0`, findings }));
    }
    const snapshot = openSnapshot();
    // Two scans fit in the budget, a third does not: pages of 2, 2 and 1.
    expect(await syncerOf(http(), snapshot, { pageSize: 500 }).syncNow()).toEqual({ rules: 0, scans: 5, pages: 3 });
    for (const hex of hexes) expect(lookup(snapshot, `ghcr.io/org/big-${hex}:1.0`)?.evidence?.counts.High).toBe(perScan);
  });

  test('a newer report of a digest that names no tag: a snapshot synced before and one synced after both find the digest by the tag', async () => {
    await call('Scanner', 'POST', '/api/v1/scans', nativeScan({ digest: digestOf('d'), tag: 'ghcr.io/org/tagged:1.0', scannedAt: '2026-02-01T00:00:00.000Z', findings: [{ id: 'CVE-2026-OLD', severity: 'High' }] }));
    const before = openSnapshot('before.db');
    await syncerOf(http(), before).syncNow();
    // The same scanner again, newer, without the tag: the first report goes from the store.
    await call('Scanner', 'POST', '/api/v1/scans', nativeScan({ digest: digestOf('d'), scannedAt: '2026-02-10T00:00:00.000Z', findings: [{ id: 'CVE-2026-NEW', severity: 'Critical' }] }));
    await syncerOf(http(), before).syncNow();
    const after = openSnapshot('after.db');
    await syncerOf(http(), after).syncNow();
    for (const snapshot of [before, after]) {
      const byTag = lookup(snapshot, 'ghcr.io/org/tagged:1.0');
      expect(byTag?.digest).toBe(digestOf('d'));
      expect(byTag?.evidence?.findings.map((f) => f.id)).toEqual(['CVE-2026-NEW']);
    }
  });

  test('a multi-arch Grype report is found by its platform digest, its index digest and its tag', async () => {
    const response = await cp.api.call('Scanner', 'POST', '/api/v1/scans', { payload: readFileSync(GRYPE_MULTI_ARCH, 'utf8'), headers: { 'content-type': 'application/json' } });
    expect(response.statusCode).toBe(201);
    const snapshot = openSnapshot();
    await syncerOf(http(), snapshot).syncNow();

    const platform = lookup(snapshot, `cgr.dev/chainguard/ruby@${RUBY_PLATFORM}`);
    const index = lookup(snapshot, `cgr.dev/chainguard/ruby@${RUBY_INDEX}`);
    const tag = lookup(snapshot, 'cgr.dev/chainguard/ruby:latest-3.0');
    expect(platform?.evidence?.findings.length).toBeGreaterThan(0);
    expect(index?.evidence?.findings).toEqual(platform?.evidence?.findings);
    expect(index?.digest).toBe(RUBY_INDEX);
    // The tag points at the platform manifest, the digest a decision is made for.
    expect(tag?.digest).toBe(RUBY_PLATFORM);
    expect(tag?.evidence?.counts).toEqual(platform?.evidence?.counts);
    // As the control plane answers for the image, less what only people read.
    const image = (await cp.api.call('SecurityReader', 'GET', `/api/v1/images/${RUBY_INDEX}`)).json();
    expect(platform?.evidence?.counts).toEqual(image.counts);
    expect(platform?.evidence?.findings.map((f) => f.id)).toEqual(image.findings.map((f: { id: string }) => f.id));
  });
});

describe('both sources', () => {
  test('StoreSyncSource gives the snapshot HttpSyncSource gives', async () => {
    await call('SecurityAdmin', 'POST', '/api/v1/rules', ruleDocument('deny-critical', { exemptions: [{ type: 'CVE', criterion: 'Equals', value: 'CVE-2026-2', expires: '2026-12-31' }] }));
    await call('Admin', 'PUT', '/api/v1/accounts/gcp/project-1', { securityFindings: false });
    await call('Admin', 'POST', '/api/v1/clusters', { name: 'gke', provider: 'gcp', account: 'project-1' });
    await cp.api.call('Scanner', 'POST', '/api/v1/scans', { payload: readFileSync(GRYPE_MULTI_ARCH, 'utf8'), headers: { 'content-type': 'application/json' } });
    for (const hex of ['1', '2', '3']) {
      await call('Scanner', 'POST', '/api/v1/scans', nativeScan({ digest: digestOf(hex), tag: `docker.io/library/app:${hex}`, findings: [{ id: `CVE-2026-${hex}`, severity: 'High', aliases: [`GHSA-${hex}`] }] }));
    }

    const overHttp = openSnapshot('http.db');
    const inProcess = openSnapshot('store.db');
    await syncerOf(http(), overHttp, { pageSize: 2 }).syncNow();
    await syncerOf(new StoreSyncSource(cp.api.store), inProcess, { pageSize: 2 }).syncNow();

    expect(inProcess.rules()).toEqual(overHttp.rules());
    expect(inProcess.settings()).toEqual(overHttp.settings());
    expect(inProcess.account('gcp', 'project-1')).toEqual(overHttp.account('gcp', 'project-1'));
    expect(inProcess.cluster('gke')).toEqual(overHttp.cluster('gke'));
    expect(inProcess.state).toEqual(overHttp.state);
    for (const reference of ['app:1', 'app:2', 'app:3', `docker.io/library/app@${digestOf('2')}`, 'cgr.dev/chainguard/ruby:latest-3.0', `cgr.dev/chainguard/ruby@${RUBY_INDEX}`]) {
      const expected = lookup(overHttp, reference);
      expect(expected?.evidence, reference).toBeDefined();
      expect(lookup(inProcess, reference), reference).toEqual(expected);
    }
  });
});

describe('another control plane database', () => {
  /** A snapshot synced from database A: one rule, one scanned image (ghcr.io/org/a:1). */
  async function syncedFromDatabaseA(): Promise<LocalSnapshot> {
    await cp.api.store.settings.put(INSTALLATION_SETTING, 'database-a', '2026-03-01T00:00:00.000Z');
    await call('SecurityAdmin', 'POST', '/api/v1/rules', ruleDocument('rule-of-a'));
    await call('Scanner', 'POST', '/api/v1/scans', nativeScan({ digest: digestOf('a'), tag: 'ghcr.io/org/a:1', findings: [{ id: 'CVE-2026-1', severity: 'High' }] }));
    const snapshot = openSnapshot();
    await syncerOf(http(), snapshot).syncNow();
    return snapshot;
  }

  /** Database B, as restored from an older backup: one rule, fewer changes, so lower sequence numbers. */
  async function databaseB(): Promise<ListeningControlPlane> {
    const other = await listeningControlPlane();
    await other.api.store.settings.put(INSTALLATION_SETTING, 'database-b', '2026-03-01T00:00:00.000Z');
    await other.api.call('SecurityAdmin', 'POST', '/api/v1/rules', { body: ruleDocument('rule-of-b') });
    return other;
  }

  test('a snapshot synced from one database starts afresh when the control plane answers from another', async () => {
    const snapshot = await syncedFromDatabaseA();
    expect(snapshot.installation()).toBe('database-a');
    expect(refs(snapshot).map(([name]) => name)).toEqual(['rule-of-a']);

    const other = await databaseB();
    try {
      await syncerOf(new HttpSyncSource(other.connection('Sensor')), snapshot).syncNow();
      expect(snapshot.installation()).toBe('database-b');
      expect(refs(snapshot).map(([name]) => name)).toEqual(['rule-of-b']);
      expect(lookup(snapshot, 'ghcr.io/org/a:1')).toBeUndefined();
      expect(snapshot.state.rulesSeq).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });

  test('the same database gone back to an earlier state (a backup restored, its id the same): starts afresh', async () => {
    const snapshot = await syncedFromDatabaseA();
    // Restored from a backup taken before A's changes: the same installation id, its numbers behind the snapshot's.
    const restored = await listeningControlPlane();
    try {
      await restored.api.store.settings.put(INSTALLATION_SETTING, 'database-a', '2026-03-01T00:00:00.000Z');
      await restored.api.call('SecurityAdmin', 'POST', '/api/v1/rules', { body: ruleDocument('after-restore') });
      expect(await restored.api.store.changeSeq()).toBeLessThan(Math.max(snapshot.state.rulesSeq, snapshot.state.scansSeq));
      await syncerOf(new HttpSyncSource(restored.connection('Sensor')), snapshot).syncNow();
      expect(refs(snapshot).map(([name]) => name)).toEqual(['after-restore']);
      expect(lookup(snapshot, 'ghcr.io/org/a:1')).toBeUndefined();
    } finally {
      await restored.close();
    }
  });

  test('until the new database has answered, admission keeps the rules and findings it had', async () => {
    const snapshot = await syncedFromDatabaseA();
    const other = await databaseB();
    try {
      const source = new HttpSyncSource(other.connection('Sensor'));
      let failScans = true;
      const flaky: SyncSource = {
        settings: (signal) => source.settings(signal),
        rulesSince: (seq, signal) => source.rulesSince(seq, signal),
        scansSince: async (seq, limit, signal) => {
          if (failScans) throw new Error('connection reset');
          return source.scansSince(seq, limit, signal);
        },
      };
      await expect(syncerOf(flaky, snapshot).syncNow()).rejects.toThrow('connection reset');
      expect(snapshot.resyncing).toBe(true);
      expect(refs(snapshot).map(([name]) => name)).toEqual(['rule-of-a']);
      expect(lookup(snapshot, 'ghcr.io/org/a:1')?.evidence?.findings.map((f) => f.id)).toEqual(['CVE-2026-1']);

      failScans = false;
      await syncerOf(flaky, snapshot).syncNow();
      expect(snapshot.resyncing).toBe(false);
      expect(snapshot.installation()).toBe('database-b');
      expect(refs(snapshot).map(([name]) => name)).toEqual(['rule-of-b']);
      expect(lookup(snapshot, 'ghcr.io/org/a:1')).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});

describe('while the control plane is away', () => {
  test('the last-known-good snapshot survives a restart of the webhook without any source', async () => {
    await call('SecurityAdmin', 'POST', '/api/v1/rules', ruleDocument('deny-critical'));
    await call('Scanner', 'POST', '/api/v1/scans', nativeScan({ digest: digestOf('a'), tag: 'ghcr.io/org/api:2.0', findings: [{ id: 'CVE-2026-9', severity: 'Critical' }] }));
    let snapshot = LocalSnapshot.open(join(temp.dir, 'data', 'snapshot.db'));
    await new Syncer({ source: http(), snapshot }).syncNow();
    const before = { rules: snapshot.rules(), entry: lookup(snapshot, 'ghcr.io/org/api:2.0'), state: snapshot.state };
    snapshot.close();
    await cp.stop();

    snapshot = openSnapshot(join('data', 'snapshot.db'));
    expect(snapshot.rules()).toEqual(before.rules);
    expect(refs(snapshot)).toEqual([['deny-critical', 1]]);
    expect(lookup(snapshot, 'ghcr.io/org/api:2.0')).toEqual(before.entry);
    expect(lookup(snapshot, `ghcr.io/org/api@${digestOf('a')}`)?.evidence?.counts.Critical).toBe(1);
    expect(snapshot.state).toEqual(before.state);
  });

  test('rounds fail with a warning, the snapshot turns stale and keeps serving, and recovers', async () => {
    await call('SecurityAdmin', 'POST', '/api/v1/rules', ruleDocument('deny-critical'));
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(JSON.parse(chunk.toString())), done()) }));
    const snapshot = openSnapshot();
    const syncer = syncerOf(http(), snapshot, { logger, intervalMs: 10, maxBackoffMs: 20, staleAfter: 3 });
    await syncer.syncNow();
    await cp.stop();

    // Away: refused, or the kept-alive connection closed under the request.
    await expect(syncer.syncNow()).rejects.toThrow(/GET \/api\/v1\/sync\/\w+ at http:\/\/127\.0\.0\.1:\d+: (ECONNREFUSED|UND_ERR_SOCKET)/);
    expect(snapshot.state.stale).toBe(false);
    syncer.start();
    await until(() => syncer.consecutiveFailures >= 4);
    expect(snapshot.state.stale).toBe(true);
    expect(refs(snapshot)).toEqual([['deny-critical', 1]]);
    expect(lines.filter((line) => line.level === 40).map((line) => line.msg)).toEqual(
      expect.arrayContaining(['snapshot sync failed: serving the last-known-good snapshot', 'snapshot is stale: admission decides on the last-known-good rules and findings']),
    );

    // A rule made while the webhook could not reach the control plane arrives once it can.
    await cp.api.store.rules.create({ ...DEFAULT_RULE, name: 'audit-high' }, 'test', '2026-03-01T12:01:00.000Z');
    await cp.restart();
    await until(() => !snapshot.state.stale && snapshot.rules().length === 2);
    expect(refs(snapshot)).toEqual([
      ['audit-high', 1],
      ['deny-critical', 1],
    ]);
    expect(syncer.consecutiveFailures).toBe(0);
    expect(lines.map((line) => line.msg)).toContain('snapshot sync: the control plane answers again');
  });

  test('a token the control plane refuses fails the round with its answer', async () => {
    const snapshot = openSnapshot();
    const refused = new HttpSyncSource({ ...cp.connection('Scanner') });
    await expect(syncerOf(refused, snapshot).syncNow()).rejects.toThrow(/403/);
    expect(snapshot.state.syncedAt).toBeUndefined();
  });
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
