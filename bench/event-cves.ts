// Admission events that name many CVEs, as the webhook's do (a Deployment of 3 images, about a
// hundred matched CVEs): how fast each store takes them, and what a page of one CVE's events
// costs, for a CVE in most events, one in about 1 %, and a rare one. A report, not a test.
//   npm run bench:event-cves [-- --store sqlite|postgres|both --events 20000 --cves 100 --universe 75000 --batch 100 --requests 100]
// PostgreSQL as in bench:events (PORTCULLIS_TEST_POSTGRES_URL, else a throwaway server).
import { parseArgs } from 'node:util';
import type { AdmissionEvent } from '../src/events/admission-event.js';
import { encodeCursor } from '../src/store/event-cursor.js';
import type { Store } from '../src/store/store.js';
import { anEvent } from '../src/store/testing/builders.js';
import { benchDatabase } from './event-databases.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'both' },
    events: { type: 'string', default: '20000' },
    cves: { type: 'string', default: '100' },
    universe: { type: 'string', default: '75000' },
    batch: { type: 'string', default: '100' },
    requests: { type: 'string', default: '100' },
  },
});
const STORES = { sqlite: ['sqlite'], postgres: ['postgres'], both: ['sqlite', 'postgres'] } as const;
const kinds = Object.hasOwn(STORES, values.store) ? STORES[values.store as keyof typeof STORES] : undefined;
if (!kinds) throw new Error(`--store is sqlite, postgres or both, not '${values.store}'`);
const [eventCount, cvesPerEvent, universe, batchSize, requests] = (['events', 'cves', 'universe', 'batch', 'requests'] as const).map((name) => {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a whole number of at least 1, not '${values[name]}'`);
  return value;
}) as [number, number, number, number, number];
if (cvesPerEvent > universe / 4) throw new Error(`--cves ${cvesPerEvent} must be at most a quarter of --universe ${universe}`);

// A fixed seed, so that both stores (and runs on other machines) get the same events.
let seed = 1;
const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
const cveId = (rank: number): string => `CVE-2024-${String(10_000 + rank).padStart(6, '0')}`;
const START = Date.UTC(2026, 9, 1);
const STEP_MS = 25;

const occurrences = new Map<string, number>();
const events: AdmissionEvent[] = Array.from({ length: eventCount }, (_, i) => {
  // Popular CVEs (base images) in most events, a long tail in few.
  const cves = new Set<string>();
  while (cves.size < cvesPerEvent) cves.add(cveId(Math.floor(random() ** 3 * universe)));
  for (const cve of cves) occurrences.set(cve, (occurrences.get(cve) ?? 0) + 1);
  const ids = [...cves];
  const third = Math.ceil(ids.length / 3);
  const images = [0, 1, 2].map((n) => ({ reference: `registry.example.com/team/app-${n}:1.${i % 7}`, violations: [{ rule: 'audit-high', cves: ids.slice(n * third, (n + 1) * third) }] }));
  return anEvent({ time: new Date(START + i * STEP_MS).toISOString(), seed: i, decision: 'Audited', rules: ['audit-high'], images });
});
const byFrequency = [...occurrences].sort((a, b) => b[1] - a[1]);
const nearest = (share: number): [string, number] => byFrequency.reduce((best, entry) => (Math.abs(entry[1] - share * eventCount) < Math.abs(best[1] - share * eventCount) ? entry : best));
const probes = [
  { name: 'common', entry: byFrequency[0] as [string, number] },
  { name: 'about 1 %', entry: nearest(0.01) },
  { name: 'rare', entry: nearest(5 / eventCount) },
];

const ms = (value: number): string => `${value.toFixed(2)} ms`;
const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
const bodyBytes = events.slice(0, 1000).reduce((sum, event) => sum + JSON.stringify(event).length, 0) / Math.min(1000, eventCount);
console.log(`events of many CVEs: ${eventCount.toLocaleString('en-US')} events of ${cvesPerEvent} CVEs drawn from ${universe.toLocaleString('en-US')}, ${Math.round(bodyBytes).toLocaleString('en-US')} bytes of JSON each, ${batchSize} a batch (node ${process.version})`);

for (const kind of kinds) {
  const db = await benchDatabase(kind, 'event-cves');
  try {
    await db.store.migrate();
    console.log(`  ${kind}: ${db.description}`);
    const batchMs: number[] = [];
    const started = performance.now();
    for (let i = 0; i < eventCount; i += batchSize) {
      const t0 = performance.now();
      await db.store.events.insert(events.slice(i, i + batchSize));
      batchMs.push(performance.now() - t0);
    }
    const seconds = (performance.now() - started) / 1000;
    const rate = eventCount / seconds;
    batchMs.sort((a, b) => a - b);
    console.log(`    stored          ${Math.round(rate).toLocaleString('en-US')} events/s (${((1e6 / rate) / cvesPerEvent).toFixed(1)} µs a CVE); a batch p50 ${ms(percentile(batchMs, 0.5))}, p99 ${ms(percentile(batchMs, 0.99))}; ${(await db.size() / 2 ** 20).toFixed(0)} MiB`);
    const settled = await db.settle();
    if (settled) console.log(`    ${settled}`);
    for (const { name, entry } of probes) {
      const [cve, count] = entry;
      const first = await pageTimes(db.store, cve);
      // A cursor halfway through the events' times: a page deep in a walk.
      const halfway = await pageTimes(db.store, cve, encodeCursor({ timeMs: START + Math.floor(eventCount / 2) * STEP_MS, id: 'z' }));
      console.log(`    ${`page of 50, ${name} CVE (${count.toLocaleString('en-US')} events)`.padEnd(44)} first p50 ${ms(first.p50)} p99 ${ms(first.p99)}; from halfway p50 ${ms(halfway.p50)} p99 ${ms(halfway.p99)}`);
    }
  } finally {
    await db.close();
  }
}

async function pageTimes(store: Store, cve: string, cursor?: string): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    await store.events.list({ cve }, { limit: 50, ...(cursor !== undefined && { cursor }) });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}
