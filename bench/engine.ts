// Engine benchmark: one workload of 5 images with 500 findings each, against 1,000 rules.
// Prints evaluations per second, p50/p99/max latency and memory. A report, not a test.
//   npm run bench:engine [-- --rules 1000 --images 5 --findings 500 --seconds 5]
import { parseArgs } from 'node:util';
import type { Finding } from '../src/findings/model.js';
import { parseImageReference } from '../src/images/reference.js';
import { compileRules } from '../src/policy/compile.js';
import { evaluate } from '../src/policy/evaluate.js';
import { ImageEvidence } from '../src/policy/evidence.js';
import type { Rule } from '../src/policy/rule.js';
import type { EvaluationTarget } from '../src/policy/target.js';
import { seededRandom, syntheticFindings, syntheticRules } from './synthetic.js';

const { values } = parseArgs({
  options: {
    rules: { type: 'string', default: '1000' },
    images: { type: 'string', default: '5' },
    findings: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '5' },
  },
});
const ruleCount = Number(values.rules);
const imageCount = Number(values.images);
const findingCount = Number(values.findings);
const seconds = Number(values.seconds);

const random = seededRandom(42);
const findings = (image: number): Finding[] => syntheticFindings(findingCount, image, random);
const rules = (): Rule[] => syntheticRules(ruleCount, random);

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const setupStart = performance.now();
const images = Array.from({ length: imageCount }, (_, i) => {
  const reference = `registry.example.com/team/service-${i}:1.${i}`;
  return {
    reference,
    parsed: parseImageReference(reference),
    digest: `sha256:${String(i).repeat(64).slice(0, 64)}`,
    status: 'Scanned' as const,
    evidence: new ImageEvidence(findings(i), Date.parse('2026-11-01T00:00:00Z')),
  };
});
const evidenceMs = performance.now() - setupStart;
const compileStart = performance.now();
const compiled = compileRules(rules().map((rule) => ({ rule })));
const compileMs = performance.now() - compileStart;

const target: EvaluationTarget = {
  cluster: { name: 'prod-eu-1', provider: 'aws', account: '123456789012' },
  workload: { kind: 'Deployment', namespace: 'prod-payments', name: 'checkout', podName: 'checkout', workloadName: 'checkout', labels: { app: 'checkout', env: 'prod' } },
  images,
};
const now = new Date('2026-11-24T12:00:00Z');

// Warm up the JIT and the per-image caches, as a long-running webhook would be.
for (let i = 0; i < 200; i++) evaluate(target, compiled, now);

const samples: number[] = [];
const deadline = performance.now() + seconds * 1000;
let last = evaluate(target, compiled, now);
const runStart = performance.now();
while (performance.now() < deadline) {
  const t0 = performance.now();
  last = evaluate(target, compiled, now);
  samples.push(performance.now() - t0);
}
const elapsed = (performance.now() - runStart) / 1000;
const sorted = Float64Array.from(samples).sort();
const memory = process.memoryUsage();
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

console.log(`engine benchmark: ${imageCount} images x ${findingCount} findings, ${ruleCount} rules (node ${process.version})`);
console.log(`  precompute evidence   ${evidenceMs.toFixed(1)} ms (once per image, at scan import)`);
console.log(`  compile rules         ${compileMs.toFixed(1)} ms (once per rules change)`);
console.log(`  evaluations           ${samples.length} in ${elapsed.toFixed(2)} s`);
console.log(`  throughput            ${(samples.length / elapsed).toFixed(0)} evaluations/s`);
console.log(`  latency p50           ${(percentile(sorted, 50) * 1000).toFixed(0)} µs`);
console.log(`  latency p99           ${(percentile(sorted, 99) * 1000).toFixed(0)} µs`);
console.log(`  latency max           ${((sorted[sorted.length - 1] ?? 0) * 1000).toFixed(0)} µs`);
console.log(`  rules in scope        ${last.rulesInScope.length}, violations ${last.violations.length}, decision ${last.decision}`);
console.log(`  memory                rss ${mb(memory.rss)}, heap used ${mb(memory.heapUsed)}`);
