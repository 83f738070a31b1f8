// The process under load in the webhook benchmark (started by bench/webhook/run.ts):
//   webhook: the real webhook (startWebhook) over a snapshot of synthetic images and rules, tags
//            resolved through the real resolver and its cache (the registry answers from memory);
//   noop:    an HTTPS server that parses the review and answers allowed: true, the floor for Node;
//   sink:    the control plane's POST /api/v1/events as far as the webhook can tell: it answers
//            how many events each batch held, counted without parsing them (one `"requestUid":`
//            each), drops them, and answers GET /count with how many it received in all.
// Prints one JSON line {url, ...} when ready; answers GET /memory with its process.memoryUsage().
import cluster from 'node:cluster';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { DEFAULT_SETTINGS } from '../../src/api/settings.js';
import type { ImageReference } from '../../src/images/reference.js';
import type { ManifestLookup, ManifestDigests } from '../../src/registry/oci-client.js';
import { LocalSnapshot, SNAPSHOT_FILE } from '../../src/sensor/local-snapshot.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import Database from 'better-sqlite3';
import { HttpEventSink, StoreEventSink, type EventSink } from '../../src/sensor/event-sinks.js';
import { OUTBOX_FILE } from '../../src/sensor/outbox.js';
import type { SyncScan } from '../../src/sensor/sync-protocol.js';
import type { SyncSource } from '../../src/sensor/sync.js';
import { ensureSelfSigned, readTls } from '../../src/tls/serving-tls.js';
import { workerSnapshotSharing } from '../../src/webhook/shared-snapshot.js';
import { startWebhook, type WebhookOptions } from '../../src/webhook/webhook.js';
import { startWorkerPool, workerIndex } from '../../src/webhook/worker-pool.js';
import { imageDigest, imageTag } from './images.js';
import { seededRandom, syntheticFindings, syntheticRules, syntheticScopedRules } from '../synthetic.js';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'webhook' },
    dir: { type: 'string' },
    images: { type: 'string', default: '100000' },
    findings: { type: 'string', default: '50' },
    rules: { type: 'string', default: '1000' },
    policy: { type: 'string', default: 'scoped' },
    workers: { type: 'string', default: '1' },
    /** The control plane that takes the events (this file's `sink` mode answers POST /api/v1/events there), or `store`. */
    sink: { type: 'string' },
    /** Resolved tags the webhook keeps; default --images (every tag). */
    'digest-cache-size': { type: 'string' },
    /** The webhook's evidence cache in MiB; default its own. */
    'evidence-cache-mib': { type: 'string' },
    /** Where `GET /memory?sample=stop` writes the allocations that survived a scavenge since `?sample=start`. */
    'heap-sample': { type: 'string' },
    /** Sample every allocation, those a scavenge took too. */
    'heap-sample-all': { type: 'boolean', default: false },
  },
});
const dir = values.dir ?? '/tmp/portcullis-bench-webhook';
const imageCount = Number(values.images);

/** How long the event loop was held up (a stall delays every review waiting behind it). */
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();

/** With `--sink store`: how many events the store holds. */
let countStored: (() => number) | undefined;

/** `GET /memory?reset`: and the event loop's delay is measured afresh from here (after the warm-up). */
function memory(request: IncomingMessage, response: ServerResponse): void {
  const answer = () => {
    response.writeHead(200, { 'content-type': 'application/json' });
    const cpu = process.cpuUsage();
    response.end(JSON.stringify({ ...process.memoryUsage(), cpuMicros: cpu.user + cpu.system, mainThreadCpuMicros: mainThreadCpuMicros(), storedEvents: countStored?.(), loopDelayP99Ms: loopDelay.percentile(99) / 1e6, loopDelayMaxMs: loopDelay.max / 1e6 }));
  };
  if (request.url?.endsWith('?reset')) loopDelay.reset();
  // Answered once sampling has started, or once the sample is written.
  if (request.url?.endsWith('?sample=start')) void startSampling().then(answer);
  else if (request.url?.endsWith('?sample=stop')) void stopSampling().then(answer);
  else answer();
}

/**
 * V8's sampling heap profiler, keeping what a minor collection did not take (objects that lived
 * through a scavenge: copied, and then promoted to the old generation, or still alive), dropping
 * what died young: what makes the old generation grow, and so the full collections. With
 * --heap-sample-all, every allocation: what fills the young generation, and so the scavenges.
 */
let sampling: Session | undefined;
async function startSampling(): Promise<void> {
  if (values['heap-sample'] === undefined || sampling) return;
  sampling = new Session();
  sampling.connect();
  await sampling.post('HeapProfiler.startSampling', { samplingInterval: 8192, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: values['heap-sample-all'] });
}
async function stopSampling(): Promise<void> {
  const session = sampling;
  if (values['heap-sample'] === undefined || !session) return;
  sampling = undefined;
  const { profile } = await session.post('HeapProfiler.stopSampling');
  writeFileSync(values['heap-sample'], JSON.stringify(profile));
  session.disconnect();
}

function ready(info: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(info)}\n`);
}

/** A registry answering from memory: the resolver's cache and single-flight are the real ones. */
class MemoryRegistry implements ManifestLookup {
  async manifestDigests(ref: ImageReference): Promise<ManifestDigests> {
    const index = Number(/service-(\d+)/.exec(ref.repository)?.[1] ?? -1);
    return { digest: imageDigest(index), mediaType: 'application/vnd.oci.image.manifest.v1+json' };
  }
}

/** The control plane of the benchmark: synthetic rules, and one scan of 50 findings per image. */
class SyntheticSource implements SyncSource {
  constructor(
    private readonly images: number,
    private readonly findings: number,
    private readonly rules: number,
    /** The engine benchmark's rules: hundreds in scope of every request, each reporting. */
    private readonly worst: boolean,
  ) {}

  async rulesSince(seq: number) {
    if (seq > 0) return { rules: [], seq };
    const rules = (this.worst ? syntheticRules : syntheticScopedRules)(this.rules, seededRandom(7)).map((document, i) => ({ id: `rule-${i}`, version: 1, seq: i + 1, deleted: false, document }));
    return { rules, seq: rules.length };
  }

  async scansSince(seq: number, limit: number) {
    const random = seededRandom(seq + 1);
    const end = Math.min(this.images, seq + limit);
    const scans: SyncScan[] = [];
    for (let i = seq; i < end; i++) {
      const digest = imageDigest(i);
      scans.push({
        id: `scan-${i}`,
        seq: i + 1,
        keys: [digest],
        scanner: 'trivy',
        scannedAt: '2026-11-20T00:00:00.000Z',
        receivedAt: '2026-11-20T00:00:00.000Z',
        tags: [imageTag(i)],
        manifestDigest: digest,
        findings: syntheticFindings(this.findings, i, random),
      });
    }
    return { scans, seq: end, more: end < this.images };
  }

  async settings() {
    return { settings: DEFAULT_SETTINGS, accounts: [], clusters: [] };
  }
}

async function main(): Promise<void> {
  if (values.mode === 'sink') {
    let received = 0;
    const server = createHttpServer((request, response) => {
      if (request.method === 'GET') {
        response.writeHead(200, { 'content-type': 'application/json' });
        return response.end(JSON.stringify({ received }));
      }
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        let events = 0;
        for (let at = body.indexOf('"requestUid":'); at !== -1; at = body.indexOf('"requestUid":', at + 1)) events += 1;
        received += events;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ received: events }));
      });
    });
    server.listen(0, '127.0.0.1', () => ready({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }));
  } else if (values.mode === 'noop') {
    const tls = readTls(await ensureSelfSigned(dir, []));
    const server = createServer({ ...tls, keepAliveTimeout: 65_000 }, (request, response) => {
      if (request.method === 'GET') return memory(request, response);
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: { uid: string } };
        const text = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } });
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        response.end(text);
      });
    });
    server.listen(0, '127.0.0.1', () => ready({ url: `https://127.0.0.1:${(server.address() as { port: number }).port}` }));
  } else {
    const dataDir = join(dir, `webhook-${imageCount}x${values.findings}-${values.rules}-${values.policy}`);
    const source = new SyntheticSource(imageCount, Number(values.findings), Number(values.rules), values.policy === 'worst');
    const index = workerIndex();
    if (index !== undefined) return serveWebhook(join(dataDir, `worker-${index}`), source, 0, { snapshotFile: join(dataDir, SNAPSHOT_FILE), sharing: workerSnapshotSharing(index) });
    const filling = performance.now();
    // Fill (or reuse) the snapshot before listening: a sync round of 100,000 scans takes a while.
    const snapshot = LocalSnapshot.open(join(dataDir, SNAPSHOT_FILE));
    if (snapshot.state.scansSeq < imageCount) {
      for (let seq = snapshot.state.scansSeq; ; ) {
        const scans = await source.scansSince(seq, 1000);
        const rules = seq === 0 ? await source.rulesSince(0) : undefined;
        snapshot.apply({ scans, ...(rules && { rules }), settings: await source.settings(), syncedAt: new Date().toISOString() });
        seq = scans.seq;
        if (!scans.more) break;
      }
    }
    const ruleCount = snapshot.rules().length;
    snapshot.close();
    const fillMs = performance.now() - filling;
    const workers = Number(values.workers);
    if (workers > 1) {
      // `--workers N`, as `portcullis webhook --workers N` runs: the workers share the filled
      // snapshot, worker 0 syncing it.
      const pool = await startWorkerPool({ count: workers, logger: pino({ level: 'warn' }) });
      const memoryServer = createServer(readTls(await ensureSelfSigned(dir, [])), (_request, response) => poolMemory(response));
      memoryServer.listen(0, '127.0.0.1', () =>
        ready({ url: `https://127.0.0.1:${pool.address.port}`, memoryUrl: `https://127.0.0.1:${(memoryServer.address() as { port: number }).port}`, fillMs, rules: ruleCount, workers }),
      );
      return;
    }
    await serveWebhook(dataDir, source, fillMs);
  }
}

/** A SQLite file with its WAL and shared-memory files. */
function removeDatabase(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
}

/** One webhook in this process: the whole benchmark target, or one worker of a pool. */
async function serveWebhook(dataDir: string, source: SyntheticSource, fillMs: number, shared?: Pick<WebhookOptions, 'snapshotFile' | 'sharing'>): Promise<void> {
  // Events go as the sensor sends them: POST /api/v1/events, from the outbox's thread; or, with
  // `--sink store`, into a SQLite store as the all-in-one serve keeps them (a new one each run).
  if (values.sink === undefined) throw new Error('--sink URL|store: where the events go');
  let sink: EventSink;
  if (values.sink === 'store') {
    const file = join(dataDir, 'store.db');
    removeDatabase(file);
    const store = new SqliteStore(file);
    await store.migrate();
    const reader = new Database(file, { readonly: true });
    countStored = () => (reader.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    sink = new StoreEventSink(store);
  } else sink = new HttpEventSink({ url: values.sink, token: 'bench' });
  // The events an earlier run left in the outbox would be counted with this run's.
  removeDatabase(join(dataDir, OUTBOX_FILE));
  const webhook = await startWebhook({
    dataDir,
    host: '127.0.0.1',
    port: 0,
    source,
    sink,
    failureMode: 'open',
    deadlineMs: 2000,
    // Room for every image's tag by default: the benchmark measures admission with digests cached.
    registry: { resolve: true, lookup: new MemoryRegistry(), cacheSize: Number(values['digest-cache-size'] ?? imageCount) },
    ...(values['evidence-cache-mib'] !== undefined && { evidenceCacheBytes: Number(values['evidence-cache-mib']) * 1_048_576 }),
    logger: pino({ level: 'warn' }),
    syncIntervalMs: 3_600_000,
    ...shared,
  });
  await webhook.syncer?.syncNow();
  if (workerIndex() !== undefined) return;
  const memoryServer = createServer(readTls(await ensureSelfSigned(dir, [])), (request, response) => memory(request, response));
  memoryServer.listen(0, '127.0.0.1', () =>
    ready({ url: webhook.url, memoryUrl: `https://127.0.0.1:${(memoryServer.address() as { port: number }).port}`, fillMs, rules: webhook.snapshot.rules().length }),
  );
}

/**
 * CPU time of the thread this runs on (µs): answered by the memory endpoint, on the main thread,
 * which reads and decides every review. Linux's /proc (clock ticks of 10 ms); undefined elsewhere.
 */
function mainThreadCpuMicros(): number | undefined {
  try {
    return cpuTicksOf(readFileSync('/proc/thread-self/stat', 'utf8')) * 10_000;
  } catch {
    return undefined;
  }
}

/** utime and stime, the 14th and 15th fields of a /proc stat line, in clock ticks (100 a second on Linux). */
function cpuTicksOf(stat: string): number {
  // The command's name, in parentheses, may hold spaces: the fields are counted from its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** A pool's memory and CPU time: the primary's and every worker's (read from /proc). */
function poolMemory(response: ServerResponse): void {
  const pids = [process.pid, ...Object.values(cluster.workers ?? {}).map((worker) => worker?.process.pid)];
  const rssOf = (pid: number | undefined) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  const cpuOf = (pid: number | undefined) => cpuTicksOf(readFileSync(`/proc/${pid}/stat`, 'utf8')) * 10_000;
  const rss = pids.reduce<number>((sum, pid) => sum + rssOf(pid), 0);
  const cpuMicros = pids.reduce<number>((sum, pid) => sum + cpuOf(pid), 0);
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ rss, cpuMicros }));
}

// Exit normally on a signal, so `node --cpu-prof` can write its profile.
process.on('SIGINT', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
await main();
