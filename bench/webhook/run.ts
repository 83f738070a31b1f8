// Webhook benchmark: real-sized AdmissionReviews (a Deployment of 3 images) over HTTPS with
// keep-alive, from this process, against the webhook in a second process (bench/webhook/target.ts):
// 100,000 images × 50 findings in its snapshot, 1,000 rules, every image's digest cached (the
// warm-up resolves each tag once, then asks for the working set twice). Beside it, the same
// load against a no-op HTTPS server that parses the review and allows: the floor for Node.
// Prints requests/s, p50/p99/p99.9 latency, memory and CPU time per request (all of the target's
// threads, the collector's and the outbox's included: what a review costs the machine; and its
// main thread's alone, which reads and decides every review, on Linux with one process): at full
// load, paced at half the no-op's rate (when the webhook can take it) and at half its own, and for
// clients in a loop; and at full load against images without findings, where nothing is recorded
// (the decision path alone).
//   npm run bench:webhook [-- --images 100000 --findings 50 --rules 1000 --policy scoped|worst --seconds 10 --connections 32 --workers 1 --events control-plane|store --paced 100,500 --rounds 1 --cpu-prof DIR [--cpu-prof-paced RATE]]
//                         [-- --memory-limit MiB --digest-cache-size N --evidence-cache-mib N --heap-sample FILE [--heap-sample-all]]
//                         [-- --webhook-node-flags="--trace-gc …" --webhook-stdout FILE]
// `--memory-limit`: the webhook runs in a memory cgroup of that size, as in a pod with that limit
// (root only; see memory-limit.ts). `--digest-cache-size` defaults to --images (every tag cached).
// `scoped`: two rules for everyone and the rest one team's namespace each; `worst`: the engine
// benchmark's rules, hundreds in scope of every request. `--rounds N`: the two full-load runs N
// times, taking turns, and the median of each (and of the ratio): on a shared machine whose speed
// varies from minute to minute, one pair of runs can put the ratio anywhere in a span of 10 points.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { memoryCgroup } from './memory-limit.js';
import { pacedLoad } from './paced-load.js';
import { TEAM_NAMESPACES } from '../synthetic.js';
import { imageTag } from './images.js';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '100000' },
    findings: { type: 'string', default: '50' },
    rules: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    dir: { type: 'string', default: '/tmp/portcullis-bench-webhook' },
    policy: { type: 'string', default: 'scoped' },
    /** Webhook processes on the port, as `portcullis webhook --workers N`. */
    workers: { type: 'string', default: '1' },
    /** Write the webhook process's CPU profile here (see bench/profile-summary.ts). */
    'cpu-prof': { type: 'string' },
    /** With --cpu-prof: after the full-load run, a paced run at this rate (req/s), which the profile's last --seconds cover. */
    'cpu-prof-paced': { type: 'string' },
    /** `store`: events go into a SQLite store, as the all-in-one `serve` keeps them, instead of to a control plane. */
    events: { type: 'string', default: 'control-plane' },
    /** The no-op's and the webhook's full-load runs this many times each, taking turns; the medians are reported. */
    rounds: { type: 'string', default: '1' },
    /** More paced runs, at these rates (req/s, comma-separated): the latency at a cluster's own admission rate. */
    paced: { type: 'string' },
    /** The webhook in a memory cgroup of this many MiB, as a pod with that memory limit. */
    'memory-limit': { type: 'string' },
    /** The webhook's --digest-cache-size; default --images. */
    'digest-cache-size': { type: 'string' },
    /** The webhook's --evidence-cache-mib; default its own (a share of the heap's limit). */
    'evidence-cache-mib': { type: 'string' },
    /** The full-load run only, with what survived a scavenge in the webhook sampled into this file (bench/heap-summary.ts reads it). */
    'heap-sample': { type: 'string' },
    /** With --heap-sample: every allocation sampled, those that died young too (what makes the scavenges come). */
    'heap-sample-all': { type: 'boolean', default: false },
    /** Node flags for the webhook's process alone, space-separated (e.g. `--v8-pool-size=1`): the load and the no-op keep Node's defaults. */
    'webhook-node-flags': { type: 'string' },
    /** Where the webhook's standard output goes after its ready line (what `--trace-gc` prints), appended, each process under a line naming it. */
    'webhook-stdout': { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const imageCount = Number(values.images);
const extraRates = (values.paced ?? '').split(',').filter((rate) => rate.trim() !== '').map(Number);
if (extraRates.some((rate) => !(rate > 0))) throw new Error(`--paced ${values.paced}: rates in requests per second, comma-separated (e.g. 100,500)`);
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds ${values.rounds}: a whole number of rounds, 1 or more`);
const cgroup = values['memory-limit'] === undefined ? undefined : memoryCgroup(Number(values['memory-limit']));

interface Target {
  readonly child: ChildProcess;
  readonly url: string;
  readonly memoryUrl: string;
  readonly info: Record<string, unknown>;
}

/** `findings`: per image in the snapshot (each count has its own snapshot, filled once). */
async function start(mode: 'webhook' | 'noop' | 'sink', findings = values.findings ?? '50'): Promise<Target> {
  const profiling = mode === 'webhook' && values['cpu-prof'] !== undefined ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : [];
  const nodeFlags = mode === 'webhook' ? (values['webhook-node-flags'] ?? '').split(' ').filter((flag) => flag !== '') : [];
  const args = [...nodeFlags, ...profiling, '--import', 'tsx', join(import.meta.dirname, 'target.ts'), '--mode', mode, '--dir', values.dir ?? '', '--images', String(imageCount), '--findings', findings, '--rules', values.rules ?? '1000', '--policy', values.policy ?? 'scoped', '--workers', values.workers ?? '1', ...(mode === 'sink' ? [] : ['--sink', values.events === 'store' ? 'store' : sinkUrl])];
  if (mode === 'webhook') {
    args.push('--digest-cache-size', values['digest-cache-size'] ?? String(imageCount));
    if (values['evidence-cache-mib'] !== undefined) args.push('--evidence-cache-mib', values['evidence-cache-mib']);
    if (values['heap-sample'] !== undefined) args.push('--heap-sample', values['heap-sample'], ...(values['heap-sample-all'] ? ['--heap-sample-all'] : []));
  }
  const [command, commandArgs] = mode === 'webhook' && cgroup ? cgroup.wrap(process.execPath, args) : [process.execPath, args];
  const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
  const output = mode === 'webhook' ? values['webhook-stdout'] : undefined;
  if (output !== undefined) appendFileSync(output, `# the webhook, ${findings} findings an image, pid ${String(child.pid)}\n`);
  // The ready line is the first that is JSON: a Node flag may print before it (--trace-gc).
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      if (text.startsWith('{')) resolve(text);
      else if (output !== undefined) appendFileSync(output, `${text}\n`);
    });
    child.once('exit', (code) => reject(new Error(`the ${mode} target exited with ${code}`)));
  });
  const info = JSON.parse(line) as { url: string; memoryUrl?: string } & Record<string, unknown>;
  return { child, url: info.url, memoryUrl: info.memoryUrl ?? info.url, info };
}

// The control plane's POST /api/v1/events, in a process of its own (as a control plane is): in
// this one, its reading of each batch of events would hold up the load's timers and answers.
const eventSink = await start('sink');
process.on('exit', () => eventSink.child.kill());
const sinkUrl = eventSink.url;

/** Events the endpoint has received so far. */
async function eventsReceived(): Promise<number> {
  const response = await fetch(`${sinkUrl}/count`);
  return ((await response.json()) as { received: number }).received;
}

let uid = 0;
/**
 * The images a cluster deploys: most requests name one of a working set (the 2,000 images of
 * current releases, the snapshot's evidence cache size), the rest any of the snapshot's images,
 * whose evidence is then read from disk.
 */
const HOT = Math.min(2000, imageCount);
function pickImage(): number {
  return Math.random() < 0.9 ? Math.floor(Math.random() * HOT) : Math.floor(Math.random() * imageCount);
}

/** A Deployment of 3 images, as `kubectl apply` sends it: the object, its last-applied annotation, managed fields. */
function review(images = [0, 1, 2].map(() => imageTag(pickImage()))): string {
  // A team's namespace, or one of production's: each request meets its own team's rules.
  const team = Math.floor(Math.random() * TEAM_NAMESPACES);
  const namespace = team % 10 === 0 ? `prod-${team}` : `team-${team}`;
  const containers = images.map((image, i) => ({
    name: `c${i}`,
    image,
    ports: [{ containerPort: 8080 + i, protocol: 'TCP' }],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    env: [{ name: 'LOG_LEVEL', value: 'info' }],
    imagePullPolicy: 'IfNotPresent',
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  }));
  const spec = { replicas: 3, selector: { matchLabels: { app: 'checkout' } }, template: { metadata: { labels: { app: 'checkout', env: 'prod' } }, spec: { containers, restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' } } };
  const object = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'checkout',
      namespace,
      labels: { app: 'checkout' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'checkout', namespace: 'prod-payments' }, spec }) },
      managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1', time: '2026-11-24T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {}, 'f:template': {} } } }],
    },
    spec,
  };
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `bench-${uid++}`,
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      requestKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      requestResource: { group: 'apps', version: 'v1', resource: 'deployments' },
      name: 'checkout',
      namespace,
      operation: 'CREATE',
      userInfo: { username: 'alice@example.com', groups: ['system:authenticated', 'developers'] },
      object,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions', fieldManager: 'kubectl-client-side-apply' },
    },
  });
}

/** Each request its own review: other images, another uid. */
const withReview = (req: autocannon.Request): autocannon.Request => ({ ...req, body: review() });

interface Load {
  readonly rps: number;
  /** Requests answered in the run. */
  readonly total: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly errors: number;
  readonly non2xx: number;
}

async function load(url: string, rate?: number, clients = connections): Promise<Load> {
  const result = await autocannon({
    url: `${url}/validate`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: clients,
    duration: seconds,
    ...(rate !== undefined && { overallRate: rate }),
    requests: [{ setupRequest: withReview }],
  });
  return { rps: result.requests.average, total: result.requests.total, p50: result.latency.p50, p99: result.latency.p99, p999: result.latency.p99_9, errors: result.errors, non2xx: result.non2xx };
}

interface TargetState {
  readonly rss: number;
  /** CPU time the target's process has used, all its threads (µs). */
  readonly cpuMicros?: number;
  /** Of it, its main thread's: the one that reads and decides every review (one webhook process; Linux). */
  readonly mainThreadCpuMicros?: number;
  /** The event loop's delay over the whole run, when the target measures it. */
  readonly loopDelayP99Ms?: number;
  readonly loopDelayMaxMs?: number;
  /** With `--events store`: the events in the store. */
  readonly storedEvents?: number;
}

/** `reset`: the target measures its event loop's delay afresh from now; `sample`: starts or stops its heap sampling (--heap-sample). */
async function state(url: string, reset = false, sample?: 'start' | 'stop'): Promise<TargetState> {
  const query = sample ? `?sample=${sample}` : reset ? '?reset' : '';
  return new Promise((resolve, reject) => {
    request(`${url}/memory${query}`, { rejectUnauthorized: false }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve(JSON.parse(text) as TargetState));
    })
      .on('error', reject)
      .end();
  });
}

type Measured = Load & { cpuPerRequest?: number; mainCpuPerRequest?: number };

/**
 * The run, with the target's CPU time per request answered: all its threads (the collector's and
 * the outbox's too), and its main thread's alone, which reads and decides every review and so
 * bounds the throughput of one process.
 */
async function withCpu<T extends Load>(target: Target, run: () => Promise<T>): Promise<T & Measured> {
  const before = await state(target.memoryUrl);
  const result = await run();
  const after = await state(target.memoryUrl);
  const perRequest = (from?: number, to?: number) => (from === undefined || to === undefined || result.total === 0 ? undefined : (to - from) / result.total);
  const all = perRequest(before.cpuMicros, after.cpuMicros);
  const main = perRequest(before.mainThreadCpuMicros, after.mainThreadCpuMicros);
  return { ...result, ...(all !== undefined && { cpuPerRequest: all }), ...(main !== undefined && { mainCpuPerRequest: main }) };
}

/**
 * Warm-up: every image once, in order, through the resolver (its cache then holds every digest)
 * and the JIT; then the working set twice, so that the measured runs start as a webhook that has
 * been running meets them, its current images' evidence built and kept (the in-order pass leaves
 * the evidence cache holding the last images of the snapshot instead: on a slow machine, whose
 * 10 s run asks fewer times, building the working set's evidence was some 8 % of its lookups).
 */
async function warm(url: string): Promise<void> {
  const passes = [{ images: imageCount, times: 1 }, { images: HOT, times: 2 }];
  for (const { images, times } of passes) {
    let next = 0;
    const inOrder = (req: autocannon.Request): autocannon.Request => ({ ...req, body: review([0, 1, 2].map(() => imageTag(next++ % images))) });
    await autocannon({ url: `${url}/validate`, method: 'POST', headers: { 'content-type': 'application/json' }, connections, amount: Math.ceil((images * times) / 3), requests: [{ setupRequest: inOrder }] });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The run of median throughput (the lower middle one of an even count): its latencies and CPU belong to one run. */
function medianRun(runs: readonly Measured[]): Measured {
  return [...runs].sort((a, b) => a.rps - b.rps)[Math.floor((runs.length - 1) / 2)] as Measured;
}

const micros = (value: number | undefined) => (value === undefined ? '' : value.toFixed(0));
const row = (name: string, l: Measured, rss: number) =>
  `${name.padEnd(34)} ${l.rps.toFixed(0).padStart(8)} ${l.p50.toFixed(2).padStart(8)} ${l.p99.toFixed(2).padStart(8)} ${l.p999.toFixed(2).padStart(8)} ${(rss / 1048576).toFixed(0).padStart(8)} ${String(l.errors + l.non2xx).padStart(7)} ${micros(l.cpuPerRequest).padStart(9)} ${micros(l.mainCpuPerRequest).padStart(9)}`;

const noop = await start('noop');
await warm(noop.url);
const noopRuns = [await withCpu(noop, () => load(noop.url))];
const noopRss = (await state(noop.url)).rss;
// Kept, idle, for the rounds that follow the webhook's first run.
if (rounds === 1) noop.child.kill();

const startedAt = performance.now();
const reviewsBefore = uid;
const webhook = await start('webhook');
const readyMs = performance.now() - startedAt;
await warm(webhook.url);
await state(webhook.memoryUrl, true);
if (values['heap-sample'] !== undefined) await state(webhook.memoryUrl, false, 'start');
const webhookRuns = [await withCpu(webhook, () => load(webhook.url))];
let [webhookFull] = webhookRuns as [Measured];
if (values['heap-sample'] !== undefined) {
  await state(webhook.memoryUrl, false, 'stop');
  console.log(`webhook, full load: ${webhookFull.rps.toFixed(0)} req/s (${webhookFull.total} requests); ${values['heap-sample-all'] ? 'its allocations are' : 'what survived a scavenge is'} in ${values['heap-sample']}:`);
  console.log(`  node --import tsx bench/heap-summary.ts ${values['heap-sample']} --requests ${webhookFull.total}`);
  webhook.child.kill();
  eventSink.child.kill();
  cgroup?.remove();
  process.exit(0);
}
if (values['cpu-prof'] !== undefined) {
  // Profiling: the full-load run, or a paced run after it, ended by the process's exit (which writes the profile).
  const rate = values['cpu-prof-paced'] === undefined ? undefined : Number(values['cpu-prof-paced']);
  if (rate !== undefined && !(rate > 0)) throw new Error(`--cpu-prof-paced ${values['cpu-prof-paced']}: a rate in requests per second`);
  const pacedRun = rate === undefined ? undefined : await pacedLoad({ url: webhook.url, path: '/validate', rate, seconds, connections, body: () => review() });
  const exited = new Promise((resolve) => webhook.child.once('exit', resolve));
  webhook.child.kill();
  await exited;
  console.log(`webhook, full load: ${webhookFull.rps.toFixed(0)} req/s (${webhookFull.total} requests in ${seconds} s; ${await eventsReceived()} events posted to the control plane since the start)`);
  if (pacedRun !== undefined) console.log(`webhook, paced at ${rate} req/s: p50 ${pacedRun.p50.toFixed(2)} ms, p99 ${pacedRun.p99.toFixed(2)} ms, p99.9 ${pacedRun.p999.toFixed(2)} ms (${pacedRun.total} requests)`);
  console.log(`its CPU profile, whose last ${seconds} s are the ${pacedRun === undefined ? 'full-load' : 'paced'} run, is in ${values['cpu-prof']}:`);
  console.log(`  node --import tsx bench/profile-summary.ts ${values['cpu-prof']}/<file>.cpuprofile --last ${seconds} --requests ${(pacedRun ?? webhookFull).total}`);
  process.exit(0);
}
/** Reviews the no-op's rounds took since the webhook started: not the webhook's. */
let noopReviewsMeanwhile = 0;
for (let round = 1; round < rounds; round++) {
  const from = uid;
  noopRuns.push(await withCpu(noop, () => load(noop.url)));
  noopReviewsMeanwhile += uid - from;
  webhookRuns.push(await withCpu(webhook, () => load(webhook.url)));
}
if (rounds > 1) noop.child.kill();
const noopFull = medianRun(noopRuns);
webhookFull = medianRun(webhookRuns);
const ratios = webhookRuns.map((run, i) => run.rps / (noopRuns[i] as Measured).rps);
const ratio = median(ratios);
const half = Math.max(1, Math.round(noopFull.rps / 2));
// The target's load, paced evenly (see paced-load.ts), when the webhook can take it at all: past
// its full-load throughput the queue only grows for as long as the run lasts.
const sustainable = webhookFull.rps >= half;
const paced = (rate: number, target = webhook) => withCpu(target, () => pacedLoad({ url: target.url, path: '/validate', rate, seconds, connections, body: () => review() }));
const webhookHalf = sustainable ? await paced(half) : undefined;
// Latency with headroom: half the webhook's own full-load rate, paced evenly.
const ownHalf = Math.max(1, Math.round(webhookFull.rps / 2));
const webhookOwnHalf = await paced(ownHalf);
const webhookExtra: [number, Load][] = [];
for (const rate of extraRates) webhookExtra.push([rate, await paced(rate)]);
// Closed loops: 4 clients, each sending its next review on an answer.
const webhookFour = await withCpu(webhook, () => load(webhook.url, undefined, 4));
// One client, one review after another: the time one review takes, with nothing queued.
const webhookSerial = await withCpu(webhook, () => load(webhook.url, undefined, 1));
const webhookState = await state(webhook.memoryUrl);
const webhookRss = webhookState.rss;
webhook.child.kill();
const reviewsToWebhook = uid - reviewsBefore - noopReviewsMeanwhile;
// The decision path alone: the same reviews, rules and images, but no image has a finding, so
// every review is plainly allowed and records no event. What is left between it and the no-op
// is reading, planning, resolving and deciding the review.
const clean = values.findings === '0' ? undefined : await start('webhook', '0');
if (clean) await warm(clean.url);
const cleanFull = clean ? await withCpu(clean, () => load(clean.url)) : undefined;
const cleanRss = clean ? (await state(clean.memoryUrl)).rss : 0;
clean?.child.kill();
// The floor of a paced measurement: the no-op at the same rate (the load's timers tick each millisecond).
const noopAgain = await start('noop');
await warm(noopAgain.url);
const noopOwnHalf = await paced(ownHalf, noopAgain);
noopAgain.child.kill();

console.log(`webhook benchmark: Deployment of 3 images; snapshot of ${imageCount} images × ${values.findings} findings, ${String(webhook.info.rules)} rules (${values.policy}); ${values.workers === '1' ? '' : `${values.workers} webhook workers; `}${connections} keep-alive connections, ${seconds} s per run (node ${process.version}${values['webhook-node-flags'] ? `; the webhook with ${values['webhook-node-flags']}` : ''})`);
if (cgroup) {
  const peak = cgroup.peakBytes();
  console.log(`  the webhook ran in a memory cgroup of ${cgroup.limitMiB} MiB, as in a pod with that limit: ${peak === undefined ? '' : `at most ${(peak / 1048576).toFixed(0)} MiB charged to it (the page cache it brought in included), `}${cgroup.oomKills()} killed for memory`);
}
console.log(`  target ready in ${(readyMs / 1000).toFixed(1)} s (snapshot filled in ${(Number(webhook.info.fillMs) / 1000).toFixed(1)} s; reused when present)`);
console.log(`${''.padEnd(34)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'p99.9 ms'.padStart(8)} ${'RSS MiB'.padStart(8)} ${'errors'.padStart(7)} ${'CPU µs/r'.padStart(9)} ${'main µs/r'.padStart(9)}`);
console.log(row('no-op HTTPS (floor), full load', noopFull, noopRss));
console.log(row('webhook, full load', webhookFull, webhookRss));
if (cleanFull) console.log(row('same, no findings: nothing recorded', cleanFull, cleanRss));
if (webhookHalf) console.log(row(`webhook at ${half} req/s (half no-op)*`, webhookHalf, webhookRss));
console.log(row(`no-op at ${ownHalf} req/s*`, noopOwnHalf, noopRss));
console.log(row(`webhook at ${ownHalf} req/s (half its own)*`, webhookOwnHalf, webhookRss));
for (const [rate, result] of webhookExtra) console.log(row(`webhook at ${rate} req/s*`, result, webhookRss));
console.log(row('webhook, 4 clients in a loop', webhookFour, webhookRss));
console.log(row('webhook, one client in a loop', webhookSerial, webhookRss));
console.log(`  CPU µs/r: the target process's CPU time per request, all its threads; main µs/r: its main thread's alone, which reads and decides every review${values.workers === '1' ? '' : ' (not measured with workers)'}`);
console.log(`  * paced: requests spread evenly over each second, on ${connections} connections, latency counted from when each was due${webhookHalf ? '' : `; half the no-op's rate (${half} req/s) is beyond the webhook's full-load throughput, so it is not run`}`);
if (webhookState.loopDelayP99Ms !== undefined) console.log(`  webhook event loop delay over the measured runs (after the warm-up): p99 ${webhookState.loopDelayP99Ms.toFixed(1)} ms, max ${webhookState.loopDelayMaxMs?.toFixed(1)} ms`);
if (values.events === 'store') console.log(`  events stored in a SQLite store by the outbox's thread, as the all-in-one serve does: ${String(webhookState.storedEvents)}, for ${reviewsToWebhook} reviews sent to the webhook`);
else console.log(`  events posted to the control plane (POST /api/v1/events, from the outbox's thread): ${await eventsReceived()}, for ${reviewsToWebhook} reviews sent to the webhook (warm-up included; those of its last moments were still in the outbox)`);
if (cleanFull) console.log(`  no findings: the same reviews against images without findings, all allowed, no event recorded (the decision path alone): ${((cleanFull.rps / noopFull.rps) * 100).toFixed(0)}% of the no-op's throughput`);
if (rounds > 1) {
  const list = (runs: readonly Measured[]) => runs.map((run) => run.rps.toFixed(0)).join(', ');
  console.log(`  full load, ${rounds} rounds taking turns (the rows above are the median run of each): no-op ${list(noopRuns)} req/s; webhook ${list(webhookRuns)} req/s; the webhook's share each round ${ratios.map((r) => `${(r * 100).toFixed(0)}%`).join(', ')}, median ${(ratio * 100).toFixed(0)}%`);
}
console.log(`  webhook throughput is ${(ratio * 100).toFixed(0)}% of the no-op's${rounds > 1 ? `, the median of ${rounds} rounds` : ''} (target: at least 50%); p99 at half the no-op's load: ${webhookHalf ? `${webhookHalf.p99.toFixed(2)} ms` : 'beyond its throughput'} (target: under 5 ms)`);
// Its pipe would keep this process running.
eventSink.child.kill();
cgroup?.remove();
