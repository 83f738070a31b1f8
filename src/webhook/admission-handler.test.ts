// A fault of the webhook's own (here: a snapshot that throws) is answered by the failure mode and
// recorded as an Error event; pinning never blocks anything.
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { DEFAULT_SETTINGS } from '../api/settings.js';
import type { AdmissionEvent } from '../events/admission-event.js';
import type { PolicySnapshot } from '../sensor/policy-snapshot.js';
import { AdmissionHandler, type Endpoint } from './admission-handler.js';
import { WebhookMetrics } from './metrics.js';

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
