// `portcullis serve` on PostgreSQL, as a process: the control plane, the webhook's thread and the
// sync thread all on one database, each with its own pool; what the webhook decides is stored
// there, and a restart finds it all again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, expect, test } from 'vitest';
import { describePostgres, postgresSchemas } from '../../test/support/postgres.js';
import { fixtureReview } from '../admission/testing/requests.js';
import { nativeScan, ruleDocument } from '../sensor/testing/control-plane.js';
import type { AdmissionResponse } from '../admission/answer.js';
import { admissionResponse, https } from '../webhook/testing/https.js';
import { killLeftovers, printedCa, spawnPortcullis, type PortcullisProcess } from '../webhook/testing/process.js';
import { until } from '../webhook/testing/webhook-harness.js';
import { callApi } from '../api/testing/call-api.js';

const DIGEST = `sha256:${'e'.repeat(64)}`;
/** What the fixture's review deploys (`nginx`, as a kubectl apply of the docs' example sends it). */
const FIXTURE = 'deployment-create-kubectl-apply.json';

const temps: string[] = [];
afterEach(() => killLeftovers());
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Serving {
  readonly process: PortcullisProcess;
  readonly api: string;
  readonly webhook: string;
  readonly ca: string;
}

/** `serve` on `database`, its webhook on a port of its own; the admin token when it printed one (a first start). */
async function serve(database: string, dataDir: string): Promise<Serving & { readonly token: string | undefined }> {
  const process = spawnPortcullis(['serve', '--database', database, '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0', '--webhook-port', '0', '--no-resolve-tags']);
  const [, api = ''] = await process.waitFor(/Portcullis serve listening on (http:\/\/\S+)/);
  const [, webhook = ''] = await process.waitFor(/Admission webhook listening on (https:\/\/\S+)\/validate[\s\S]*\(caBundle\):\n {2}\S+\n/);
  const token = /export PORTCULLIS_SERVER=\S+ PORTCULLIS_TOKEN=(\S+)/.exec(process.stderr())?.[1];
  return { process, api, webhook, ca: printedCa(process.stderr()) ?? '', token };
}

/** Posts the fixture's review until the webhook's answer satisfies `wanted` (a change reaches its snapshot within a sync). */
async function admitUntil(serving: Serving, wanted: (answer: AdmissionResponse) => boolean, what: string): Promise<AdmissionResponse> {
  let answer: AdmissionResponse | undefined;
  await until(async () => {
    answer = admissionResponse(await https(`${serving.webhook}/validate`, { body: fixtureReview(FIXTURE), ca: serving.ca }));
    return wanted(answer);
  }, what);
  return answer as AdmissionResponse;
}

// Two starts of a process that compiles TypeScript as it loads, each with its threads, on a
// machine shared with the other test files: well past the default timeout, and not a measure of speed.
describePostgres('portcullis serve on PostgreSQL (a process)', (url) => {
  const schema = postgresSchemas(url);

  test('the webhook decides from the database and stores its events there; a restart finds the token, the rules and the events', async () => {
    const database = await schema();
    const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-serve-pg-'));
    temps.push(dataDir);
    const client = new pg.Client({ connectionString: database });
    await client.connect();
    try {
      const first = await serve(database, dataDir);
      const token = first.token ?? '';
      expect(token).toMatch(/^pcl_/);
      // Bootstrapped into PostgreSQL, not into a SQLite file beside it.
      expect((await client.query('SELECT name FROM rules')).rows).toEqual([{ name: 'default-audit-high-critical' }]);

      // The default rule audits High and Critical: a Critical finding of the fixture's image, synced
      // from the database to the webhook's thread.
      await callApi(first.api, token, 'POST', '/api/v1/scans', nativeScan({ digest: DIGEST, tag: 'docker.io/library/nginx:latest', findings: [{ id: 'CVE-2024-6387', severity: 'Critical', pkg: 'openssh' }] }));
      const audited = await admitUntil(first, (answer) => answer.auditAnnotations?.decision === 'Audited', 'the scan to reach the webhook');
      expect(audited).toMatchObject({ uid: '13b390aa-ea59-48ef-9fb8-069bf0430dce', allowed: true });
      const auditedId = audited.auditAnnotations?.['event-id'] ?? '';

      // A Deny rule made through the API reaches the webhook; the answer names its event.
      await callApi(first.api, token, 'POST', '/api/v1/rules', ruleDocument('deny-critical'));
      const denied = await admitUntil(first, (answer) => !answer.allowed, 'the Deny rule to reach the webhook');
      expect(denied.status).toMatchObject({ code: 403 });
      const deniedId = denied.auditAnnotations?.['event-id'] ?? '';
      expect(deniedId).not.toBe(auditedId);
      expect(denied.status?.message).toContain(`Event ${deniedId}`);

      // Both events are rows of PostgreSQL's tables, found by their CVE as Admission Monitoring finds them.
      await until(async () => (await client.query('SELECT 1 FROM events WHERE id = ANY($1)', [[auditedId, deniedId]])).rowCount === 2, 'both events in PostgreSQL');
      const stored = await client.query<{ id: string; decision: string }>('SELECT id, decision FROM events WHERE id = ANY($1) ORDER BY id', [[auditedId, deniedId]]);
      expect(stored.rows).toEqual([
        { id: auditedId, decision: 'Audited' },
        { id: deniedId, decision: 'Denied' },
      ]);
      const byCve = (await callApi(first.api, token, 'GET', '/api/v1/events?cve=cve-2024-6387&decision=Denied')).events as { id: string }[];
      expect(byCve.map((event) => event.id)).toContain(deniedId);
      expect(byCve.map((event) => event.id)).not.toContain(auditedId);
      expect(await first.process.stop()).toBe(0);

      // Again on the same database: no second admin token, no second default rule; the events are still there.
      const second = await serve(database, dataDir);
      expect(second.token).toBeUndefined();
      expect(second.process.stderr()).not.toContain('Created the default rule');
      const rules = ((await callApi(second.api, token, 'GET', '/api/v1/rules')).rules as { name: string }[]).map((rule) => rule.name).sort();
      expect(rules).toEqual(['default-audit-high-critical', 'deny-critical']);
      expect(((await callApi(second.api, token, 'GET', `/api/v1/events/${deniedId}`)) as { decision: string }).decision).toBe('Denied');
      expect((await admitUntil(second, () => true, 'an answer')).allowed).toBe(false);
      expect(await second.process.stop()).toBe(0);
    } finally {
      await client.end();
    }
  }, 90_000);
});
