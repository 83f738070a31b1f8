// The sync endpoints a webhook pulls its snapshot from: cursors, tombstones, pages, settings.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { digestOf, nativeScan, ruleDocument } from '../sensor/testing/control-plane.js';
import { startApi, type ApiHarness } from './testing/harness.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

const created = async (body: unknown): Promise<{ id: string }> => {
  const response = await api.call('SecurityAdmin', 'POST', '/api/v1/rules', { body });
  expect(response.statusCode).toBe(201);
  return response.json();
};

describe('GET /api/v1/sync/rules', () => {
  test('answers every change after `since` with its seq, and deletions as tombstones', async () => {
    const start = (await api.call('Sensor', 'GET', '/api/v1/sync/rules')).json();
    const deny = await created(ruleDocument('sync-deny'));
    const audit = await created(ruleDocument('sync-audit', { action: 'Audit', conditions: { severities: ['High'] } }));

    const first = (await api.call('Sensor', 'GET', `/api/v1/sync/rules?since=${start.seq}`)).json();
    expect(first.rules.map((rule: { id: string; version: number; deleted: boolean }) => [rule.id, rule.version, rule.deleted])).toEqual([
      [deny.id, 1, false],
      [audit.id, 1, false],
    ]);
    expect(first.rules[0].document).toMatchObject({ name: 'sync-deny', action: 'Deny', enabled: true, timeZone: 'UTC', unscanned: 'Ignore', exemptions: [] });
    expect(first.seq).toBe(first.rules[1].seq);
    expect(first.rules[0].seq).toBeLessThan(first.rules[1].seq);

    expect((await api.call('SecurityAdmin', 'POST', `/api/v1/rules/${audit.id}/disable`)).statusCode).toBe(200);
    expect((await api.call('SecurityAdmin', 'DELETE', `/api/v1/rules/${deny.id}`)).statusCode).toBe(204);
    const next = (await api.call('Sensor', 'GET', `/api/v1/sync/rules?since=${first.seq}`)).json();
    expect(next.rules).toEqual([
      expect.objectContaining({ id: audit.id, version: 2, deleted: false, document: expect.objectContaining({ enabled: false }) }),
      { id: deny.id, version: 2, seq: next.seq, deleted: true },
    ]);

    // Nothing new: the cursor stays where it is.
    expect((await api.call('Sensor', 'GET', `/api/v1/sync/rules?since=${next.seq}`)).json()).toEqual({ rules: [], seq: next.seq });
  });

  test.each([
    ['-1', 'a negative seq'],
    ['abc', 'not a number'],
    ['1.5', 'a fraction'],
  ])('since=%s (%s) is a 400 naming query.since', async (since) => {
    const response = await api.call('Sensor', 'GET', `/api/v1/sync/rules?since=${since}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'invalid_request', problems: [expect.objectContaining({ path: 'query.since' })] });
  });

  test('an unknown query parameter is a 400', async () => {
    const response = await api.call('Sensor', 'GET', '/api/v1/sync/rules?sinse=3');
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems).toEqual([{ path: 'query.sinse', message: 'unknown field' }]);
  });
});

describe('GET /api/v1/sync/scans', () => {
  test('pages scans by seq with `more`, each with its keys, tags and compact findings', async () => {
    const start = (await api.call('Sensor', 'GET', '/api/v1/sync/scans?limit=1000')).json();
    expect(start.more).toBe(false);
    for (const hex of ['1', '2', '3', '4', '5']) {
      const body = nativeScan({ digest: digestOf(hex), tag: `registry.example.com/app-${hex}:1.0`, scannedAt: '2026-02-01T00:00:00.000Z', findings: [{ id: `CVE-2026-000${hex}`, severity: 'High', aliases: [`GHSA-000${hex}`] }] });
      expect((await api.call('Scanner', 'POST', '/api/v1/scans', { body })).statusCode).toBe(201);
    }

    const pages: { scans: { seq: number; keys: string[] }[]; seq: number; more: boolean }[] = [];
    let since = start.seq as number;
    for (;;) {
      const page = (await api.call('Sensor', 'GET', `/api/v1/sync/scans?since=${since}&limit=2`)).json();
      pages.push(page);
      since = page.seq;
      if (!page.more) break;
    }
    expect(pages.map((page) => [page.scans.length, page.more])).toEqual([
      [2, true],
      [2, true],
      [1, false],
    ]);
    const scans = pages.flatMap((page) => page.scans);
    expect(scans.map((scan) => scan.keys)).toEqual(['1', '2', '3', '4', '5'].map((hex) => [digestOf(hex)]));
    expect(scans.map((scan) => scan.seq)).toEqual([...scans.map((scan) => scan.seq)].sort((a, b) => a - b));
    expect(pages.at(-1)?.seq).toBe(scans.at(-1)?.seq);

    expect(scans[0]).toEqual({
      id: expect.any(String),
      seq: expect.any(Number),
      keys: [digestOf('1')],
      scanner: 'trivy',
      scannedAt: '2026-02-01T00:00:00.000Z',
      receivedAt: '2026-03-01T12:00:00.000Z',
      tags: ['registry.example.com/app-1:1.0'],
      manifestDigest: digestOf('1'),
      // No title, url, purl or CVSS vector: what people read stays on the control plane.
      findings: [{ id: 'CVE-2026-0001', aliases: ['GHSA-0001'], severity: 'High', cvss: { score: 7.5, version: '3.1' }, package: { name: 'openssl', version: '3.0.1' }, fixedVersion: '3.0.2', fixAvailable: true }],
    });
  });

  test.each([
    ['limit=0', 'query.limit'],
    ['limit=1001', 'query.limit'],
    ['since=-5', 'query.since'],
  ])('%s is a 400 naming %s', async (query, path) => {
    const response = await api.call('Sensor', 'GET', `/api/v1/sync/scans?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems).toEqual([expect.objectContaining({ path })]);
  });
});

describe('GET /api/v1/sync/settings', () => {
  test('answers the settings, the account switches and the clusters', async () => {
    await api.call('Admin', 'PUT', '/api/v1/settings', { body: { recordAllowed: true } });
    await api.call('Admin', 'PUT', '/api/v1/accounts/aws/123456789012', { body: { gating: false } });
    await api.call('Admin', 'POST', '/api/v1/clusters', { body: { name: 'prod-eu', provider: 'aws', account: '123456789012' } });

    const response = await api.call('Sensor', 'GET', '/api/v1/sync/settings');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      // The last change number: a webhook whose cursors are past it knows the database went back.
      seq: await api.store.changeSeq(),
      settings: { retentionDays: 30, recordAllowed: true, breakGlass: { enabled: true } },
      accounts: [expect.objectContaining({ provider: 'aws', account: '123456789012', gating: false, registryAccess: true, securityFindings: true })],
      clusters: [{ name: 'prod-eu', provider: 'aws', account: '123456789012', registeredAt: '2026-03-01T12:00:00.000Z' }],
    });
  });

  test('?cluster= marks a registered cluster seen, on every sync route; an unknown name changes nothing', async () => {
    await api.call('Admin', 'POST', '/api/v1/clusters', { body: { name: 'stage' } });
    api.setNow('2026-03-01T12:05:00.000Z');
    expect((await api.call('Sensor', 'GET', '/api/v1/sync/settings?cluster=stage')).statusCode).toBe(200);
    expect((await api.store.clusters.get('stage'))?.lastSeenAt).toBe('2026-03-01T12:05:00.000Z');

    api.setNow('2026-03-01T12:06:00.000Z');
    await api.call('Sensor', 'GET', '/api/v1/sync/rules?since=0&cluster=stage');
    expect((await api.store.clusters.get('stage'))?.lastSeenAt).toBe('2026-03-01T12:06:00.000Z');
    api.setNow('2026-03-01T12:07:00.000Z');
    await api.call('Sensor', 'GET', '/api/v1/sync/scans?cluster=stage');
    expect((await api.store.clusters.get('stage'))?.lastSeenAt).toBe('2026-03-01T12:07:00.000Z');

    expect((await api.call('Sensor', 'GET', '/api/v1/sync/settings?cluster=nowhere')).statusCode).toBe(200);
    expect(await api.store.clusters.get('nowhere')).toBeUndefined();
    api.setNow('2026-03-01T12:00:00.000Z');
  });
});
