// Where a CPU profile's time went, by function: self time and time including callees, as a share
// of the profile and in microseconds per request when the number of requests is given.
//   node --import tsx bench/profile-summary.ts FILE.cpuprofile [--last 10] [--requests N] [--top 40]
// `--last S`: only the profile's last S seconds (e.g. the measured run, not the warm-up).
// Profiles come from `npm run bench:webhook -- --cpu-prof DIR` (the webhook process), or any
// `node --cpu-prof`.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { last: { type: 'string' }, requests: { type: 'string' }, top: { type: 'string', default: '40' } } });
const file = positionals[0];
if (file === undefined) {
  console.error('usage: profile-summary FILE.cpuprofile [--last S] [--requests N] [--top N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

// Sample times are the start time plus the running sum of the deltas (µs).
const from = values.last === undefined ? -Infinity : profile.endTime - Number(values.last) * 1e6;
const sampled = new Map<number, number>();
let at = profile.startTime;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  at += delta;
  if (at >= from) sampled.set(id, (sampled.get(id) ?? 0) + delta);
});

const nameOf = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*\/(node_modules\/[^/]+|src|bench)\//, '$1/');
  return `${functionName || '(anonymous)'} ${where}${where ? `:${lineNumber + 1}` : ''}`;
};
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
for (const [id, time] of sampled) {
  total += time;
  const node = byId.get(id);
  if (!node) continue;
  self.set(nameOf(node), (self.get(nameOf(node)) ?? 0) + time);
  // Each function once per sample, however deep it recurses.
  const seen = new Set<string>();
  for (let current: number | undefined = id; current !== undefined; current = parentOf.get(current)) {
    const name = nameOf(byId.get(current) as ProfileNode);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + time);
  }
}

const requests = values.requests === undefined ? undefined : Number(values.requests);
const top = Number(values.top);
const line = ([name, time]: [string, number]) =>
  `${((time / total) * 100).toFixed(1).padStart(6)}%${requests ? `${(time / requests).toFixed(1).padStart(9)} µs/req` : ''}  ${name}`;
console.log(`${(total / 1e6).toFixed(1)} s of samples${requests ? `, ${requests} requests: ${(total / requests).toFixed(0)} µs each` : ''}`);
console.log('\nself time');
for (const entry of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(line(entry));
console.log('\nincluding callees');
for (const entry of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(line(entry));
