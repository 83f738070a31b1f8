// The all-in-one's webhook in its own thread: it opens the store the control plane opened, syncs
// from it, records into it, and answers while the thread that started it (the control plane's,
// in `serve`) is held.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { aDeployment, aRequest } from '../admission/testing/requests.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { admissionResponse, https, reviewOf } from './testing/https.js';
import { fakeDigest, findingsOf, putScan, ruleOf, scanOf, silentLogger, until } from './testing/webhook-harness.js';
import { startWebhookThread, type RunningWebhookThread, type WebhookThreadOptions } from './webhook-thread.js';

let dir: string;
let store: SqliteStore;
let running: RunningWebhookThread | undefined;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-webhook-thread-'));
  store = new SqliteStore(join(dir, 'portcullis.db'));
  await store.migrate();
  await store.rules.create(ruleOf('deny-critical'), 'test', new Date().toISOString());
  await putScan(store, scanOf([fakeDigest('a')], findingsOf('Critical', 2), ['docker.io/library/nginx:1.25']));
});

afterEach(async () => {
  await running?.close();
  running = undefined;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function options(overrides: Partial<WebhookThreadOptions> = {}): WebhookThreadOptions {
  return {
    database: `sqlite:${join(dir, 'portcullis.db')}`,
    dataDir: join(dir, 'webhook'),
    host: '127.0.0.1',
    port: 0,
    failureMode: 'closed',
    deadlineMs: 2_000,
    registry: { resolve: false },
    excludedNamespaces: ['kube-system'],
    syncIntervalMs: 100,
    logger: silentLogger(),
    ...overrides,
  };
}

const review = (uid: string) => reviewOf(aRequest(aDeployment(['nginx:1.25'], { namespace: 'shop' }), { uid }));

// A client in another process, which sends its review once the file `sending` appears and marks
// `answered` once the answer is in: this thread is held while it does.
const CLIENT = `
const https = require('node:https');
const fs = require('node:fs');
const [url, ca, body, dir] = process.argv.slice(1);
fs.writeFileSync(dir + '/sending', '');
const request = https.request(url, { method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (response) => {
  let text = '';
  response.on('data', (chunk) => (text += chunk));
  response.on('end', () => {
    fs.writeFileSync(dir + '/answer', text);
    fs.writeFileSync(dir + '/answered', '');
  });
});
request.end(body);
`;

/** Holds this thread (no event loop turns) until `file` exists or `ms` have passed; whether it appeared. */
function holdUntil(file: string, ms: number): boolean {
  const tick = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (existsSync(file)) return true;
    Atomics.wait(tick, 0, 0, 10);
  }
  return existsSync(file);
}

describe('the webhook thread', () => {
  test('answers from the store while the thread that started it is held, and records the event into the store', async () => {
    running = await startWebhookThread(options());
    const { url, caPem } = running;
    expect(caPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    // Its first sync from the store: the rule and the scan.
    await until(async () => !admissionResponse(await https(`${url}/validate`, { body: review('warm'), ...(caPem && { ca: caPem }) })).allowed, 'the webhook to sync from the store');

    const client = spawn(process.execPath, ['-e', CLIENT, `${url}/validate`, caPem ?? '', JSON.stringify(review('held')), dir], { stdio: 'ignore' });
    const exited = new Promise((resolve) => client.once('exit', resolve));
    // Held from before the client sends until its answer is in: with the webhook on this thread,
    // the answer could only come once the hold ended (20 s here, far past the client's wait).
    expect(holdUntil(join(dir, 'sending'), 20_000)).toBe(true);
    const answeredWhileHeld = holdUntil(join(dir, 'answered'), 20_000);
    await exited;
    expect(answeredWhileHeld).toBe(true);
    const answer = JSON.parse(readFileSync(join(dir, 'answer'), 'utf8')) as { response: { uid: string; allowed: boolean; status?: { code: number; message: string }; auditAnnotations?: Record<string, string> } };
    expect(answer.response).toMatchObject({ uid: 'held', allowed: false, status: { code: 403 } });
    expect(answer.response.status?.message).toContain('deny-critical');

    // Closing delivers the outbox into the store, through the thread's own connection.
    const eventId = answer.response.auditAnnotations?.['event-id'] ?? '';
    await running.close();
    running = undefined;
    expect(await store.events.get(eventId)).toMatchObject({ id: eventId, decision: 'Denied', namespace: 'shop', requestUid: 'held', source: 'webhook' });
  });

  test('a webhook that cannot start (its port taken) is the start’s error', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(startWebhookThread(options({ port }))).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  test('bad TLS files are the start’s error, with the file named', async () => {
    writeFileSync(join(dir, 'tls.crt'), 'not a certificate');
    writeFileSync(join(dir, 'tls.key'), 'not a key');
    await expect(startWebhookThread(options({ tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') } }))).rejects.toThrow(/tls\.(crt|key)/);
  });

  test('close ends the thread: the port is free again', async () => {
    running = await startWebhookThread(options());
    const port = Number(new URL(running.url).port);
    await running.close();
    running = undefined;
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => again.close(resolve));
  });
});
