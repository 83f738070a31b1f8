// Where the allocations of a sampling heap profile were made, by function: their bytes, as a
// share of the profile and in KB per request when the number of requests is given.
//   node --import tsx bench/heap-summary.ts FILE [--requests N] [--top 30]
// Profiles come from `npm run bench:webhook -- --heap-sample FILE`: what lived through a
// scavenge in the webhook over the full-load run (what the old generation grows by), or from any
// HeapProfiler.stopSampling.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface SampledNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly SampledNode[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { requests: { type: 'string' }, top: { type: 'string', default: '30' } } });
const file = positionals[0];
if (file === undefined) {
  console.error('usage: heap-summary FILE [--requests N] [--top N]');
  process.exit(2);
}
// Piped into `head`: the pipe closing is the end of the reading, not an error.
process.stdout.on('error', () => process.exit(0));
const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: SampledNode };

const bySite = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
const add = (map: Map<string, number>, key: string, bytes: number) => map.set(key, (map.get(key) ?? 0) + bytes);
// Iteratively: the trees are as deep as the stacks they sample.
for (const stack = [head]; stack.length > 0; ) {
  const node = stack.pop() as SampledNode;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*\/(node_modules\/[^/]+|src|bench)\//, '$1/');
  total += node.selfSize;
  add(bySite, `${functionName || '(anonymous)'} ${where}${where ? `:${lineNumber + 1}` : ''}`, node.selfSize);
  add(byFile, where || `(${functionName || 'anonymous'})`, node.selfSize);
  stack.push(...node.children);
}

const requests = values.requests === undefined ? undefined : Number(values.requests);
const line = (bytes: number, name: string) =>
  `${((bytes / total) * 100).toFixed(1).padStart(6)}% ${(bytes / 1e6).toFixed(1).padStart(8)} MB${requests ? ` ${(bytes / 1e3 / requests).toFixed(2).padStart(7)} KB/req` : ''}  ${name}`;
const top = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));

console.log(`${(total / 1e6).toFixed(1)} MB sampled${requests ? `, ${(total / 1e3 / requests).toFixed(1)} KB per request` : ''}`);
console.log('\nby function');
for (const [name, bytes] of top(bySite)) console.log(line(bytes, name));
console.log('\nby file');
for (const [name, bytes] of top(byFile)) console.log(line(bytes, name));
