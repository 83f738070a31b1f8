// A fault of the webhook's own (here: a snapshot that throws) is answered by the failure mode and
// recorded as an Error event; pinning never blocks anything. An event the outbox does not take
// by the deadline does not hold the answer past it.
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { DEFAULT_SETTINGS } from '../api/settings.js';
import type { AdmissionEvent } from '../events/admission-event.js';
import { compileRule } from '../policy/compile.js';
import type { PolicySnapshot } from '../sensor/policy-snapshot.js';
import { AdmissionHandler, type EventRecorder, type Endpoint } from './admission-handler.js';
import { WebhookMetrics } from './metrics.js';
import { ImageEvidence } from '../policy/evidence.js';
import { findingsOf, ruleOf } from './testing/webhook-harness.js';

const broken: PolicySnapshot = {
  rules: () => {
    throw new Error('the snapshot file is unreadable');
  },
  lookup: () => undefined,
  account: () => undefined,
  cluster: () => undefined,
  settings: () => DEFAULT_SETTINGS,
  state: { rulesSeq: 1, scansSeq: 1, syncedAt: '2026-11-25T00:00:00.000Z', stale: false },
};

const review = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'uid-fault',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace: 'shop',
    name: 'web',
    operation: 'CREATE',
    userInfo: { username: 'alice' },
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop' }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } },
    dryRun: false,
  },
};

async function answer(endpoint: Endpoint, failureMode: 'open' | 'closed') {
  const recorded: AdmissionEvent[] = [];
  const handler = new AdmissionHandler({
    snapshot: broken,
    recorder: { record: async (event) => void recorded.push(event) },
    metrics: new WebhookMetrics(),
    logger: pino({ level: 'silent' }),
    failureMode,
    deadlineMs: 2000,
  });
  const { status, body } = await handler.handle(endpoint, review);
  await new Promise((resolve) => setImmediate(resolve));
  return { status, response: (body as { response: { uid: string; allowed: boolean; warnings?: string[]; status?: { message: string }; patch?: string } }).response, recorded };
}

describe('a fault of the webhook', () => {
  test('failure mode open: allowed, with a warning naming the Error event', async () => {
    const { status, response, recorded } = await answer('validate', 'open');
    expect(status).toBe(200);
    expect(response).toMatchObject({ uid: 'uid-fault', allowed: true });
    expect(recorded).toEqual([
      expect.objectContaining({ decision: 'Error', namespace: 'shop', name: 'web', workload: 'web', kind: 'Pod', operation: 'CREATE', user: 'alice', dryRun: false, requestUid: 'uid-fault' }),
    ]);
    expect(response.warnings?.[0]).toContain(`event ${recorded[0]?.id}`);
  });

  test('failure mode closed: denied, and recorded', async () => {
    const { response, recorded } = await answer('validate', 'closed');
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toContain('failure mode closed: denied');
    expect(recorded).toHaveLength(1);
  });

  test('pinning that fails lets the request through unpinned, whatever the failure mode', async () => {
    const { response, recorded } = await answer('mutate', 'closed');
    expect(response).toMatchObject({ uid: 'uid-fault', allowed: true });
    expect(response.patch).toBeUndefined();
    expect(recorded).toEqual([]);
  });
});

describe('an event the outbox does not take by the deadline', () => {
  /** One Deny rule, which an image no scan covers triggers: every review of the pod is denied and recorded. */
  const deciding: PolicySnapshot = { ...broken, rules: () => [compileRule(ruleOf('deny-unscanned', { unscanned: 'Trigger' }))] };

  function handlerWith(recorder: EventRecorder, deadlineMs: number) {
    const metrics = new WebhookMetrics();
    const logged: { level: number; msg: string; eventId?: string }[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line) as (typeof logged)[number]) });
    const handler = new AdmissionHandler({ snapshot: deciding, recorder, metrics, logger, failureMode: 'closed', deadlineMs });
    const counter = async (name: string) => (await metrics.registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;
    return { handler, logged, late: () => counter('portcullis_admission_answered_before_recorded_total'), lost: () => counter('portcullis_admission_events_lost_total') };
  }

  async function timed(handler: AdmissionHandler) {
    const started = performance.now();
    const { status, body } = await handler.handle('validate', review);
    return { status, response: (body as { response: { allowed: boolean; status?: { message: string } } }).response, elapsedMs: performance.now() - started };
  }

  test('a write still going at the deadline: the decision is answered at the deadline, counted, warned of once, and the event is written after', async () => {
    const writes: { event: AdmissionEvent; done: () => void }[] = [];
    const { handler, logged, late, lost } = handlerWith({ record: (event) => new Promise<void>((done) => writes.push({ event, done })) }, 300);
    const [first, second] = await Promise.all([timed(handler), timed(handler)]);
    for (const answer of [first, second]) {
      expect(answer.status).toBe(200);
      expect(answer.response.allowed).toBe(false);
      expect(answer.elapsedMs).toBeGreaterThanOrEqual(250);
      expect(answer.elapsedMs).toBeLessThan(1_000);
    }
    expect(writes).toHaveLength(2);
    // The message names the event that is still to be written.
    expect(first.response.status?.message).toContain(writes[0]?.event.id);
    expect(await late()).toBe(2);
    // One warning for the two (a stalled disk would make one per review), naming whichever came first.
    const warnings = logged.filter((line) => line.level === 40);
    expect(warnings).toEqual([expect.objectContaining({ answers: 1 })]);
    expect(writes.map((write) => write.event.id)).toContain(warnings[0]?.eventId);
    for (const write of writes) write.done();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await lost()).toBe(0);
    expect(logged.filter((line) => line.level >= 50)).toEqual([]);
  });

  test('a write that fails after the answer was sent: counted as lost and logged with the event id', async () => {
    let fail: (error: Error) => void = () => undefined;
    let recorded: AdmissionEvent | undefined;
    const { handler, logged, lost } = handlerWith({ record: (event) => ((recorded = event), new Promise<void>((_, reject) => (fail = reject))) }, 100);
    const answer = await timed(handler);
    expect(answer.response.allowed).toBe(false);
    fail(new Error('SQLITE_BUSY: database is locked'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await lost()).toBe(1);
    expect(logged.filter((line) => line.level === 50)).toEqual([expect.objectContaining({ eventId: recorded?.id, msg: expect.stringContaining('it is lost') })]);
  });

  test('a write that fails before the deadline: the failure mode answers, as for any fault, and nothing is counted late', async () => {
    const { handler, late } = handlerWith({ record: () => Promise.reject(new Error('SQLITE_FULL: database or disk is full')) }, 2_000);
    const answer = await timed(handler);
    expect(answer.response.allowed).toBe(false);
    expect(answer.response.status?.message).toContain('could not evaluate this request');
    expect(answer.elapsedMs).toBeLessThan(1_000);
    expect(await late()).toBe(0);
  });

  test('a write that finishes in time: answered as soon as it is written', async () => {
    const { handler, late } = handlerWith({ record: () => new Promise<void>((done) => setTimeout(done, 50)) }, 2_000);
    const answer = await timed(handler);
    expect(answer.response.allowed).toBe(false);
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(45);
    expect(answer.elapsedMs).toBeLessThan(1_000);
    expect(await late()).toBe(0);
  });
});

describe('findings the snapshot must read from disk', () => {
  const DIGEST = `sha256:${'a'.repeat(64)}`;
  const pinned = { ...review, request: { ...review.request, uid: 'uid-read', object: { ...review.request.object, spec: { containers: [{ name: 'c', image: `nginx@${DIGEST}` }] } } } };
  /** Denies Critical findings; an image without evidence is let through (unscanned: Ignore), unless it is Unresolved. */
  const rules = () => [compileRule(ruleOf('deny-critical', { unscanned: 'Ignore' }))];

  async function decided(lookup: PolicySnapshot['lookup'], failureMode: 'open' | 'closed', deadlineMs = 300) {
    const recorded: AdmissionEvent[] = [];
    const handler = new AdmissionHandler({
      snapshot: { ...broken, rules, lookup },
      recorder: { record: async (event) => void recorded.push(event) },
      metrics: new WebhookMetrics(),
      logger: pino({ level: 'silent' }),
      failureMode,
      deadlineMs,
    });
    const started = performance.now();
    const { status, body } = await handler.handle('validate', pinned);
    const elapsedMs = performance.now() - started;
    const response = (body as { response: { allowed: boolean; warnings?: string[]; status?: { message: string } } }).response;
    return { status, response, elapsedMs, recorded, image: recorded[0]?.images[0] };
  }

  test('a read that answers in time decides by what it read', async () => {
    const critical = { digest: DIGEST, evidence: new ImageEvidence(findingsOf('Critical', 2)) };
    const { response, image } = await decided(() => new Promise((resolve) => setTimeout(resolve, 20, critical)), 'open');
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toContain('deny-critical');
    expect(image).toMatchObject({ digest: DIGEST, scanStatus: 'Scanned', counts: expect.objectContaining({ Critical: 2 }) });
  });

  test('a read still going at the deadline: the image is Unresolved, answered within the deadline, failure mode closed denies', async () => {
    const { status, response, elapsedMs, image } = await decided(() => new Promise(() => undefined), 'closed');
    expect(status).toBe(200);
    expect(elapsedMs).toBeGreaterThanOrEqual(150);
    expect(elapsedMs).toBeLessThan(1_000);
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toContain('findings could not be read in time');
    expect(image).toMatchObject({ digest: DIGEST, scanStatus: 'Unresolved' });
  });

  test('failure mode open: allowed, with a warning, and recorded', async () => {
    const { response, image } = await decided(() => new Promise(() => undefined), 'open');
    expect(response.allowed).toBe(true);
    expect(response.warnings?.join('\n')).toContain('findings could not be read in time');
    expect(image).toMatchObject({ digest: DIGEST, scanStatus: 'Unresolved' });
  });

  test('a read that fails is a fault of the webhook: the failure mode answers it, recorded as an Error', async () => {
    const { response, recorded } = await decided(() => Promise.reject(new Error('the snapshot reader thread stopped')), 'closed', 2_000);
    expect(response.allowed).toBe(false);
    expect(recorded).toEqual([expect.objectContaining({ decision: 'Error' })]);
  });
});
