// `portcullis serve` killed (SIGKILL) in the middle of a large scan import: during the upload,
// while the report is read, while its rows are written. After a restart on the same data
// directory the image shows the whole old scan or the whole new one, and the database is sound.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, expect, test } from 'vitest';

const ENTRY = join(import.meta.dirname, '../../test/support/portcullis.ts');
const TOKEN = 'pcl_crash-test-admin-token-0123456789';
const IMAGE = `sha256:${'c'.repeat(64)}`;
const TAG = 'registry.example.com/team/big:1.0';
/** About 20 MB of native ImageScan: seconds to read, and a write of thousands of pages. */
const LARGE_FINDINGS = 100_000;

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<unknown>;
}

const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-crash-'));
let running: Server | undefined;

afterAll(async () => {
  if (running) {
    running.child.kill('SIGKILL');
    await running.exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

async function serve(): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], {
    env: { ...process.env, PORTCULLIS_ADMIN_TOKEN: TOKEN },
    // The JSON logs are not read: a pipe nobody drains would stall the server.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise((done) => child.once('exit', done));
  let stderr = '';
  const url = await new Promise<string>((done, fail) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match?.[1]) done(match[1]);
    });
    void exited.then(() => fail(new Error(`serve exited before listening:\n${stderr}`)));
  });
  running = { child, url, exited };
  return running;
}

async function kill(server: Server): Promise<void> {
  server.child.kill('SIGKILL');
  await server.exited;
  running = undefined;
}

function nativeScan(findings: number, scannedAt: string, digest = IMAGE): Buffer {
  const severities = ['Critical', 'High', 'Medium', 'Low'];
  return Buffer.from(
    JSON.stringify({
      source: { scanner: 'native' },
      scannedAt,
      digests: [digest],
      repoTags: [TAG],
      findings: Array.from({ length: findings }, (_, i) => ({
        id: `CVE-2025-${String(i).padStart(6, '0')}`,
        severity: severities[i % severities.length],
        package: { name: `pkg-${i % 2000}`, version: `1.${i % 50}.0`, type: 'deb' },
        fixedVersion: `1.${i % 50}.1`,
        title: `An out-of-bounds write in pkg-${i % 2000} lets a remote attacker run code`,
      })),
    }),
  );
}

interface Upload {
  /** Resolves when `until` bytes (default: all of them) are handed to the socket. */
  readonly sent: Promise<void>;
  /** The status, or undefined when the connection died first. */
  readonly answered: Promise<number | undefined>;
}

/** POST /api/v1/scans, 1 MiB at a time; with `until`, the rest is never sent. */
function postScan(server: Server, body: Buffer, until = body.length): Upload {
  const req = request(`${server.url}/api/v1/scans`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'content-length': body.length },
  });
  const answered = new Promise<number | undefined>((done) => {
    req.once('response', (response) => {
      response.resume();
      response.once('end', () => done(response.statusCode));
      response.once('error', () => done(undefined));
    });
    req.once('error', () => done(undefined));
  });
  const sent = (async () => {
    const chunk = 1024 * 1024;
    for (let offset = 0; offset < until && !req.destroyed; offset += chunk) {
      const more = req.write(body.subarray(offset, Math.min(until, offset + chunk)));
      if (!more) await drainedOrClosed(req);
    }
    if (until === body.length) await new Promise<void>((flushed) => req.end(flushed));
  })();
  return { sent, answered };
}

function drainedOrClosed(req: ClientRequest): Promise<void> {
  return new Promise((done) => {
    const go = (): void => {
      req.off('drain', go).off('close', go);
      done();
    };
    req.on('drain', go).on('close', go);
  });
}

interface ImageView {
  scans: { id: string; scannedAt: string }[];
  findingCount: number;
}

async function image(server: Server, digest = IMAGE): Promise<ImageView> {
  const response = await fetch(`${server.url}/api/v1/images/${digest}?limit=1`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as ImageView;
}

/**
 * Bytes the process has written (Linux /proc/PID/io `wchar`): SQLite's pages, and little else,
 * as the logs are small. Undefined where there is no /proc.
 */
function written(server: Server): number | undefined {
  try {
    const match = /^wchar: (\d+)$/m.exec(readFileSync(`/proc/${server.child.pid}/io`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** Waits until the server has written `bytes` more than when called; false when it answered first. */
async function writing(server: Server, bytes: number, answered: Promise<number | undefined>): Promise<boolean> {
  const start = written(server);
  if (start === undefined) return false;
  let done = false;
  void answered.then(() => (done = true));
  for (;;) {
    if (done) return false;
    if ((written(server) ?? start) - start >= bytes) return true;
    await new Promise((next) => setImmediate(next));
  }
}

function integrity(): string {
  const db = new Database(join(dataDir, 'portcullis.db'), { readonly: true, fileMustExist: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

type KillAt =
  | { readonly during: 'upload'; readonly fraction: number }
  | { readonly during: 'processing'; readonly afterMs: number }
  | { readonly during: 'write'; readonly afterBytes: number };

const MiB = 1024 * 1024;

// Each row: where the kill lands. `write` rows kill once the server has written that much since
// the upload ended. The scan's row is larger than the report, and all of it reaches the WAL
// before the commit: a kill before half of it is written is a kill mid-transaction. Past its size
// the commit and the checkpoint run, or the import has answered.
const KILLS: readonly KillAt[] = [
  { during: 'upload', fraction: 0.5 },
  { during: 'processing', afterMs: 0 },
  { during: 'write', afterBytes: 1 * MiB },
  { during: 'write', afterBytes: 8 * MiB },
  { during: 'write', afterBytes: 16 * MiB },
  { during: 'write', afterBytes: 32 * MiB },
];

// Its own limit: a server started again after each kill, 24–30 s in all in CI, more on a busier runner.
test('a server killed in the middle of a large scan import shows the whole old scan or the whole new one after a restart', { timeout: 120_000 }, async () => {
  let server = await serve();
  const first = await fetch(`${server.url}/api/v1/scans`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: nativeScan(25, '2026-03-01T00:00:00Z'),
  });
  expect(first.status).toBe(201);
  let current = { id: ((await first.json()) as { id: string }).id, findingCount: 25, scannedAt: '2026-03-01T00:00:00.000Z' };
  expect(await image(server)).toMatchObject({ findingCount: 25, scans: [{ id: current.id }] });

  const outcomes: string[] = [];
  for (const [i, killAt] of KILLS.entries()) {
    // Each import is newer than every one before, and of its own size: the one shown is known by both.
    const findingCount = LARGE_FINDINGS + i;
    const scannedAt = new Date(Date.parse('2026-03-02T00:00:00Z') + i * 3_600_000).toISOString();
    const body = nativeScan(findingCount, scannedAt);

    const upload = postScan(server, body, killAt.during === 'upload' ? Math.floor(body.length * killAt.fraction) : body.length);
    await upload.sent;
    let landed = killAt.during;
    if (killAt.during === 'processing') await sleep(killAt.afterMs);
    if (killAt.during === 'write' && !(await writing(server, killAt.afterBytes, upload.answered))) landed = 'processing';
    const status = await Promise.race([upload.answered, sleep(0, 'pending' as const)]);
    await kill(server);
    // A kill that came too late (the import answered) proves nothing of atomicity: the rows say so.
    outcomes.push(`${JSON.stringify(killAt)}: ${status === 'pending' ? `killed during ${landed}` : `answered ${status} first`}`);

    server = await serve();
    const shown = await image(server);
    expect(shown.scans).toHaveLength(1);
    const whole = shown.scans[0]?.id === current.id ? current : { id: shown.scans[0]?.id ?? '', findingCount, scannedAt };
    expect({ id: shown.scans[0]?.id, findingCount: shown.findingCount, scannedAt: shown.scans[0]?.scannedAt }, outcomes.at(-1)).toEqual(whole);
    const uncommitted = killAt.during === 'upload' || (landed === 'write' && killAt.during === 'write' && killAt.afterBytes <= body.length / 2);
    if (uncommitted) expect(whole, `${outcomes.at(-1)}: nothing can have been committed`).toBe(current);
    outcomes[outcomes.length - 1] += whole === current ? ', old scan kept' : ', new scan stored';
    current = whole;

    expect(integrity()).toBe('ok');
    // The database takes further imports.
    const other = `sha256:${String(i).repeat(64)}`;
    const small = await fetch(`${server.url}/api/v1/scans`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: nativeScan(3, '2026-03-01T00:00:00Z', other),
    });
    expect(small.status).toBe(201);
    expect((await image(server, other)).findingCount).toBe(3);
  }
  // On Linux, at least one kill landed while the server was writing the scan.
  if (written(server) !== undefined) expect(outcomes.filter((outcome) => outcome.includes('killed during write')).length, outcomes.join('\n')).toBeGreaterThan(0);
  await kill(server);
});
