// A webhook syncing in its thread says its snapshot is stale after failed rounds, as it did
// syncing on the admission thread: not because rounds are slow. A control plane behind a proxy
// that answers each request only after 250 ms, with a sync interval of 100 ms: every round
// succeeds, and each takes longer than three intervals.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { HttpSyncSource } from '../sensor/sync.js';
import { listeningControlPlane, ruleDocument, type ListeningControlPlane } from '../sensor/testing/control-plane.js';
import { startTestWebhook, until, type TestWebhook } from './testing/webhook-harness.js';

let cp: ListeningControlPlane;
let proxy: Server;
let proxyUrl: string;
let store: Store;

beforeAll(async () => {
  cp = await listeningControlPlane();
  const created = await cp.api.call('SecurityAdmin', 'POST', '/api/v1/rules', { body: ruleDocument('deny-critical') });
  expect(created.statusCode).toBe(201);
  const target = new URL(cp.url);
  proxy = createServer((incoming, outgoing) => {
    setTimeout(() => {
      const forwarded = httpRequest({ host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: incoming.headers }, (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      });
      // The webhook stopping (or the proxy) cuts connections under requests: nothing to report.
      forwarded.on('error', () => outgoing.destroy());
      incoming.pipe(forwarded);
    }, 250);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  // The webhook harness wants a store for its defaults; the source below replaces its own.
  store = await openStore('sqlite::memory:');
  await store.migrate();
});
afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
  await cp.close();
  await store.close();
});

test('slow rounds that succeed never make the snapshot stale', async () => {
  const webhook: TestWebhook = await startTestWebhook(store, { source: new HttpSyncSource({ url: proxyUrl, token: cp.connection('Sensor').token }), syncIntervalMs: 100, synced: false });
  try {
    await until(() => webhook.service.snapshot.state.syncedAt !== undefined, 'the first sync', 10_000);
    expect(webhook.service.snapshot.rules().map((rule) => rule.ref.name)).toEqual(['deny-critical']);
    let staleSeen = false;
    const watching = setInterval(() => (staleSeen ||= webhook.service.snapshot.state.stale), 10);
    try {
      // Some eight rounds of three requests each, 250 ms apiece.
      const rounds = webhook.service.snapshot.state.syncedAt;
      await until(() => webhook.service.snapshot.state.syncedAt !== rounds, 'another round', 10_000);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    } finally {
      clearInterval(watching);
    }
    expect(staleSeen).toBe(false);
  } finally {
    await webhook.close();
  }
});
