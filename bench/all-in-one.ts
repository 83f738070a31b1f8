// The all-in-one `serve` as a user runs it (a process of its own, SQLite in its data directory):
// admission latency at a steady rate with the API idle, and while the API stores large scan
// reports one after another (a registry's nightly rescan pushed through POST /api/v1/scans).
// Beside it the same with `--database sqlite::memory:`, the one store that keeps the webhook on
// the API's thread: what every `serve` did before its webhook had a thread of its own.
//   npm run bench:all-in-one [-- --rate 100 --seconds 10 --findings 20000]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pacedLoad, type PacedLoad } from './webhook/paced-load.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    /** Findings per scan report posted while the load runs. */
    findings: { type: 'string', default: '20000' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const findingsPerReport = Number(values.findings);
const ENTRY = join(import.meta.dirname, '../test/support/portcullis.ts');
const IMAGES = Array.from({ length: 10 }, (_, i) => `registry.example.com/shop/app-${i}:1.0`);

interface Serve {
  readonly child: ChildProcess;
  readonly api: string;
  readonly token: string;
  readonly webhook: string;
}

async function startServe(dataDir: string, database: string | undefined): Promise<Serve> {
  const args = ['--import', 'tsx', ENTRY, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0', '--webhook-port', '0', '--no-resolve-tags', '--log-level', 'warn', ...(database ? ['--database', database] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const found = /listening on (http:\/\/\S+)[\s\S]*PORTCULLIS_TOKEN=(\S+)[\s\S]*Admission webhook listening on (https:\/\/\S+)\/validate/.exec(stderr);
      if (found) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)));
  });
  const [, api = '', token = '', webhook = ''] = match;
  return { child, api, token, webhook: webhook.replace('0.0.0.0', '127.0.0.1') };
}

function report(digit: string, image: string | undefined, count: number): string {
  const findings = Array.from({ length: count }, (_, i) => ({
    id: `CVE-2024-${String(i).padStart(6, '0')}`,
    severity: i % 10 === 0 ? 'Critical' : i % 3 === 0 ? 'High' : 'Medium',
    cvss: { score: 7.5, version: '3.1' },
    package: { name: `lib${i % 500}`, version: '1.0.0' },
    fixedVersion: '1.0.1',
  }));
  return JSON.stringify({ source: { scanner: 'trivy' }, manifestDigest: `sha256:${digit.padStart(64, '0')}`, repoTags: image ? [image] : [], findings });
}

async function post(serve: Serve, path: string, body: string): Promise<void> {
  const response = await fetch(`${serve.api}${path}`, { method: 'POST', headers: { authorization: `Bearer ${serve.token}`, 'content-type': 'application/json' }, body });
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
}

let uid = 0;
function review(): string {
  const images = [0, 1, 2].map(() => IMAGES[Math.floor(Math.random() * IMAGES.length)]);
  const containers = images.map((image, i) => ({ name: `c${i}`, image }));
  const object = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shop', namespace: 'shop' }, spec: { selector: {}, template: { metadata: { labels: { app: 'shop' } }, spec: { containers } } } };
  const request = { uid: `bench-${uid++}`, kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, resource: { group: 'apps', version: 'v1', resource: 'deployments' }, name: 'shop', namespace: 'shop', operation: 'CREATE', userInfo: { username: 'alice' }, object, dryRun: false };
  return JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });
}

interface Measured {
  readonly idle: PacedLoad;
  readonly busy: PacedLoad;
  readonly reports: number;
  readonly reportMs: number;
}

async function measure(database: string | undefined): Promise<Measured> {
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-all-in-one-'));
  const serve = await startServe(dataDir, database);
  try {
    // The images the reviews name, 50 findings each: the default rule audits them.
    for (const [i, image] of IMAGES.entries()) await post(serve, '/api/v1/scans', report(`a${i}`, image, 50));
    const load = () => pacedLoad({ url: serve.webhook, path: '/validate', rate, seconds, connections: 8, body: review });
    // The webhook syncs within a second; a first run warms it (and its JIT) up.
    await pacedLoad({ url: serve.webhook, path: '/validate', rate, seconds: 3, connections: 8, body: review });
    const idle = await load();
    // Reports of new images, one after another, for as long as the load runs.
    let reports = 0;
    let reportMs = 0;
    let loading = true;
    const body = report('b', undefined, findingsPerReport);
    const pushing = (async () => {
      while (loading) {
        const started = performance.now();
        await post(serve, '/api/v1/scans', body.replace(`sha256:${'b'.padStart(64, '0')}`, `sha256:${String(reports + 1).padStart(64, 'c')}`));
        reportMs += performance.now() - started;
        reports += 1;
      }
    })();
    const busy = await load();
    loading = false;
    await pushing;
    return { idle, busy, reports, reportMs: reports === 0 ? 0 : reportMs / reports };
  } finally {
    serve.child.kill('SIGTERM');
    await new Promise((resolve) => serve.child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const row = (name: string, l: PacedLoad) =>
  `${name.padEnd(58)} ${l.p50.toFixed(2).padStart(8)} ${l.p99.toFixed(2).padStart(8)} ${l.max.toFixed(1).padStart(8)} ${String(l.errors + l.non2xx).padStart(7)}`;

const threaded = await measure(undefined);
const shared = await measure('sqlite::memory:');
console.log(`all-in-one serve: reviews of a Deployment of 3 images at ${rate} req/s for ${seconds} s; meanwhile, scan reports of ${findingsPerReport} findings posted one after another (node ${process.version})`);
console.log(`${''.padEnd(58)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'errors'.padStart(7)}`);
console.log(row('webhook thread (SQLite file), API idle', threaded.idle));
console.log(row(`webhook thread (SQLite file), API storing reports`, threaded.busy));
console.log(row('API thread (sqlite::memory:), API idle', shared.idle));
console.log(row('API thread (sqlite::memory:), API storing reports', shared.busy));
console.log(`  reports stored during the load: ${threaded.reports} (${threaded.reportMs.toFixed(0)} ms each) with the webhook thread, ${shared.reports} (${shared.reportMs.toFixed(0)} ms each) on the API's thread`);
