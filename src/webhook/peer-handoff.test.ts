// Replicas handing each other the events they could not deliver (--handoff-url): real webhooks
// over HTTPS, on one store for their rules and findings, whose events go to a control plane that
// is away; the replicas share one certificate, as the installed Deployment's do.
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { aDeployment, aRequest } from '../admission/testing/requests.js';
import type { AdmissionEvent } from '../events/admission-event.js';
import { RejectedEventsError, type EventSink } from '../sensor/event-sinks.js';
import { Outbox } from '../sensor/outbox.js';
import { HANDOFF_PATH } from '../sensor/peer-handoff.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { anEvent } from '../store/testing/builders.js';
import { ensureSelfSigned, type TlsFiles } from '../tls/serving-tls.js';
import { reviewOf } from './testing/https.js';
import { fakeDigest, findingsOf, putScan, ruleOf, scanOf, startTestWebhook, until, type TestWebhook } from './testing/webhook-harness.js';
import type { PeerOptions } from './webhook.js';

const IMAGE = 'registry.example.com/shop/web:1.0';
const TOKEN = 'sensor-token-of-this-cluster';

let store: Store;
let dir: string;
/** The certificate the replicas share (one TLS Secret). */
let shared: TlsFiles;
/** Another webhook's certificate. */
let foreign: TlsFiles;

beforeAll(async () => {
  store = await openStore('sqlite::memory:');
  await store.migrate();
  await store.rules.create(ruleOf('audit-high', { action: 'Audit', conditions: { severities: ['High'] } }), 'test', new Date().toISOString());
  await putScan(store, scanOf([fakeDigest('a')], findingsOf('High', 2), [IMAGE]));
  dir = mkdtempSync(join(tmpdir(), 'portcullis-handoff-'));
  shared = await ensureSelfSigned(join(dir, 'shared'), []);
  foreign = await ensureSelfSigned(join(dir, 'foreign'), []);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The control plane's events endpoint, away until told otherwise; counts what it stores. */
class ControlPlaneEvents implements EventSink {
  away = true;
  readonly stored = new Map<string, number>();

  async deliver(events: readonly AdmissionEvent[]): Promise<void> {
    if (this.away) throw new Error('POST /api/v1/events: ECONNREFUSED');
    for (const event of events) this.stored.set(event.id, (this.stored.get(event.id) ?? 0) + 1);
  }
}

function replica(sink: EventSink, peers: PeerOptions | undefined, tls: TlsFiles = shared): Promise<TestWebhook> {
  return startTestWebhook(store, { sink, tls, ...(peers && { peers }) });
}

/** Audited reviews posted to `webhook`; answers their event ids. */
async function admit(webhook: TestWebhook, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await webhook.review(reviewOf(aRequest(aDeployment([IMAGE], { name: `web-${i}` }), { uid: `uid-${i}-${Math.random()}` })));
    expect(answer.allowed).toBe(true);
    ids.push(answer.auditAnnotations?.['event-id'] ?? '');
  }
  expect(new Set(ids).size).toBe(count);
  return ids;
}

describe('a replica stopping while the control plane is away', () => {
  test('hands its events to another replica through the Service, which delivers each once the control plane is back', async () => {
    const cp = new ControlPlaneEvents();
    const receiving = await replica(cp, { token: TOKEN });
    const stopping = await replica(cp, { token: TOKEN, url: receiving.url });
    try {
      const ids = await admit(stopping, 25);
      expect(stopping.service.outbox.pending()).toBe(25);
      await stopping.close();
      expect(receiving.service.outbox.pending()).toBe(25);
      // The stopping replica's outbox is empty: nothing would go twice from there on its next start.
      const left = Outbox.open(join(stopping.dataDir, 'outbox.db'), { sink: cp });
      expect(left.pending()).toBe(0);
      await left.close();

      cp.away = false;
      await receiving.service.outbox.flush();
      expect([...cp.stored.keys()].sort()).toEqual([...ids].sort());
      expect([...cp.stored.values()].every((times) => times === 1)).toBe(true);
    } finally {
      await receiving.close();
    }
  });

  test('hands over the events the control plane refused too: the other replica tries them again, and sets them aside if refused', async () => {
    // A control plane of another version: it refuses one event for a field it does not know, and takes the rest.
    const taken = new Set<string>();
    let refusedId = '';
    const skewed: EventSink = {
      deliver: async (events) => {
        if (events.some((event) => event.id === refusedId)) throw new RejectedEventsError('events[0].images[0]: unknown field');
        for (const event of events) taken.add(event.id);
      },
    };
    const receiving = await replica(skewed, { token: TOKEN });
    const stopping = await replica(skewed, { token: TOKEN, url: receiving.url });
    try {
      const ids = await admit(stopping, 3);
      refusedId = ids[1] ?? '';
      await stopping.service.outbox.flush();
      expect([stopping.service.outbox.pending(), stopping.service.outbox.rejected()]).toEqual([0, 1]);
      await stopping.close();
      // Nothing stays in the stopping replica's outbox, whose emptyDir goes with it.
      const left = Outbox.open(join(stopping.dataDir, 'outbox.db'), { sink: skewed });
      expect([left.pending(), left.rejected()]).toEqual([0, 0]);
      await left.close();
      await until(() => receiving.service.outbox.rejected() === 1, 'the handed event set aside again by the other replica');
      expect([...taken].sort()).toEqual([ids[0], ids[2]].sort());
    } finally {
      await receiving.close();
    }
  });

  test('hands nothing to a server with another certificate: the events stay in its outbox for its next start', async () => {
    const cp = new ControlPlaneEvents();
    const impostor = await replica(cp, { token: TOKEN }, foreign);
    const stopping = await startTestWebhook(store, { sink: cp, tls: shared, peers: { token: TOKEN, url: impostor.url, handoffMs: 1_000 }, dataDir: mkdtempSync(join(dir, 'stopping-')) });
    try {
      await admit(stopping, 3);
      await stopping.close();
      expect(impostor.service.outbox.pending()).toBe(0);
      const left = Outbox.open(join(stopping.dataDir, 'outbox.db'), { sink: cp });
      expect(left.pending()).toBe(3);
      await left.close();
    } finally {
      await impostor.close();
    }
  });

  test('a replica that refuses the batch (400: another version, say) gets it again later; nothing is set aside as the control plane\'s refusal', async () => {
    const cp = new ControlPlaneEvents();
    const refusing = createHttpsServer({ cert: readFileSync(shared.certFile), key: readFileSync(shared.keyFile) }, (_request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end('{"error":{"code":"invalid_request","message":"unknown field"}}');
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
    const stopping = await startTestWebhook(store, { sink: cp, tls: shared, peers: { token: TOKEN, url, handoffMs: 1_000 }, dataDir: mkdtempSync(join(dir, 'refused-')) });
    try {
      await admit(stopping, 4);
      await stopping.close();
      const left = Outbox.open(join(stopping.dataDir, 'outbox.db'), { sink: cp });
      expect({ pending: left.pending(), rejected: left.rejected() }).toEqual({ pending: 4, rejected: 0 });
      await left.close();
    } finally {
      refusing.closeAllConnections();
      await new Promise((resolve) => refusing.close(resolve));
    }
  });

  test('with no other replica answering, keeps its events for its next start', async () => {
    const cp = new ControlPlaneEvents();
    const gone = await replica(cp, { token: TOKEN });
    const url = gone.url;
    await gone.close();
    const stopping = await startTestWebhook(store, { sink: cp, tls: shared, peers: { token: TOKEN, url, handoffMs: 1_000 }, dataDir: mkdtempSync(join(dir, 'alone-')) });
    await admit(stopping, 2);
    await stopping.close();
    const left = Outbox.open(join(stopping.dataDir, 'outbox.db'), { sink: cp });
    expect(left.pending()).toBe(2);
    await left.close();
  });
});

describe('a replica that is stopping itself', () => {
  test('answers a batch that arrives as it closes with 503, so that the sender finds another replica', async () => {
    const stopping = await replica(new ControlPlaneEvents(), { token: TOKEN });
    const body = JSON.stringify({ events: [anEvent({ time: '2026-03-01T12:00:00.000Z', seed: 7 })] });
    const target = new URL(`${stopping.url}${HANDOFF_PATH}`);
    // The batch's first half is sent before the replica starts closing, the rest after.
    const answer = new Promise<number>((resolve, reject) => {
      const request = httpsRequest(
        { hostname: target.hostname, port: target.port, path: target.pathname, method: 'POST', rejectUnauthorized: false, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.write(body.slice(0, 10));
      setTimeout(() => {
        closed = stopping.service.close();
        setTimeout(() => request.end(body.slice(10)), 50);
      }, 100);
    });
    let closed: Promise<void> | undefined;
    expect(await answer).toBe(503);
    expect(stopping.service.outbox.pending()).toBe(0);
    await closed;
  });
});

describe(`POST ${HANDOFF_PATH}`, () => {
  let receiving: TestWebhook;
  let allInOne: TestWebhook;
  beforeAll(async () => {
    receiving = await replica(new ControlPlaneEvents(), { token: TOKEN });
    allInOne = await startTestWebhook(store);
  });
  afterAll(async () => {
    await receiving.close();
    await allInOne.close();
  });

  const batch = { events: [anEvent({ time: '2026-03-01T12:00:00.000Z', seed: 1 })] };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  test('takes a batch with the Sensor token into the outbox as it came, and answers how many it took', async () => {
    // A field this version does not know (the sender is newer: a rolling update) is passed on for the control plane to judge.
    const newer = { ...anEvent({ time: '2026-03-01T12:00:01.000Z', seed: 2 }), fieldOfANewerVersion: 'kept' };
    const answer = await receiving.post({ events: [...batch.events, newer] }, { path: HANDOFF_PATH, headers: bearer(TOKEN) });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json()).toEqual({ received: 2 });
    expect(receiving.service.outbox.pending()).toBe(2);
    expect((await receiving.get('/metrics')).text).toMatch(/^portcullis_outbox_handed_over_events_total 2$/m);
    const outbox = new Database(join(receiving.dataDir, 'outbox.db'), { readonly: true });
    try {
      const bodies = outbox.prepare('SELECT body FROM outbox ORDER BY seq').all() as { body: string }[];
      expect(bodies.map(({ body }) => JSON.parse(body) as unknown)).toEqual([batch.events[0], newer]);
    } finally {
      outbox.close();
    }
  });

  test('without the token, or with another: 401, and nothing kept', async () => {
    const before = receiving.service.outbox.pending();
    for (const headers of [{}, bearer('another-token'), { authorization: TOKEN }]) {
      const answer = await receiving.post(batch, { path: HANDOFF_PATH, headers });
      expect(answer.status).toBe(401);
      expect(answer.json<{ error: { code: string } }>().error.code).toBe('unauthorized');
    }
    // Refused before the body is read: what it holds does not matter.
    const unread = await receiving.post('{"events": [', { path: HANDOFF_PATH, headers: { ...bearer('another-token'), 'content-type': 'application/json' } });
    expect(unread.status).toBe(401);
    expect(receiving.service.outbox.pending()).toBe(before);
  });

  test('not JSON, or not a batch of events: 400 naming what is wrong, and nothing kept', async () => {
    const before = receiving.service.outbox.pending();
    const notJson = await receiving.post('{"events": [', { path: HANDOFF_PATH, headers: { ...bearer(TOKEN), 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(notJson.text).toContain('not valid JSON');
    const { id: _, ...withoutId } = batch.events[0] ?? {};
    for (const [body, where] of [
      [{ events: [batch.events[0], withoutId] }, 'events[1].id'],
      [{ events: [] }, 'events'],
      [[batch.events[0]], '(body)'],
    ] as const) {
      const wrong = await receiving.post(body, { path: HANDOFF_PATH, headers: bearer(TOKEN) });
      expect(wrong.status, JSON.stringify(body)).toBe(400);
      expect(wrong.text).toContain(where);
    }
    expect(receiving.service.outbox.pending()).toBe(before);
  });

  test('only POST; and the all-in-one webhook, which has no peers, does not serve it', async () => {
    expect((await receiving.get(HANDOFF_PATH)).status).toBe(405);
    expect((await allInOne.post(batch, { path: HANDOFF_PATH, headers: bearer(TOKEN) })).status).toBe(404);
  });
});
