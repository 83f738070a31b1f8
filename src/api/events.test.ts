import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AdmissionEvent, EventDecision } from '../events/admission-event.js';
import { eventId } from '../events/event-id.js';
import { startApi, type ApiHarness } from './testing/harness.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

const DIGEST = `sha256:${'a'.repeat(64)}`;
const COUNTS = { Critical: 1, High: 0, Medium: 0, Low: 0, Unknown: 0 };

let serial = 0;

/** A complete event as a webhook records it; `time` also names it (UUIDv7). */
function anEvent(time: string, overrides: Partial<AdmissionEvent> = {}): AdmissionEvent {
  serial += 1;
  return {
    id: eventId(new Date(time), Uint8Array.from({ length: 10 }, (_, i) => (serial * 31 + i) % 256)),
    time,
    cluster: 'prod-eu',
    namespace: 'shop',
    kind: 'Deployment',
    name: 'web',
    workload: 'web',
    operation: 'CREATE',
    user: 'alice',
    dryRun: false,
    decision: 'Denied',
    message: "Denied: Deployment shop/web: nginx:1.25 violates 'deny-critical' (1 finding)",
    images: [
      {
        reference: 'nginx:1.25',
        digest: DIGEST,
        scanStatus: 'Scanned',
        counts: COUNTS,
        matched: ['CVE-2024-0001'],
        violations: [
          {
            rule: 'deny-critical',
            ruleId: 'r1',
            ruleVersion: 2,
            action: 'Deny',
            enforced: true,
            reason: 'Findings',
            detail: '1 finding',
            findingCount: 1,
            findings: ['CVE-2024-0001'],
          },
        ],
        findings: [{ id: 'CVE-2024-0001', severity: 'Critical', package: 'openssl', version: '3.0.1', fixedVersion: '3.0.2', cvss: { score: 9.8, version: '3.1' } }],
      },
    ],
    rules: [
      {
        name: 'deny-critical',
        id: 'r1',
        version: 2,
        action: 'Deny',
        description: 'Denies images with Critical findings everywhere.',
        scope: {},
        conditions: { severities: ['Critical'] },
        unscanned: 'Ignore',
        timeZone: 'UTC',
        exemptions: [{ type: 'CVE', criterion: 'Equals', value: 'CVE-2020-1', expires: '2026-01-31', state: 'Expired', applied: false }],
      },
    ],
    source: 'webhook',
    requestUid: '13b390aa-ea59-48ef-9fb8-069bf0430dce',
    ...overrides,
  };
}

function allowed(time: string, overrides: Partial<AdmissionEvent> = {}): AdmissionEvent {
  return anEvent(time, {
    decision: 'Allowed',
    message: 'Allowed',
    images: [{ reference: 'ghcr.io/org/api:2.0', scanStatus: 'NotScanned', counts: { ...COUNTS, Critical: 0 }, violations: [], findings: [], matched: [] }],
    rules: [],
    ...overrides,
  });
}

async function post(events: readonly AdmissionEvent[]) {
  return api.call('Sensor', 'POST', '/api/v1/events', { body: { events } });
}

async function list(query: string): Promise<{ events: { id: string; decision: EventDecision }[]; nextCursor?: string }> {
  const response = await api.call('SecurityReader', 'GET', `/api/v1/events${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

const ids = (page: { events: { id: string }[] }): string[] => page.events.map((event) => event.id);

describe('delivering events', () => {
  test('a delivery sent twice is stored once; the event reads back whole', async () => {
    const batch = [anEvent('2026-02-01T10:00:00.000Z'), allowed('2026-02-01T10:00:01.000Z'), anEvent('2026-02-01T10:00:02.000Z', { dryRun: true })];
    const first = await post(batch);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ received: 3, stored: 3 });
    expect((await post(batch)).json()).toEqual({ received: 3, stored: 0 });
    // A retry that overlaps a new batch stores only what is new.
    expect((await post([batch[0] as AdmissionEvent, allowed('2026-02-01T10:00:03.000Z')])).json()).toEqual({ received: 2, stored: 1 });

    const one = await api.call('SecurityReader', 'GET', `/api/v1/events/${batch[0]?.id}`);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual(batch[0]);
  });

  test('an unknown id is 404', async () => {
    const response = await api.call('SecurityReader', 'GET', `/api/v1/events/${eventId(new Date(), new Uint8Array(10))}`);
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_found');
  });

  test('an invalid event refuses the whole batch, naming each place', async () => {
    const bad = { ...anEvent('2026-02-02T00:00:00.000Z'), decision: 'Maybe', id: 'not-a-uuid', extra: 1 };
    const response = await post([allowed('2026-02-02T00:00:01.000Z'), bad as unknown as AdmissionEvent]);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems.map((problem: { path: string }) => problem.path).sort()).toEqual(['body.events[1].decision', 'body.events[1].extra', 'body.events[1].id']);
    const none = await api.call('Sensor', 'POST', '/api/v1/events', { body: { events: [] } });
    expect(none.json().error.problems).toEqual([{ path: 'body.events', message: expect.any(String) }]);
  });

  test('more than 1,000 events in one batch are refused', async () => {
    const event = allowed('2026-02-03T00:00:00.000Z');
    const response = await post(Array.from({ length: 1001 }, () => event));
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems[0].path).toBe('body.events');
  });

  test('only Admin and Sensor deliver; readers read', async () => {
    expect((await api.call('SecurityAdmin', 'POST', '/api/v1/events', { body: { events: [allowed('2026-02-04T00:00:00.000Z')] } })).statusCode).toBe(403);
    expect((await api.call('Sensor', 'GET', '/api/v1/events')).statusCode).toBe(403);
  });
});

describe('listing events', () => {
  // A cluster of its own, so the other tests' events stay out of these answers.
  const cluster = 'filters';
  const at = (minute: number) => `2026-03-01T09:${String(minute).padStart(2, '0')}:00.000Z`;
  const events = {
    denied: anEvent(at(1), { cluster }),
    audited: anEvent(at(2), { cluster, decision: 'Audited', namespace: 'payments' }),
    allowed: allowed(at(3), { cluster }),
    dryRun: anEvent(at(4), { cluster, dryRun: true, operation: 'EVALUATE', source: 'evaluate' }),
    breakGlass: anEvent(at(5), { cluster, decision: 'BreakGlass', breakGlass: 'incident 42' }),
    other: anEvent(at(6), {
      cluster,
      images: [
        {
          reference: 'ghcr.io/org/api:2.0',
          scanStatus: 'Scanned',
          counts: COUNTS,
          matched: ['GHSA-xxxx-yyyy-zzzz'],
          violations: [{ rule: 'Audit-All', action: 'Audit', enforced: true, reason: 'Findings', detail: '1 finding', findingCount: 1, findings: ['GHSA-xxxx-yyyy-zzzz'] }],
          findings: [{ id: 'GHSA-xxxx-yyyy-zzzz', severity: 'High', package: 'lodash', version: '4.0.0' }],
        },
      ],
      rules: [],
    }),
  };
  const all = Object.values(events);
  const newestFirst = (...chosen: AdmissionEvent[]) => [...chosen].sort((a, b) => b.time.localeCompare(a.time)).map((event) => event.id);

  beforeAll(async () => {
    expect((await post(all)).json()).toEqual({ received: all.length, stored: all.length });
  });

  test.each([
    ['every event of the cluster, newest first', '', all],
    ['from (inclusive)', `&from=${at(5)}`, [events.breakGlass, events.other]],
    ['to (exclusive)', `&to=${encodeURIComponent('2026-03-01T11:03:00+02:00')}`, [events.denied, events.audited]],
    ['from and to', `&from=${at(2)}&to=${at(4)}`, [events.audited, events.allowed]],
    ['one decision', '&decision=Audited', [events.audited]],
    ['decisions repeated', '&decision=Audited&decision=Allowed', [events.audited, events.allowed]],
    ['decisions as a comma list', '&decision=BreakGlass,Allowed', [events.breakGlass, events.allowed]],
    ['namespace', '&namespace=payments', [events.audited]],
    ['rule, any case', '&rule=DENY-CRITICAL', [events.denied, events.audited, events.dryRun, events.breakGlass]],
    ['rule named only in a violation', '&rule=audit-all', [events.other]],
    ['image as written', '&image=nginx:1.25', [events.denied, events.audited, events.dryRun, events.breakGlass]],
    ['image by digest', `&image=${DIGEST}`, [events.denied, events.audited, events.dryRun, events.breakGlass]],
    ['cve, any case', '&cve=cve-2024-0001', [events.denied, events.audited, events.dryRun, events.breakGlass]],
    ['a GHSA', '&cve=GHSA-xxxx-yyyy-zzzz', [events.other]],
    ['dry runs', '&dryRun=true', [events.dryRun]],
    ['no dry runs', '&dryRun=false&decision=Denied', [events.denied, events.other]],
    ['several filters at once', '&rule=deny-critical&decision=Denied,BreakGlass&dryRun=false', [events.denied, events.breakGlass]],
    ['nothing matches', '&cve=CVE-1999-0001', []],
  ] as const)('%s', async (_name, filter, expected) => {
    expect(ids(await list(`?cluster=${cluster}${filter}`))).toEqual(newestFirst(...expected));
  });

  test('another cluster filters everything out', async () => {
    expect((await list('?cluster=elsewhere')).events).toEqual([]);
  });

  test('a listed event is a summary; GET by id has the rest', async () => {
    const [summary] = (await list(`?cluster=${cluster}&decision=Denied&dryRun=false&image=nginx:1.25`)).events;
    expect(summary).toEqual({
      ...Object.fromEntries(Object.entries(events.denied).filter(([key]) => key !== 'images' && key !== 'rules')),
      images: [{ reference: 'nginx:1.25', digest: DIGEST, scanStatus: 'Scanned', counts: COUNTS, violations: 1 }],
      rules: ['deny-critical'],
    });
  });

  test('pages follow each other without repeats or gaps, the last without a cursor', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(`?cluster=${cluster}&limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      sizes.push(page.events.length);
      seen.push(...ids(page));
      cursor = page.nextCursor;
    } while (cursor);
    expect(sizes).toEqual([4, 2]);
    expect(seen).toEqual(newestFirst(...all));
  });

  test('pages of events at the same instant still neither repeat nor skip', async () => {
    const time = '2026-03-02T00:00:00.000Z';
    const same = Array.from({ length: 5 }, () => allowed(time, { cluster: 'same-instant' }));
    await post(same);
    const first = await list('?cluster=same-instant&limit=2');
    const second = await list(`?cluster=same-instant&limit=2&cursor=${first.nextCursor}`);
    const third = await list(`?cluster=same-instant&limit=2&cursor=${second.nextCursor}`);
    expect(third.nextCursor).toBeUndefined();
    expect([...ids(first), ...ids(second), ...ids(third)]).toEqual(same.map((event) => event.id).sort().reverse());
  });

  test('the limit defaults to 50', async () => {
    await post(Array.from({ length: 51 }, (_, i) => allowed(`2026-03-03T00:00:${String(i).padStart(2, '0')}.000Z`, { cluster: 'many' })));
    const page = await list('?cluster=many');
    expect(page.events).toHaveLength(50);
    expect(page.nextCursor).toEqual(expect.any(String));
  });

  test.each([
    ['a cursor this server did not hand out', '?cursor=bm90LWEtY3Vyc29y', 'query.cursor'],
    ['a cursor with characters outside base64url', '?cursor=%24%24%24', 'query.cursor'],
    ['a limit of 0', '?limit=0', 'query.limit'],
    ['a limit over 500', '?limit=501', 'query.limit'],
    ['a limit that is no number', '?limit=ten', 'query.limit'],
    ['an unknown decision', '?decision=Denied,Rejected', 'query.decision'],
    ['a time that is not ISO-8601', '?from=yesterday', 'query.from'],
    ['dryRun that is not true or false', '?dryRun=yes', 'query.dryRun'],
    ['an unknown parameter', '?namespaces=shop', 'query.namespaces'],
  ])('%s is a 400 naming the parameter', async (_name, query, path) => {
    const response = await api.call('SecurityReader', 'GET', `/api/v1/events${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'invalid_request', problems: [{ path, message: expect.any(String) }] });
  });
});
