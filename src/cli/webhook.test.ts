// Sensor mode: the webhook synced from a control plane over HTTP (rules, settings, findings),
// serving from its on-disk snapshot while the control plane is away, and delivering its events
// through the durable outbox; then `portcullis webhook` and `portcullis serve` as real processes.
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { aDeployment, aRequest, fixtureReview } from '../admission/testing/requests.js';
import type { EventSummary } from '../events/event-summary.js';
import { HttpEventSink, type EventSink } from '../sensor/event-sinks.js';
import { EXIT } from './exit-codes.js';
import { main, type Io } from './main.js';
import { HttpSyncSource } from '../sensor/sync.js';
import { SyncThread } from '../sensor/sync-thread.js';
import { nativeScan, ruleDocument } from '../sensor/testing/control-plane.js';
import { startControlPlane, type RunningControlPlane } from '../server/control-plane.js';
import type { Store } from '../store/store.js';
import { admissionResponse, https, reviewOf } from '../webhook/testing/https.js';
import { unusedPort } from '../../test/support/registry.js';
import { killLeftovers, printedCa, spawnPortcullis } from '../webhook/testing/process.js';
import { silentLogger, until } from '../webhook/testing/webhook-harness.js';
import { startWebhook, type RunningWebhookService } from '../webhook/webhook.js';
import { ensureSelfSigned } from '../tls/serving-tls.js';
import { callApi } from '../api/testing/call-api.js';

const IMAGE = 'registry.example.com/shop/web:1.0';
const CLUSTER = 'prod-eu';

const temps: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `portcullis-${prefix}-`));
  temps.push(dir);
  return dir;
}

afterEach(() => killLeftovers());
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A control plane on SQLite in `dataDir`, as `portcullis control-plane` runs it. */
function controlPlane(dataDir: string, port = 0): Promise<RunningControlPlane> {
  return startControlPlane({ dataDir, host: '127.0.0.1', port, logger: silentLogger() });
}

/** A fresh control plane with a Sensor token, the cluster, a Deny rule and a Critical scan of IMAGE (by tag). */
async function setUpControlPlane(dataDir: string): Promise<{ cp: RunningControlPlane; admin: string; sensor: string }> {
  const cp = await controlPlane(dataDir);
  const admin = cp.bootstrap.adminToken ?? '';
  const sensor = String((await callApi(cp.url, admin, 'POST', '/api/v1/tokens', { name: `cluster ${CLUSTER}`, role: 'Sensor' })).token);
  await callApi(cp.url, admin, 'POST', '/api/v1/clusters', { name: CLUSTER, provider: 'aws', account: '123456789012' });
  await callApi(cp.url, admin, 'POST', '/api/v1/rules', ruleDocument('deny-critical'));
  await callApi(cp.url, admin, 'POST', '/api/v1/scans', nativeScan({ digest: `sha256:${'c'.repeat(64)}`, tag: IMAGE, findings: [{ id: 'CVE-2024-3094', severity: 'Critical', pkg: 'xz-utils' }] }));
  return { cp, admin, sensor };
}

let uids = 0;
const review = (images: readonly string[] = [IMAGE], name = 'web') => reviewOf(aRequest(aDeployment(images, { name }), { uid: `sensor-${++uids}` }));

/** Every event in the store, all pages. */
async function allEvents(store: Store): Promise<EventSummary[]> {
  const events: EventSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.events.list({}, { limit: 500, ...(cursor !== undefined && { cursor }) });
    events.push(...page.events);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return events;
}

describe('sensor mode in process: HttpSyncSource and HttpEventSink against a control plane', () => {
  const dataDir = tempDir('control-plane');
  const webhookDir = tempDir('sensor');
  let cp: RunningControlPlane;
  let admin: string;
  let sensor: string;
  let webhook: RunningWebhookService;
  /** The ids of every batch the control plane acknowledged, in order. */
  const acknowledged: string[] = [];

  const post = async (body: unknown) => admissionResponse(await https(`${webhook.url}/validate`, { body: body as object, ca: webhook.caPem ?? '' }));

  beforeAll(async () => {
    ({ cp, admin, sensor } = await setUpControlPlane(dataDir));
    const connection = { url: cp.url, token: sensor, timeoutMs: 2_000 };
    const http = new HttpEventSink(connection);
    const sink: EventSink = {
      deliver: async (events, signal) => {
        await http.deliver(events, signal);
        acknowledged.push(...events.map((event) => event.id));
      },
    };
    webhook = await startWebhook({
      dataDir: webhookDir,
      host: '127.0.0.1',
      port: 0,
      source: new HttpSyncSource({ ...connection, cluster: CLUSTER }),
      sink,
      cluster: CLUSTER,
      failureMode: 'open',
      deadlineMs: 2_000,
      registry: { resolve: false },
      logger: silentLogger(),
      syncIntervalMs: 300,
    });
    await until(() => webhook.snapshot.state.syncedAt !== undefined, 'the first sync');
  });
  afterAll(async () => {
    await webhook?.close();
    await cp?.close();
  });

  test('synced rules, settings and findings decide; the cluster is known', async () => {
    // A source in data alone syncs in a thread of its own: the admission thread only follows.
    expect(webhook.syncer).toBeInstanceOf(SyncThread);
    const response = await post(review());
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toContain(`${IMAGE} (sha256:cccccccccccc): 1 Critical; rule deny-critical`);
    expect(webhook.snapshot.cluster(CLUSTER)).toMatchObject({ provider: 'aws', account: '123456789012' });
    await webhook.outbox.flush();
    const event = await cp.store.events.get(response.auditAnnotations?.['event-id'] ?? '');
    expect(event).toMatchObject({ decision: 'Denied', cluster: CLUSTER, provider: 'aws', account: '123456789012' });
  });

  test('a rule changed on the control plane reaches the webhook within a sync interval', async () => {
    await callApi(cp.url, admin, 'POST', '/api/v1/rules/deny-critical/disable');
    const changed = performance.now();
    try {
      await until(async () => (await post(review())).allowed, 'the disabled rule to reach the webhook', 3_000);
      // One interval (300 ms), and the round itself.
      expect(performance.now() - changed).toBeLessThan(1_000);
    } finally {
      await callApi(cp.url, admin, 'POST', '/api/v1/rules/deny-critical/enable');
    }
    await until(async () => !(await post(review())).allowed, 'the enabled rule to reach the webhook', 3_000);
  });

  test('control plane stopped: 1,000 admissions answered from the snapshot; restarted: every event arrives, none twice', async () => {
    await until(() => webhook.outbox.pending() === 0, 'the outbox to be empty');
    const before = new Set((await allEvents(cp.store)).map((event) => event.id));
    const port = Number(new URL(cp.url).port);
    await cp.close();

    const agent = new Agent({ keepAlive: true, maxSockets: 50, ca: webhook.caPem ?? '' });
    let ids: string[];
    try {
      const answers = await Promise.all(
        Array.from({ length: 1_000 }, async (_, index) => admissionResponse(await https(`${webhook.url}/validate`, { body: review([IMAGE], `web-${index}`), agent }))),
      );
      expect(answers.every((answer) => answer.allowed === false && answer.status?.message.includes('rule deny-critical'))).toBe(true);
      ids = answers.map((answer) => answer.auditAnnotations?.['event-id'] ?? '');
    } finally {
      agent.destroy();
    }
    expect(new Set(ids).size).toBe(1_000);
    expect(webhook.outbox.pending()).toBeGreaterThan(0);
    const deliveredWhileAway = acknowledged.length;

    cp = await controlPlane(dataDir, port);
    await until(() => webhook.outbox.pending() === 0, 'the outbox to drain', 20_000);

    const after = await allEvents(cp.store);
    const added = after.filter((event) => !before.has(event.id));
    expect(added).toHaveLength(1_000);
    expect(new Set(added.map((event) => event.id))).toEqual(new Set(ids));
    expect(after).toHaveLength(before.size + 1_000);
    // Each event acknowledged once: none was sent again after the control plane took it.
    const sentAgain = acknowledged.slice(deliveredWhileAway);
    expect(sentAgain).toHaveLength(1_000);
    expect(new Set(sentAgain).size).toBe(1_000);
    expect(added.every((event) => event.decision === 'Denied' && event.cluster === CLUSTER)).toBe(true);
  });
});

describe('portcullis webhook (a process): restarted while the control plane is away', () => {
  test('it enforces the last synced rules from its on-disk snapshot, and delivers its events later', async () => {
    const cpDir = tempDir('control-plane');
    const { cp: first, sensor } = await setUpControlPlane(cpDir);
    let cp: RunningControlPlane | undefined = first;
    const dataDir = tempDir('sensor');
    try {
      const port = Number(new URL(cp.url).port);
      const tokenFile = join(tempDir('token'), 'token');
      writeFileSync(tokenFile, `${sensor}\n`);
      const args = ['webhook', '--control-plane', cp.url, '--token-file', tokenFile, '--cluster', CLUSTER, '--data-dir', dataDir, '--host', '127.0.0.1', '--webhook-port', '0', '--sync-interval', '200ms', '--no-resolve-tags'];
      const start = async () => {
        const started = spawnPortcullis(args);
        const url = (await started.waitFor(/Portcullis webhook listening on (https:\/\/\S+) \(cluster prod-eu, failure mode open\)\n.*\(caBundle\):\n {2}\S+\n/))[1] ?? '';
        const ca = printedCa(started.stderr()) ?? '';
        return { started, url, ca, post: async (body: unknown) => admissionResponse(await https(`${url}/validate`, { body: body as object, ca })) };
      };

      const online = await start();
      await until(async () => !(await online.post(review())).allowed, 'the rules to sync');
      expect(await online.started.stop()).toBe(0);
      await cp.close();
      cp = undefined;

      const offline = await start();
      // The certificate made on the first start is kept: the same CA bundle.
      expect(offline.ca).toBe(online.ca);
      const ready = await https(`${offline.url}/readyz`, { ca: offline.ca });
      expect(ready.status).toBe(200);
      const denied = await offline.post(review());
      expect(denied.allowed).toBe(false);
      expect(denied.status?.message).toContain('rule deny-critical');
      const eventId = denied.auditAnnotations?.['event-id'] ?? '';
      expect(await offline.started.stop()).toBe(0);

      // Back: the event recorded while the control plane was away is delivered by the next start.
      cp = await controlPlane(cpDir, port);
      const back = await start();
      const store = cp.store;
      await until(async () => (await store.events.get(eventId)) !== undefined, 'the offline event to arrive', 10_000);
      expect(await store.events.get(eventId)).toMatchObject({ decision: 'Denied', cluster: CLUSTER });
      expect(await back.started.stop()).toBe(0);
    } finally {
      await cp?.close();
    }
  });

  test('--handoff-url: a replica stopped while the control plane is away hands its events to another, which delivers them once it is back', async () => {
    const cpDir = tempDir('control-plane');
    const { cp: first, sensor } = await setUpControlPlane(cpDir);
    let cp: RunningControlPlane | undefined = first;
    try {
      const port = Number(new URL(cp.url).port);
      // The TLS Secret both replicas mount.
      const tls = await ensureSelfSigned(tempDir('tls'), []);
      const tokenFile = join(tempDir('token'), 'token');
      writeFileSync(tokenFile, `${sensor}\n`);
      const start = async (extra: readonly string[]) => {
        const dataDir = tempDir('sensor');
        const started = spawnPortcullis(['webhook', '--control-plane', cp?.url ?? '', '--token-file', tokenFile, '--cluster', CLUSTER, '--data-dir', dataDir, '--host', '127.0.0.1', '--webhook-port', '0', '--sync-interval', '200ms', '--no-resolve-tags', '--tls-cert', tls.certFile, '--tls-key', tls.keyFile, ...extra]);
        const url = (await started.waitFor(/Portcullis webhook listening on (https:\/\/\S+) \(cluster prod-eu, failure mode open\)/))[1] ?? '';
        return { started, url, dataDir, post: async (body: unknown) => admissionResponse(await https(`${url}/validate`, { body: body as object })) };
      };
      const receiving = await start([]);
      const stopping = await start(['--handoff-url', receiving.url]);
      await until(async () => !(await stopping.post(review())).allowed && !(await receiving.post(review())).allowed, 'the rules to sync');
      await cp.close();
      cp = undefined;

      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await stopping.post(review([IMAGE], `web-${i}`))).auditAnnotations?.['event-id'] ?? '');
      expect(await stopping.started.stop()).toBe(0);
      const left = new Database(join(stopping.dataDir, 'outbox.db'), { readonly: true });
      try {
        expect(left.prepare('SELECT id FROM outbox').all()).toEqual([]);
      } finally {
        left.close();
      }

      // Only the receiving replica runs now: what arrives, it delivered.
      cp = await controlPlane(cpDir, port);
      const store = cp.store;
      await until(async () => (await Promise.all(ids.map((id) => store.events.get(id)))).every((event) => event?.decision === 'Denied'), 'the handed-over events to arrive', 15_000);
      expect(await receiving.started.stop()).toBe(0);
    } finally {
      await cp?.close();
    }
  });

  test('a token file rotated while it runs (the Secret updated, the old token revoked): syncs and deliveries go on', async () => {
    const { cp, admin, sensor } = await setUpControlPlane(tempDir('control-plane'));
    try {
      const tokenFile = join(tempDir('token'), 'token');
      writeFileSync(tokenFile, `${sensor}\n`);
      const started = spawnPortcullis(['webhook', '--control-plane', cp.url, '--token-file', tokenFile, '--cluster', CLUSTER, '--data-dir', tempDir('sensor'), '--host', '127.0.0.1', '--webhook-port', '0', '--sync-interval', '200ms', '--no-resolve-tags']);
      const url = (await started.waitFor(/Portcullis webhook listening on (https:\/\/\S+) /))[1] ?? '';
      await started.waitFor(/\(caBundle\):\n {2}\S+\n/);
      const ca = printedCa(started.stderr()) ?? '';
      const post = async () => admissionResponse(await https(`${url}/validate`, { body: review(), ca }));
      await until(async () => !(await post()).allowed, 'the rules to sync');

      const rotated = await callApi(cp.url, admin, 'POST', '/api/v1/tokens', { name: `cluster ${CLUSTER} (rotated)`, role: 'Sensor' });
      writeFileSync(tokenFile, `${String(rotated.token)}\n`);
      const old = ((await callApi(cp.url, admin, 'GET', '/api/v1/tokens')).tokens as { id: string; name: string }[]).find((token) => token.name === `cluster ${CLUSTER}`);
      await callApi(cp.url, admin, 'DELETE', `/api/v1/tokens/${old?.id ?? ''}`);

      // A rule disabled after the old token was revoked reaches the webhook, and so does its event.
      await callApi(cp.url, admin, 'POST', '/api/v1/rules/deny-critical/disable');
      await until(async () => (await post()).allowed, 'the disabled rule to reach the webhook with the rotated token');
      const denied = await callApi(cp.url, admin, 'POST', '/api/v1/rules/deny-critical/enable').then(async () => {
        let answer = await post();
        await until(async () => !(answer = await post()).allowed, 'the enabled rule to reach the webhook');
        return answer;
      });
      const eventId = denied.auditAnnotations?.['event-id'] ?? '';
      await until(async () => (await cp.store.events.get(eventId)) !== undefined, 'the event to arrive with the rotated token', 10_000);
      expect(await started.stop()).toBe(0);
    } finally {
      await cp.close();
    }
  });

  test('--handoff-url must be an https URL, and needs --tls-cert: replicas recognize each other by the certificate they share', async () => {
    for (const [args, message] of [
      [['--handoff-url', 'http://portcullis-webhook.portcullis.svc'], 'must be an https:// URL'],
      [['--handoff-url', 'portcullis-webhook'], 'must be a URL'],
      [['--handoff-url', 'https://portcullis-webhook.portcullis.svc'], '--handoff-url: needs --tls-cert and --tls-key'],
    ] as const) {
      let stderr = '';
      const io: Io = { stdout: () => undefined, stderr: (text) => (stderr += text), readStdin: () => '' };
      const code = await main(['webhook', '--control-plane', 'http://127.0.0.1:1', '--cluster', CLUSTER, '--token', 'x', '--data-dir', tempDir('sensor'), ...args], io);
      expect(code, stderr).toBe(EXIT.badInput);
      expect(stderr).toContain(message);
    }
  });

  test('without a token it refuses to start, and says how to give one', async () => {
    const started = spawnPortcullis(['webhook', '--control-plane', 'http://127.0.0.1:1', '--cluster', CLUSTER, '--data-dir', tempDir('sensor')], { PORTCULLIS_TOKEN: '' });
    expect(await started.exited).not.toBe(0);
    expect(started.stderr()).toContain('a Sensor token is needed');
  });
});

/** The processes whose parent is `pid`, from /proc (no procps needed). */
function childrenOf(pid: number): string[] {
  return readdirSync('/proc').filter((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      // `pid (comm) state ppid …`: the command may hold spaces, so count from the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    } catch {
      return false;
    }
  });
}

describe('portcullis webhook --workers 2 (a process): one port, two processes', () => {
  test('both workers answer on one port with one certificate; /metrics counts them both; each delivers its events once; SIGTERM stops all', async () => {
    const { cp, sensor } = await setUpControlPlane(tempDir('control-plane'));
    const dataDir = tempDir('sensor');
    try {
      const started = spawnPortcullis(['webhook', '--workers', '2', '--control-plane', cp.url, '--cluster', CLUSTER, '--data-dir', dataDir, '--host', '127.0.0.1', '--webhook-port', '0', '--sync-interval', '200ms', '--no-resolve-tags'], { PORTCULLIS_TOKEN: sensor });
      const url = (await started.waitFor(/Portcullis webhook listening on (https:\/\/\S+) \(cluster prod-eu, 2 workers, failure mode open\)\n.*\(caBundle\):\n {2}\S+\n/))[1] ?? '';
      const ca = printedCa(started.stderr()) ?? '';
      // Wait until worker 0 has synced the snapshot both read: a review on a fresh connection is denied twenty times in a row.
      const post = async () => admissionResponse(await https(`${url}/validate`, { body: review(), ca }));
      await until(async () => (await Promise.all(Array.from({ length: 20 }, post))).every((answer) => !answer.allowed), 'both workers to sync the rules');

      const answers = await Promise.all(Array.from({ length: 40 }, post));
      expect(answers.every((answer) => answer.allowed === false && answer.status?.message?.includes('rule deny-critical'))).toBe(true);
      const eventIds = answers.map((answer) => answer.auditAnnotations?.['event-id'] ?? '');

      // Connections are handed round-robin: both workers answered, each from its own data directory.
      const decided = (text: string) => [...text.matchAll(/^portcullis_admission_decisions_total\{[^}]*decision="Denied"[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
      const scrapes = await Promise.all([0, 1, 2, 3].map(() => https(`${url}/metrics`, { ca })));
      const totals = scrapes.map((scrape) => decided(scrape.text));
      // Whichever worker takes the scrape, it counts both workers' answers.
      expect(new Set(totals).size).toBe(1);
      expect(totals[0]).toBeGreaterThanOrEqual(40);

      await until(async () => (await Promise.all(eventIds.map((id) => cp.store.events.get(id)))).every((event) => event !== undefined), 'every event to arrive', 10_000);

      // A worker that dies is started again; meanwhile the other answers.
      const workers = () => childrenOf(started.child.pid ?? 0);
      const [victim] = workers();
      process.kill(Number(victim), 'SIGKILL');
      await until(() => workers().length === 2 && !workers().includes(victim ?? ''), 'the worker to be started again', 20_000);
      // A connection handed to the worker as it died gets no answer: a short timeout, and ask again.
      const postOrNothing = async () => {
        try {
          return admissionResponse(await https(`${url}/validate`, { body: review(), ca, timeoutMs: 2_000 }));
        } catch {
          return undefined;
        }
      };
      let deniedSince = 0;
      await until(async () => {
        const again = await Promise.all(Array.from({ length: 10 }, postOrNothing));
        deniedSince += again.filter((answer) => answer?.allowed === false).length;
        return again.every((answer) => answer?.allowed === false);
      }, 'the new worker to sync the rules');
      expect(await started.stop()).toBe(0);
      expect(new Set(eventIds).size).toBe(40);
      // Each worker recorded events in its own outbox (the AUTOINCREMENT counter outlives the rows).
      const recorded = ['worker-0', 'worker-1'].map((worker) => {
        const db = new Database(join(dataDir, worker, 'outbox.db'), { readonly: true });
        try {
          return (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").get() as { seq: number } | undefined)?.seq ?? 0;
        } finally {
          db.close();
        }
      });
      expect(recorded.every((count) => count > 0), `events recorded per worker: ${recorded.join(', ')}`).toBe(true);
      expect(recorded[0]! + recorded[1]!).toBe((totals[0] ?? 0) + deniedSince);
    } finally {
      await cp.close();
    }
  });

  // Its own limit: a control plane started twice, a lone webhook, then a pool of two workers, each
  // process compiling the TypeScript it loads: 6.7 s on an idle machine, past vitest's 20 s once
  // in CI (2026-11-28) while other work shared its two cores. Its waits are named, so a hang still
  // says where.
  test('run alone, then as a pool: the events left in the lone webhook’s outbox arrive, and the file goes', async () => {
    const cpDir = tempDir('control-plane');
    const first = await setUpControlPlane(cpDir);
    let cp: RunningControlPlane | undefined = first.cp;
    const dataDir = tempDir('sensor');
    try {
      const port = Number(new URL(cp.url).port);
      const common = ['--control-plane', cp.url, '--cluster', CLUSTER, '--data-dir', dataDir, '--host', '127.0.0.1', '--webhook-port', '0', '--sync-interval', '200ms', '--no-resolve-tags'];
      const alone = spawnPortcullis(['webhook', ...common], { PORTCULLIS_TOKEN: first.sensor });
      const url = (await alone.waitFor(/Portcullis webhook listening on (https:\/\/\S+) /))[1] ?? '';
      await alone.waitFor(/\(caBundle\):\n {2}\S+\n/);
      const ca = printedCa(alone.stderr()) ?? '';
      const post = async () => admissionResponse(await https(`${url}/validate`, { body: review(), ca }));
      await until(async () => !(await post()).allowed, 'the rules to sync');
      // The control plane goes away: this denial's event stays in the lone webhook's outbox.
      await cp.close();
      cp = undefined;
      const eventId = (await post()).auditAnnotations?.['event-id'] ?? '';
      expect(eventId).not.toBe('');
      expect(await alone.stop()).toBe(0);
      expect(existsSync(join(dataDir, 'outbox.db'))).toBe(true);

      // Back, and the webhook now runs as a pool: its workers keep their outboxes under worker-<i>/.
      cp = await controlPlane(cpDir, port);
      const store = cp.store;
      const pool = spawnPortcullis(['webhook', '--workers', '2', ...common], { PORTCULLIS_TOKEN: first.sensor });
      await pool.waitFor(/Portcullis webhook listening on /);
      await until(async () => (await store.events.get(eventId)) !== undefined, 'the left event to arrive', 10_000);
      expect(await store.events.get(eventId)).toMatchObject({ decision: 'Denied', cluster: CLUSTER });
      await until(() => !existsSync(join(dataDir, 'outbox.db')), 'the delivered outbox to be removed');
      expect(await pool.stop()).toBe(0);
      expect((await allEvents(store)).filter((event) => event.id === eventId)).toHaveLength(1);
    } finally {
      await cp?.close();
    }
  }, 60_000);

  test('the workers share one snapshot, which worker 0 syncs: a rule change reaches both; while worker 0 is stopped the other says stale', async () => {
    const { cp, admin, sensor } = await setUpControlPlane(tempDir('control-plane'));
    const dataDir = tempDir('sensor');
    try {
      const started = spawnPortcullis(['webhook', '--workers', '2', '--control-plane', cp.url, '--cluster', CLUSTER, '--data-dir', dataDir, '--host', '127.0.0.1', '--webhook-port', '0', '--sync-interval', '200ms', '--no-resolve-tags'], { PORTCULLIS_TOKEN: sensor });
      const url = (await started.waitFor(/Portcullis webhook listening on (https:\/\/\S+) /))[1] ?? '';
      await started.waitFor(/\(caBundle\):\n {2}\S+\n/);
      const ca = printedCa(started.stderr()) ?? '';
      // Twenty reviews on fresh connections, handed round-robin: both workers answer them.
      const twenty = async () => Promise.all(Array.from({ length: 20 }, async () => admissionResponse(await https(`${url}/validate`, { body: review(), ca }))));
      await until(async () => (await twenty()).every((answer) => !answer.allowed), 'both workers to deny by the synced rule');

      await callApi(cp.url, admin, 'POST', '/api/v1/rules/deny-critical/disable');
      await until(async () => (await twenty()).every((answer) => answer.allowed), 'the disabled rule to reach both workers', 5_000);
      await callApi(cp.url, admin, 'POST', '/api/v1/rules/deny-critical/enable');
      await until(async () => (await twenty()).every((answer) => !answer.allowed), 'the enabled rule to reach both workers', 5_000);

      // Worker 0, the one that syncs, stops (SIGSTOP: hung, not dead, so not restarted): until it
      // goes on, the other says its snapshot is stale.
      const syncing = childrenOf(started.child.pid ?? 0).find((pid) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes('PORTCULLIS_WORKER=0'));
      expect(syncing).toBeDefined();
      process.kill(Number(syncing), 'SIGSTOP');
      // A connection handed to the stopped worker gets no answer: a short timeout, and ask again.
      const readiness = async () => {
        try {
          return JSON.parse((await https(`${url}/readyz`, { ca, timeoutMs: 1_000 })).text) as { status: string; stale?: boolean };
        } catch {
          return undefined;
        }
      };
      await until(async () => (await readiness())?.stale === true, 'the other worker to say its snapshot is stale', 10_000);
      process.kill(Number(syncing), 'SIGCONT');
      await until(async () => (await Promise.all(Array.from({ length: 10 }, readiness))).every((ready) => ready?.stale === false), 'worker 0 to go on syncing', 15_000);

      expect(await started.stop()).toBe(0);
      // One snapshot at the top of the data directory; each worker has only its outbox.
      expect(readdirSync(dataDir)).toContain('snapshot.db');
      for (const worker of ['worker-0', 'worker-1']) {
        expect(readdirSync(join(dataDir, worker))).toContain('outbox.db');
        expect(readdirSync(join(dataDir, worker))).not.toContain('snapshot.db');
      }
    } finally {
      await cp.close();
    }
  }, 40_000);

  test('workers stopped by a signal of their own (a terminal\'s Ctrl-C reaches them all) are not started again, and the primary ends', async () => {
    const { cp, sensor } = await setUpControlPlane(tempDir('control-plane'));
    try {
      const started = spawnPortcullis(['webhook', '--workers', '2', '--control-plane', cp.url, '--cluster', CLUSTER, '--data-dir', tempDir('sensor'), '--host', '127.0.0.1', '--webhook-port', '0', '--no-resolve-tags'], { PORTCULLIS_TOKEN: sensor });
      await started.waitFor(/Portcullis webhook listening on/);
      const workers = childrenOf(started.child.pid ?? 0);
      expect(workers).toHaveLength(2);
      for (const worker of workers) process.kill(Number(worker), 'SIGINT');
      // Without waiting for a signal of its own: it would hang (or, with its workers started again, run on).
      expect(await started.exited).toBe(0);
      expect(started.stdout()).not.toContain('starting it again');
    } finally {
      await cp.close();
    }
  });

  // Its own limit: three starts of two workers, each compiling the TypeScript it loads (about
  // 3.5 s apiece here), and backoffs of 1 s and 2 s: 10 s on an idle machine, past vitest's 20 s
  // once in CI, where other files' processes share its two cores.
  test('when every worker dies at once, the primary stays and starts them all again', async () => {
    const { cp, sensor } = await setUpControlPlane(tempDir('control-plane'));
    try {
      // A fixed port, as in a pod: with every worker gone the port is let go, and port 0 would pick another.
      const port = await unusedPort();
      const started = spawnPortcullis(['webhook', '--workers', '2', '--control-plane', cp.url, '--cluster', CLUSTER, '--data-dir', tempDir('sensor'), '--host', '127.0.0.1', '--webhook-port', String(port), '--sync-interval', '200ms', '--no-resolve-tags'], { PORTCULLIS_TOKEN: sensor });
      const url = (await started.waitFor(/Portcullis webhook listening on (https:\/\/\S+) /))[1] ?? '';
      const ca = printedCa(started.stderr()) ?? '';
      const before = childrenOf(started.child.pid ?? 0);
      for (const worker of before) process.kill(Number(worker), 'SIGKILL');
      await until(() => {
        const now = childrenOf(started.child.pid ?? 0);
        return now.length === 2 && now.every((pid) => !before.includes(pid));
      }, 'both workers to be started again', 20_000);
      // Refused until the new workers listen again.
      const denied = async () => !admissionResponse(await https(`${url}/validate`, { body: review(), ca })).allowed;
      await until(() => denied().catch(() => false), 'the new workers to answer by the rules');
      // Dying again soon after a start: the next start waits twice as long (2 s; a timer never fires early).
      const second = childrenOf(started.child.pid ?? 0);
      const killedAt = Date.now();
      for (const worker of second) process.kill(Number(worker), 'SIGKILL');
      await until(() => {
        const now = childrenOf(started.child.pid ?? 0);
        return now.length === 2 && now.every((pid) => !second.includes(pid));
      }, 'both workers to be started again, later', 20_000);
      expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1_900);
      expect(await started.stop()).toBe(0);
    } finally {
      await cp.close();
    }
  }, 60_000);

  test('--workers must be a whole number from 1 to 64', async () => {
    const started = spawnPortcullis(['webhook', '--workers', '0', '--control-plane', 'http://127.0.0.1:1', '--cluster', CLUSTER, '--data-dir', tempDir('sensor')], { PORTCULLIS_TOKEN: 'x' });
    expect(await started.exited).not.toBe(0);
    expect(started.stderr()).toContain('--workers');
  });
});

describe('portcullis serve (a process): control plane and webhook in one', () => {
  test('a fixture review posted to its webhook port becomes an event in GET /api/v1/events', async () => {
    const dataDir = tempDir('serve');
    const serve = spawnPortcullis(['serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0', '--webhook-port', '0', '--no-resolve-tags']);
    const match = await serve.waitFor(/Portcullis serve listening on (http:\/\/\S+)[\s\S]*export PORTCULLIS_SERVER=\S+ PORTCULLIS_TOKEN=(\S+)[\s\S]*Admission webhook listening on (https:\/\/\S+)\/validate[\s\S]*\(caBundle\):\n {2}\S+\n/);
    const [, api = '', token = '', webhook = ''] = match;
    const ca = printedCa(serve.stderr()) ?? '';
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);

    // The default rule audits High and Critical; nginx was reported with a Critical finding.
    await callApi(api, token, 'POST', '/api/v1/scans', nativeScan({ digest: `sha256:${'d'.repeat(64)}`, tag: 'docker.io/library/nginx:latest', findings: [{ id: 'CVE-2024-6387', severity: 'Critical', pkg: 'openssh' }] }));
    const fixture = fixtureReview('deployment-create-kubectl-apply.json');
    let response = admissionResponse(await https(`${webhook}/validate`, { body: fixture, ca }));
    await until(async () => {
      response = admissionResponse(await https(`${webhook}/validate`, { body: fixture, ca }));
      return response.auditAnnotations?.decision === 'Audited';
    }, 'the scan to reach the webhook');
    expect(response).toMatchObject({ uid: '13b390aa-ea59-48ef-9fb8-069bf0430dce', allowed: true });
    const eventId = response.auditAnnotations?.['event-id'] ?? '';

    let events: { id: string; decision: string; namespace: string; name: string }[] = [];
    await until(async () => {
      events = ((await callApi(api, token, 'GET', '/api/v1/events')).events ?? []) as typeof events;
      return events.some((event) => event.id === eventId);
    }, 'the event in GET /api/v1/events');
    expect(events.find((event) => event.id === eventId)).toMatchObject({ decision: 'Audited', namespace: 'nginx', name: 'nginx' });
    expect((await callApi(api, token, 'GET', `/api/v1/events/${eventId}`)).images).toEqual([
      expect.objectContaining({ reference: 'nginx', digest: `sha256:${'d'.repeat(64)}`, scanStatus: 'Scanned' }),
    ]);
    expect(await serve.stop()).toBe(0);
  });
});
