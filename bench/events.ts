// Admission events benchmark: N events as webhooks record them (30 days, 5 clusters, 20
// namespaces, 50 rules, 2,000 images, thousands of CVEs) ingested through the store in batches,
// a subset through POST /api/v1/events, then GET /api/v1/events latency for each filter.
// Prints figures and memory. A report, not a test.
//   npm run bench:events [-- --store sqlite|postgres --events 1000000 --api-events 20000 --requests 200]
// PostgreSQL: PORTCULLIS_TEST_POSTGRES_URL (a fresh schema in it, dropped at the end), else a
// throwaway server from /usr/lib/postgresql/15/bin, as the tests start one.
import { createHash, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { buildApi } from '../src/api/app.js';
import { createToken } from '../src/api/auth.js';
import type { AdmissionEvent, EventDecision, EventFinding, EventImage, EventViolation, RuleSnapshot } from '../src/events/admission-event.js';
import { EVENT_FINDINGS_PER_VIOLATION } from '../src/events/build-event.js';
import { eventId } from '../src/events/event-id.js';
import { SEVERITIES, type Severity } from '../src/findings/severity.js';
import { describeRule } from '../src/policy/describe.js';
import type { SeverityCounts } from '../src/policy/evidence.js';
import type { CloudProvider, Rule } from '../src/policy/rule.js';
import { benchDatabase } from './event-databases.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    events: { type: 'string', default: '1000000' },
    'api-events': { type: 'string', default: '20000' },
    batch: { type: 'string', default: '500' },
    requests: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '4' },
  },
});
const storeKind = values.store;
if (storeKind !== 'sqlite' && storeKind !== 'postgres') throw new Error(`--store is sqlite or postgres, not '${storeKind}'`);
const eventCount = Number(values.events);
const apiEventCount = Number(values['api-events']);
const batchSize = Number(values.batch);
const requestsPerFilter = Number(values.requests);
const concurrency = Number(values.concurrency);

// ---- a deterministic world ---------------------------------------------------------------------

// mulberry32: runs are comparable, and the sequence is good enough for skewed picks.
let seed = 42;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
}
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
/** Skewed towards the head of the list: a few popular values, a long tail (higher skew, steeper). */
const popular = <T>(list: readonly T[], skew: number): T => list[Math.floor(random() ** skew * list.length)] as T;
const weighted = <T>(choices: readonly (readonly [T, number])[]): T => {
  let r = random() * choices.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [value, weight] of choices) if ((r -= weight) <= 0) return value;
  return (choices.at(-1) as readonly [T, number])[0];
};
const hex = (text: string): string => createHash('sha256').update(text).digest('hex');

interface ClusterInfo {
  readonly name: string;
  readonly provider: CloudProvider;
  readonly account: string;
}
const CLUSTERS: readonly (readonly [ClusterInfo, number])[] = [
  [{ name: 'prod-eu-1', provider: 'aws', account: '123456789012' }, 35],
  [{ name: 'prod-us-1', provider: 'aws', account: '123456789012' }, 30],
  [{ name: 'staging-eu-1', provider: 'aws', account: '210987654321' }, 15],
  [{ name: 'dev-1', provider: 'gcp', account: 'portcullis-dev' }, 15],
  [{ name: 'edge-ap-1', provider: 'azure', account: '7f3c2a10-sub' }, 5],
];
const NAMESPACES = [
  'payments', 'checkout', 'orders', 'catalog', 'search', 'identity', 'billing', 'shipping', 'inventory', 'notifications',
  'recommendations', 'gateway', 'analytics', 'data-pipeline', 'ml-serving', 'monitoring', 'logging', 'ingress-nginx', 'cert-manager', 'kube-system',
];
const WORKLOADS = ['api', 'worker', 'web', 'consumer', 'scheduler', 'cache', 'proxy', 'exporter', 'sync', 'indexer', 'admin', 'db-migrate'];
const KINDS = [['Deployment', 55], ['Pod', 20], ['StatefulSet', 8], ['DaemonSet', 5], ['Job', 6], ['CronJob', 4], ['ReplicaSet', 2]] as const;

interface Cve {
  readonly id: string;
  readonly severity: Severity;
  readonly package: string;
  readonly version: string;
  readonly fixedVersion?: string;
  readonly score: number;
}
const PACKAGES = ['openssl', 'glibc', 'zlib', 'curl', 'libxml2', 'busybox', 'ncurses', 'expat', 'log4j-core', 'jackson-databind', 'netty', 'spring-web', 'lodash', 'axios', 'requests', 'urllib3', 'golang.org/x/net', 'protobuf', 'sqlite', 'krb5'];
const SEVERITY_MIX = [['Critical', 6], ['High', 24], ['Medium', 40], ['Low', 25], ['Unknown', 5]] as const;
const CVES: readonly Cve[] = Array.from({ length: 25_000 }, (_, i) => {
  const severity = weighted(SEVERITY_MIX);
  const minor = i % 30;
  return {
    id: `CVE-${2014 + (i % 12)}-${String(10_000 + i * 7).padStart(5, '0')}`,
    severity,
    package: pick(PACKAGES),
    version: `1.${minor}.${i % 9}`,
    ...(random() < 0.7 && { fixedVersion: `1.${minor}.${(i % 9) + 1}` }),
    score: Math.round((severity === 'Critical' ? 9 + random() : severity === 'High' ? 7 + 2 * random() : severity === 'Medium' ? 4 + 3 * random() : 4 * random()) * 10) / 10,
  };
});
const RANK: Record<Severity, number> = { Critical: 0, High: 1, Medium: 2, Low: 3, Unknown: 4 };

interface ImageInfo {
  readonly reference: string;
  readonly digest: string;
  readonly scanned: boolean;
  /** Worst first. */
  readonly cves: readonly Cve[];
  readonly counts: SeverityCounts;
}
const REGISTRIES = ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'europe-docker.pkg.dev/portcullis-dev/apps', 'ghcr.io/example', 'docker.io/library', 'quay.io/example'];
const IMAGES: readonly ImageInfo[] = Array.from({ length: 2000 }, (_, i) => {
  const reference = `${REGISTRIES[i % REGISTRIES.length]}/${pick(NAMESPACES)}-${pick(WORKLOADS)}-${i}:${1 + (i % 4)}.${i % 17}.${i % 5}`;
  const scanned = random() > 0.05;
  // Popular CVEs (base images) appear in many images; a long tail in few.
  const cves = scanned ? [...new Set(Array.from({ length: Math.floor(random() ** 1.5 * 80) }, () => popular(CVES, 2.5)))].sort((a, b) => RANK[a.severity] - RANK[b.severity]) : [];
  const counts = Object.fromEntries(SEVERITIES.map((severity) => [severity, cves.filter((cve) => cve.severity === severity).length])) as unknown as SeverityCounts;
  return { reference, digest: `sha256:${hex(reference)}`, scanned, cves, counts };
});

interface RuleInfo {
  readonly rule: Rule;
  readonly snapshot: RuleSnapshot;
}
const CONDITION_TEMPLATES = [
  { name: 'critical', conditions: { severities: ['Critical'] } },
  { name: 'high-critical', conditions: { severities: ['Critical', 'High'] } },
  { name: 'fixable-high', conditions: { severities: ['Critical', 'High'], fixAvailable: true } },
  { name: 'cvss-9', conditions: { minCvss: 9 } },
  { name: 'exploited', conditions: { knownExploited: true } },
  { name: 'many-medium', conditions: { severities: ['Medium'], moreThan: 20 } },
  { name: 'log4shell', conditions: { cves: ['CVE-2021-44228', 'CVE-2021-45046'] } },
] as const;
const RULES: readonly RuleInfo[] = Array.from({ length: 50 }, (_, i) => {
  const template = CONDITION_TEMPLATES[i % CONDITION_TEMPLATES.length] ?? CONDITION_TEMPLATES[0];
  const action = i % 3 === 0 ? 'Deny' : 'Audit';
  const byCluster = i % 4 === 3;
  const where = byCluster ? (CLUSTERS[i % CLUSTERS.length]?.[0].name ?? 'prod-eu-1') : (NAMESPACES[i % NAMESPACES.length] ?? 'payments');
  const rule: Rule = {
    apiVersion: 'portcullis.dev/v1',
    kind: 'Rule',
    name: `${action.toLowerCase()}-${template.name}-${where}-${i}`,
    action,
    enabled: true,
    timeZone: i % 2 === 0 ? 'UTC' : 'Europe/Berlin',
    scope: { resources: [{ kind: byCluster ? 'Cluster' : 'Namespace', criterion: 'Equals', value: where }], ...(i % 5 === 0 && { cloud: [{ provider: 'aws' }] }) },
    conditions: template.conditions,
    unscanned: i % 6 === 0 ? 'Trigger' : 'Ignore',
    exemptions: i % 4 === 0 ? [{ type: 'CVE', criterion: 'Equals', value: pick(CVES).id, expires: '2027-06-30', reason: 'vendor says not reachable' }] : [],
  };
  const snapshot: RuleSnapshot = {
    name: rule.name,
    id: randomUUID(),
    version: 1 + (i % 4),
    action: rule.action,
    description: describeRule(rule),
    scope: rule.scope,
    conditions: rule.conditions,
    unscanned: rule.unscanned,
    timeZone: rule.timeZone,
    exemptions: rule.exemptions.map((exemption) => ({ ...exemption, state: 'Active', applied: false })),
  };
  return { rule, snapshot };
});
const USERS = ['system:serviceaccount:argocd:argocd-application-controller', 'ci-deployer@example.com', 'alice@example.com', 'bob@example.com', 'system:serviceaccount:flux-system:kustomize-controller'];

function eventFinding(cve: Cve): EventFinding {
  return { id: cve.id, severity: cve.severity, package: cve.package, version: cve.version, ...(cve.fixedVersion !== undefined && { fixedVersion: cve.fixedVersion }), cvss: { score: cve.score, version: '3.1' } };
}

/** One event as a webhook records it: mostly audited or denied requests, some allowed ones. */
function anEvent(timeMs: number): AdmissionEvent {
  const time = new Date(timeMs);
  const cluster = weighted(CLUSTERS);
  const namespace = popular(NAMESPACES, 1.8);
  const kind = weighted(KINDS);
  const workload = `${namespace}-${popular(WORKLOADS, 1.5)}`;
  const name = kind === 'Pod' ? `${workload}-${hex(String(timeMs)).slice(0, 10)}-${hex(String(random())).slice(0, 5)}` : workload;
  const images = [...new Set(Array.from({ length: weighted([[1, 70], [2, 22], [3, 8]] as const) }, () => popular(IMAGES, 2.5)))];
  // Half the requests trigger no rule; the others one to three, popular rules more often.
  const triggered = random() < 0.5 ? [] : [...new Set(Array.from({ length: 1 + Math.floor(random() ** 2 * 3) }, () => popular(RULES, 2)))];
  const enforced = kind !== 'Pod' && kind !== 'ReplicaSet';
  const eventImages: EventImage[] = images.map((image) => {
    const violations: EventViolation[] = [];
    const matchedIds = new Set<string>();
    const named = new Map<string, EventFinding>();
    for (const { rule, snapshot } of triggered) {
      if (!image.scanned) {
        if (rule.unscanned === 'Trigger') violations.push({ rule: rule.name, ruleId: snapshot.id, ruleVersion: snapshot.version, action: rule.action, enforced, reason: 'NoEvidence', detail: 'not scanned', findingCount: 0, findings: [] });
        continue;
      }
      if (image.cves.length === 0) continue;
      const matched = image.cves.slice(0, 1 + Math.floor(random() ** 2 * Math.min(30, image.cves.length)));
      for (const cve of matched) matchedIds.add(cve.id);
      violations.push({
        rule: rule.name,
        ruleId: snapshot.id,
        ruleVersion: snapshot.version,
        action: rule.action,
        enforced,
        reason: 'Findings',
        detail: `${matched.length} finding${matched.length === 1 ? '' : 's'}`,
        findingCount: matched.length,
        findings: matched.slice(0, EVENT_FINDINGS_PER_VIOLATION).map((cve) => {
          if (!named.has(cve.id)) named.set(cve.id, eventFinding(cve));
          return cve.id;
        }),
      });
    }
    return { reference: image.reference, digest: image.digest, scanStatus: image.scanned ? 'Scanned' : 'NotScanned', counts: image.counts, violations, findings: [...named.values()], matched: [...matchedIds] };
  });
  const violations = eventImages.flatMap((image) => image.violations.map((violation) => ({ image: image.reference, violation })));
  let decision: EventDecision = violations.some(({ violation }) => violation.action === 'Deny' && violation.enforced) ? 'Denied' : violations.length > 0 ? 'Audited' : 'Allowed';
  const breakGlass = decision === 'Denied' && random() < 0.05 ? 'INC-4711: hotfix for the checkout outage' : undefined;
  if (breakGlass !== undefined) decision = 'BreakGlass';
  if (random() < 0.003) decision = 'Error';
  const used = new Set(violations.map(({ violation }) => violation.rule));
  const who = `${kind} ${namespace}/${name}`;
  const message =
    violations.length === 0
      ? `${decision}: ${who}: no rule triggered`
      : `${decision}: ${who}: ${violations.slice(0, 3).map(({ image, violation }) => `${image} violates '${violation.rule}' (${violation.action}: ${violation.detail})`).join('; ')}`;
  return {
    id: eventId(time),
    time: time.toISOString(),
    cluster: cluster.name,
    account: cluster.account,
    provider: cluster.provider,
    namespace,
    kind,
    name,
    workload,
    operation: random() < 0.55 ? 'CREATE' : 'UPDATE',
    user: kind === 'Pod' || kind === 'ReplicaSet' ? 'system:serviceaccount:kube-system:replicaset-controller' : popular(USERS, 1.5),
    dryRun: random() < 0.02,
    decision,
    message,
    images: eventImages,
    rules: triggered.filter(({ rule }) => used.has(rule.name)).map(({ snapshot }) => snapshot),
    source: 'webhook',
    requestUid: randomUUID(),
    ...(breakGlass !== undefined && { breakGlass }),
  };
}

// ---- measuring ------------------------------------------------------------------------------------

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
const sortedOf = (samples: readonly number[]): number[] => [...samples].sort((a, b) => a - b);
const ms = (value: number): string => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const count = (n: number): string => n.toLocaleString('en-US');
const pad = (text: string, width: number): string => text.padEnd(width);
const padLeft = (text: string, width: number): string => text.padStart(width);
function memory(): string {
  const usage = process.memoryUsage();
  return `rss ${mib(usage.rss)}, heap used ${mib(usage.heapUsed)}, peak rss ${mib(process.resourceUsage().maxRSS * 1024)}`;
}

interface Client {
  call(method: 'GET' | 'POST', path: string, secret: string, body?: string): Promise<{ status: number; text: string }>;
  close(): void;
}

function httpClient(base: string): Client {
  const url = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets: Math.max(1, concurrency) });
  return {
    call: (method, path, secret, body) =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path,
            method,
            agent,
            headers: { authorization: `Bearer ${secret}`, ...(body !== undefined && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }) },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
            response.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

// ---- the run --------------------------------------------------------------------------------------

const DAY = 86_400_000;
const HOUR = 3_600_000;
const now = Date.now();
const db = await benchDatabase(storeKind, 'events');
const { store } = db;
try {
  await store.migrate();
  console.log(`admission events benchmark: ${count(eventCount)} events into ${store.kind} (node ${process.version})`);
  console.log(`  database              ${db.description}`);
  console.log(`  world                 ${CLUSTERS.length} clusters, ${NAMESPACES.length} namespaces, ${RULES.length} rules, ${IMAGES.length} images, ${count(CVES.length)} CVEs, 30 days`);

  // Through the store: the events of 30 days, in the order webhooks deliver them (by time).
  const span = 30 * DAY - HOUR;
  const start = now - 30 * DAY;
  let generateMs = 0;
  let insertMs = 0;
  let bytes = 0;
  const batchMs: number[] = [];
  const wallStart = performance.now();
  let nextReport = eventCount / 10;
  for (let done = 0; done < eventCount; ) {
    const t0 = performance.now();
    const size = Math.min(batchSize, eventCount - done);
    const batch = Array.from({ length: size }, (_, i) => anEvent(start + ((done + i) / eventCount) * span + Math.floor(random() * 30_000)));
    if (done < 10_000) bytes += batch.reduce((sum, event) => sum + JSON.stringify(event).length, 0);
    const t1 = performance.now();
    await store.events.insert(batch);
    const t2 = performance.now();
    generateMs += t1 - t0;
    insertMs += t2 - t1;
    batchMs.push(t2 - t1);
    done += size;
    if (done >= nextReport || done === eventCount) {
      const recent = batchMs.slice(-Math.max(1, Math.round(eventCount / 10 / batchSize)));
      const recentRate = (recent.length * batchSize) / (recent.reduce((a, b) => a + b, 0) / 1000);
      console.log(`    ${padLeft(count(done), 10)} stored   ${padLeft(count(Math.round((done / insertMs) * 1000)), 7)} events/s so far, ${padLeft(count(Math.round(recentRate)), 7)} events/s in the last tenth`);
      nextReport += eventCount / 10;
    }
  }
  const wallS = (performance.now() - wallStart) / 1000;
  const sortedBatches = sortedOf(batchMs);
  console.log(`  store ingestion       ${count(eventCount)} events in batches of ${batchSize}: ${count(Math.round((eventCount / insertMs) * 1000))} events/s (insert time ${(insertMs / 1000).toFixed(1)} s; wall ${wallS.toFixed(1)} s incl. generating ${(generateMs / 1000).toFixed(1)} s)`);
  console.log(`  batch of ${batchSize}          p50 ${ms(percentile(sortedBatches, 50))}, p99 ${ms(percentile(sortedBatches, 99))}, max ${ms(sortedBatches.at(-1) ?? 0)}`);
  console.log(`  event size            ${count(Math.round(bytes / Math.min(eventCount, 10_000)))} bytes of JSON on average`);
  const settled = await db.settle();
  if (settled) console.log(`  ${settled}`);
  console.log(`  database size         ${mib(await db.size())} (events and their index tables)`);
  console.log(`  memory                ${memory()}`);

  // Through the API: a Sensor's deliveries over keep-alive connections, several webhooks at once.
  const app = buildApi({ store, now: () => new Date(), logger: false });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const client = httpClient(address);
  try {
    const sensor = (await createToken(store, { name: 'bench-sensor', role: 'Sensor', createdBy: 'bench' }, new Date())).secret;
    const reader = (await createToken(store, { name: 'bench-reader', role: 'SecurityReader', createdBy: 'bench' }, new Date())).secret;
    const bodies: string[] = [];
    for (let done = 0; done < apiEventCount; done += batchSize) {
      const size = Math.min(batchSize, apiEventCount - done);
      bodies.push(JSON.stringify({ events: Array.from({ length: size }, (_, i) => anEvent(now - HOUR + ((done + i) / apiEventCount) * (HOUR - 60_000))) }));
    }
    const postMs: number[] = [];
    let next = 0;
    let stored = 0;
    const apiStart = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < bodies.length; i = next++) {
          const t0 = performance.now();
          const response = await client.call('POST', '/api/v1/events', sensor, bodies[i]);
          postMs.push(performance.now() - t0);
          if (response.status !== 200) throw new Error(`POST /api/v1/events answered ${response.status}: ${response.text.slice(0, 500)}`);
          stored += (JSON.parse(response.text) as { stored: number }).stored;
        }
      }),
    );
    const apiS = (performance.now() - apiStart) / 1000;
    const sortedPosts = sortedOf(postMs);
    const mbPerBatch = bodies.reduce((sum, body) => sum + body.length, 0) / bodies.length / 1e6;
    console.log(
      `  API ingestion         ${count(stored)} events, POST /api/v1/events of ${batchSize} (${mbPerBatch.toFixed(2)} MB), ${concurrency} at once: ${count(Math.round(stored / apiS))} events/s; ` +
        `request p50 ${ms(percentile(sortedPosts, 50))}, p99 ${ms(percentile(sortedPosts, 99))}`,
    );

    // Listing: each filter asked `requests` times in a row, values varied as people would.
    const iso = (time: number): string => new Date(time).toISOString();
    const usedCves = [...new Set(IMAGES.flatMap((image) => image.cves.slice(0, 30).map((cve) => cve.id)))];
    let round = 0;
    const cycle = <T>(list: readonly T[]): T => list[round % list.length] as T;
    const filters: readonly { name: string; query: () => string }[] = [
      { name: 'none', query: () => '' },
      { name: 'decision=Denied', query: () => 'decision=Denied' },
      { name: 'namespace', query: () => `namespace=${cycle(NAMESPACES)}` },
      { name: 'cluster', query: () => `cluster=${cycle(CLUSTERS)[0].name}` },
      { name: 'rule', query: () => `rule=${encodeURIComponent(popular(RULES, 2).rule.name)}` },
      { name: 'image', query: () => `image=${encodeURIComponent(popular(IMAGES, 2.5).reference)}` },
      { name: 'image digest', query: () => `image=${encodeURIComponent(popular(IMAGES, 2.5).digest)}` },
      { name: 'cve', query: () => `cve=${popular(usedCves, 2)}` },
      { name: 'last 24h', query: () => `from=${iso(now - DAY)}` },
      { name: 'namespace+Denied', query: () => `namespace=${cycle(NAMESPACES)}&decision=Denied` },
      { name: 'cluster+rule+24h', query: () => `cluster=${cycle(CLUSTERS)[0].name}&rule=${encodeURIComponent(popular(RULES, 2).rule.name)}&from=${iso(now - DAY)}` },
    ];
    const rows: string[][] = [];
    const list = async (query: string): Promise<{ ms: number; events: number; nextCursor?: string }> => {
      const t0 = performance.now();
      const response = await client.call('GET', `/api/v1/events${query === '' ? '' : `?${query}`}`, reader);
      const elapsed = performance.now() - t0;
      if (response.status !== 200) throw new Error(`GET /api/v1/events?${query} answered ${response.status}: ${response.text.slice(0, 500)}`);
      const page = JSON.parse(response.text) as { events: unknown[]; nextCursor?: string };
      return { ms: elapsed, events: page.events.length, ...(page.nextCursor !== undefined && { nextCursor: page.nextCursor }) };
    };
    const row = (name: string, samples: readonly number[], events: number, note = ''): string[] => {
      const sorted = sortedOf(samples);
      return [name, String(samples.length), ms(percentile(sorted, 50)), ms(percentile(sorted, 99)), ms(sorted.at(-1) ?? 0), (events / samples.length).toFixed(1), note];
    };
    for (const filter of filters) {
      for (let i = 0; i < 10; i++) await list(filter.query());
      const samples: number[] = [];
      let events = 0;
      for (round = 0; round < requestsPerFilter; round++) {
        const page = await list(filter.query());
        samples.push(page.ms);
        events += page.events;
      }
      rows.push(row(filter.name, samples, events));
    }
    // Deep pages: the newest 20 pages of everything, cursor by cursor.
    const walks = Math.max(1, Math.round(requestsPerFilter / 20));
    const deep: number[] = [];
    const last: number[] = [];
    let deepEvents = 0;
    let lastEvents = 0;
    for (let walk = 0; walk < walks; walk++) {
      let cursor: string | undefined;
      for (let page = 1; page <= 20; page++) {
        const answer = await list(cursor === undefined ? '' : `cursor=${encodeURIComponent(cursor)}`);
        deep.push(answer.ms);
        deepEvents += answer.events;
        if (page === 20) {
          last.push(answer.ms);
          lastEvents += answer.events;
        }
        cursor = answer.nextCursor;
        if (cursor === undefined) break;
      }
    }
    rows.push(row('pages 1-20 (cursor)', deep, deepEvents, `${walks} walks`));
    rows.push(row('page 20 alone', last, lastEvents));
    const headers = ['GET /api/v1/events', 'requests', 'p50', 'p99', 'max', 'events/page', ''];
    const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((r) => (r[i] ?? '').length)));
    console.log(`  listing (limit 50, one request at a time, ${count(eventCount + stored)} events stored):`);
    for (const line of [headers, ...rows]) console.log(`    ${line.map((cell, i) => (i === 0 || i === line.length - 1 ? pad(cell, widths[i] ?? 0) : padLeft(cell, widths[i] ?? 0))).join('  ')}`.trimEnd());
    console.log(`  memory                ${memory()}`);
  } finally {
    client.close();
    await app.close();
  }
} finally {
  await db.close();
}
