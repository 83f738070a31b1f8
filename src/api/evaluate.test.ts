import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { aRule } from '../policy/testing/builders.js';
import type { StoredRule } from '../store/store.js';
import { startApi, type ApiHarness } from './testing/harness.js';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures');
const fixture = (path: string): Record<string, unknown> => JSON.parse(readFileSync(join(FIXTURES, path), 'utf8')) as Record<string, unknown>;

// Both reports are of image archives: found by the tags they name.
const FLUENTD = 'ghcr.io/aquasecurity/trivy-test-images:fluentd-multiple-lockfiles';
const ALPINE = 'ghcr.io/aquasecurity/trivy-test-images:alpine-310';

let api: ApiHarness;
let denyCritical: StoredRule;

beforeAll(async () => {
  api = await startApi();
  const at = api.now().toISOString();
  denyCritical = await api.store.rules.create(
    aRule({ name: 'deny-critical-in-prod', action: 'Deny', conditions: { severities: ['Critical'] }, scope: { resources: [{ kind: 'Namespace', criterion: 'Equals', value: 'prod-payments' }] } }),
    'test',
    at,
  );
  await api.store.rules.create(
    aRule({ name: 'audit-unscanned-in-staging', action: 'Audit', conditions: { cves: ['CVE-0000-0001'] }, unscanned: 'Trigger', scope: { resources: [{ kind: 'Namespace', criterion: 'Equals', value: 'staging' }] } }),
    'test',
    at,
  );
  await api.store.rules.create(aRule({ name: 'audit-medium-on-aws', action: 'Audit', conditions: { severities: ['Medium'] }, scope: { cloud: [{ provider: 'aws', account: '123456789012' }] } }), 'test', at);
  // Disabled: kept, never evaluated (it would deny everything with a finding).
  await api.store.rules.create(aRule({ name: 'disabled-deny-all', enabled: false, conditions: { severities: ['Critical', 'High', 'Medium', 'Low', 'Unknown'] } }), 'test', at);
  for (const report of ['trivy/fluentd-debian-os-and-gems-image.json', 'trivy/alpine-310-image.json']) {
    expect((await api.call('Scanner', 'POST', '/api/v1/scans', { body: fixture(report) })).statusCode).toBe(201);
  }
  await api.call('Admin', 'POST', '/api/v1/clusters', { body: { name: 'prod-eu', provider: 'aws', account: '123456789012' } });
});
afterAll(() => api.close());

const deployment = (namespace: string, ...images: string[]): string => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: checkout}}
  template:
    metadata: {labels: {app: checkout}}
    spec:
      containers:
${images.map((image, i) => `        - {name: c${i}, image: "${image}"}`).join('\n')}
`;

const evaluate = (body: unknown) => api.call('SecurityReader', 'POST', '/api/v1/evaluate', { body });
const paths = (response: { json(): { error: { problems: { path: string }[] } } }) => response.json().error.problems.map((problem) => problem.path);

describe('evaluating manifests', () => {
  test('a Deployment with an image that has a Critical finding, under a Deny rule: Denied, and a dry-run event recorded', async () => {
    const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n';
    const response = await evaluate({ manifests: `${configMap}---${deployment('prod-payments', FLUENTD, ALPINE)}` });
    expect(response.statusCode).toBe(200);
    const { results } = response.json();
    // The ConfigMap is allowed untouched and not answered for.
    expect(results).toHaveLength(1);
    const [result] = results;
    expect(result).toEqual({
      kind: 'Deployment',
      namespace: 'prod-payments',
      name: 'checkout',
      workload: 'checkout',
      decision: 'Denied',
      message: `Denied (dry run): Deployment prod-payments/checkout: ${FLUENTD} violates 'deny-critical-in-prod' (Deny: 1 finding)`,
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      images: [
        { image: FLUENTD, scanStatus: 'Scanned', counts: { Critical: 1, High: 1, Medium: 0, Low: 0, Unknown: 0 }, findings: [expect.objectContaining({ id: 'CVE-2019-18224', severity: 'Critical' })] },
        { image: ALPINE, scanStatus: 'Scanned', counts: { Critical: 0, High: 0, Medium: 4, Low: 0, Unknown: 0 }, findings: [] },
      ],
      violations: [
        {
          image: FLUENTD,
          rule: 'deny-critical-in-prod',
          ruleId: denyCritical.id,
          ruleVersion: 1,
          action: 'Deny',
          enforced: true,
          reason: 'Findings',
          detail: '1 finding',
          findingCount: 1,
          findings: ['CVE-2019-18224'],
        },
      ],
    });

    const event = await api.call('SecurityReader', 'GET', `/api/v1/events/${result.eventId}`);
    expect(event.statusCode).toBe(200);
    expect(event.json()).toMatchObject({
      id: result.eventId,
      time: api.now().toISOString(),
      namespace: 'prod-payments',
      kind: 'Deployment',
      name: 'checkout',
      operation: 'EVALUATE',
      source: 'evaluate',
      dryRun: true,
      decision: 'Denied',
      user: 'securityreader-token',
      message: result.message,
      rules: [{ name: 'deny-critical-in-prod', id: denyCritical.id, version: 1, action: 'Deny', description: expect.any(String) }],
    });
    const listed = await api.call('SecurityReader', 'GET', '/api/v1/events?dryRun=true&decision=Denied&rule=deny-critical-in-prod');
    expect(listed.json().events.map((e: { id: string }) => e.id)).toContain(result.eventId);
  });

  test('the same workload out of the rule scope is Allowed, and recorded too', async () => {
    const { results } = (await evaluate({ manifests: deployment('dev', FLUENTD) })).json();
    expect(results).toEqual([expect.objectContaining({ namespace: 'dev', decision: 'Allowed', violations: [], message: 'Allowed (dry run): Deployment dev/checkout: no rule triggered' })]);
    expect((await api.call('SecurityReader', 'GET', `/api/v1/events/${results[0].eventId}`)).json()).toMatchObject({ decision: 'Allowed', dryRun: true, rules: [] });
  });

  test('objects: one result per workload; an unscanned image under a rule that triggers on no evidence is Audited', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug' }, spec: { containers: [{ name: 'c', image: 'registry.example.com/tools/debug:1.0' }] } };
    const response = await evaluate({ objects: [{ apiVersion: 'v1', kind: 'List', items: [pod] }, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } }], namespace: 'staging' });
    expect(response.statusCode).toBe(200);
    expect(response.json().results).toEqual([
      expect.objectContaining({
        kind: 'Pod',
        namespace: 'staging',
        name: 'debug',
        decision: 'Audited',
        images: [{ image: 'registry.example.com/tools/debug:1.0', scanStatus: 'NotScanned', counts: { Critical: 0, High: 0, Medium: 0, Low: 0, Unknown: 0 }, findings: [] }],
        violations: [expect.objectContaining({ rule: 'audit-unscanned-in-staging', action: 'Audit', reason: 'NoEvidence', detail: 'not scanned', findingCount: 0 })],
      }),
    ]);
  });

  test("a cluster's cloud account decides cloud scopes", async () => {
    const inCloud = (await evaluate({ manifests: deployment('web', ALPINE), cluster: 'prod-eu' })).json().results[0];
    expect(inCloud).toMatchObject({ decision: 'Audited', violations: [{ rule: 'audit-medium-on-aws', findingCount: 4 }] });
    expect((await api.call('SecurityReader', 'GET', `/api/v1/events/${inCloud.eventId}`)).json()).toMatchObject({ cluster: 'prod-eu', provider: 'aws', account: '123456789012' });
    expect((await evaluate({ manifests: deployment('web', ALPINE) })).json().results[0].decision).toBe('Allowed');
  });

  test('an AdmissionReview: evaluated in its namespace, its uid in the event', async () => {
    const review = fixture('admission/deployment-create-kubectl-apply.json') as { request: { uid: string } };
    const { results } = (await evaluate({ review })).json();
    expect(results).toEqual([expect.objectContaining({ kind: 'Deployment', namespace: 'nginx', name: 'nginx', decision: 'Allowed', images: [expect.objectContaining({ image: 'nginx', scanStatus: 'NotScanned' })] })]);
    expect((await api.call('SecurityReader', 'GET', `/api/v1/events/${results[0].eventId}`)).json()).toMatchObject({ requestUid: review.request.uid, operation: 'EVALUATE', dryRun: true });

    const deletion = structuredClone(review) as { request: Record<string, unknown> };
    deletion.request.operation = 'DELETE';
    deletion.request.object = null;
    expect((await evaluate({ review: deletion })).json()).toEqual({ results: [] });
  });
});

describe("the switches of the cluster's account", () => {
  const clusterIn = async (name: string, account: string, switches: Record<string, boolean>): Promise<void> => {
    expect((await api.call('Admin', 'POST', '/api/v1/clusters', { body: { name, provider: 'aws', account } })).statusCode).toBe(201);
    expect((await api.call('Admin', 'PUT', `/api/v1/accounts/aws/${account}`, { body: switches })).statusCode).toBe(200);
  };

  test("gating off: the decision stands, and the answer and its event say the cluster's webhook would allow the workload", async () => {
    await clusterIn('gating-off', '111111111111', { gating: false });
    const response = await evaluate({ manifests: deployment('prod-payments', FLUENTD), cluster: 'gating-off' });
    expect(response.statusCode).toBe(200);
    const [result] = response.json().results;
    const message =
      `Denied (dry run): Deployment prod-payments/checkout: ${FLUENTD} violates 'deny-critical-in-prod' (Deny: 1 finding); ` +
      "gating is off for aws account 111111111111: the cluster's webhook would allow it";
    expect(result).toMatchObject({ decision: 'Denied', gating: false, message, violations: [{ rule: 'deny-critical-in-prod', enforced: true }] });
    expect((await api.call('SecurityReader', 'GET', `/api/v1/events/${result.eventId}`)).json()).toMatchObject({ decision: 'Denied', cluster: 'gating-off', message });

    const allowed = (await evaluate({ manifests: deployment('dev', FLUENTD), cluster: 'gating-off' })).json().results[0];
    expect(allowed).toMatchObject({ decision: 'Allowed', gating: false, message: expect.stringMatching(/no rule triggered; gating is off for aws account 111111111111: /) });
  });

  test('gating on (set, or never set): the answer has no gating field and no note', async () => {
    await clusterIn('gating-on', '333333333333', { gating: true });
    for (const cluster of ['gating-on', 'prod-eu']) {
      const [result] = (await evaluate({ manifests: deployment('prod-payments', FLUENTD), cluster })).json().results;
      expect(result.decision).toBe('Denied');
      expect(result).not.toHaveProperty('gating');
      expect(result.message).not.toContain('gating');
    }
  });

  test('security findings off: the findings stored for its images are not used, every image counts as not scanned', async () => {
    await clusterIn('findings-off', '222222222222', { securityFindings: false });
    const off = (await evaluate({ manifests: deployment('prod-payments', FLUENTD, ALPINE), cluster: 'findings-off' })).json().results[0];
    const none = { Critical: 0, High: 0, Medium: 0, Low: 0, Unknown: 0 };
    expect(off).toMatchObject({
      decision: 'Allowed',
      violations: [],
      images: [
        { image: FLUENTD, scanStatus: 'NotScanned', counts: none },
        { image: ALPINE, scanStatus: 'NotScanned', counts: none },
      ],
    });
    expect(off).not.toHaveProperty('gating');
    // A rule that triggers on no evidence sees them as not scanned.
    const staging = (await evaluate({ manifests: deployment('staging', FLUENTD), cluster: 'findings-off' })).json().results[0];
    expect(staging).toMatchObject({ decision: 'Audited', violations: [{ rule: 'audit-unscanned-in-staging', reason: 'NoEvidence', detail: 'not scanned' }] });
    // The same workload for a cluster of another account uses the findings.
    expect((await evaluate({ manifests: deployment('prod-payments', FLUENTD), cluster: 'prod-eu' })).json().results[0]).toMatchObject({
      decision: 'Denied',
      images: [{ image: FLUENTD, scanStatus: 'Scanned' }],
    });
  });
});

describe('bad requests', () => {
  test('a malformed workload in manifests: 400 with its place and line', async () => {
    const text = deployment('prod-payments', FLUENTD).replace(`image: "${FLUENTD}"`, 'image: 42');
    const response = await evaluate({ manifests: text });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems).toEqual([{ path: 'body.manifests.spec.template.spec.containers[0].image', message: expect.stringMatching(/\(document 1\) \(line 11\)$/) }]);
  });

  test('YAML that does not parse: 400 with the line', async () => {
    const response = await evaluate({ manifests: 'apiVersion: v1\nkind: Pod\nmetadata: {name: [broken\n' });
    expect(response.statusCode).toBe(400);
    const { problems } = response.json().error;
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).toEqual({ path: 'body.manifests', message: expect.stringMatching(/ \(line \d+\)$/) });
  });

  test('malformed objects: 400 naming each place in the body', async () => {
    const response = await evaluate({ objects: [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { template: { spec: { containers: [{ name: 'c' }] } } } }, { kind: 'Pod' }] });
    expect(response.statusCode).toBe(400);
    expect(paths(response)).toEqual(['body.objects[0].spec.template.spec.containers[0].image', 'body.objects[1].apiVersion']);
  });

  test('nothing to evaluate, or two things at once: 400', async () => {
    expect(paths(await evaluate({ cluster: 'prod-eu' }))).toEqual(['body']);
    expect(paths(await evaluate({ manifests: 'kind: List', objects: [{}] }))).toEqual(['body.objects']);
    expect(paths(await evaluate({ manifests: 'x', dryRun: false }))).toEqual(['body.dryRun']);
    expect(paths(await evaluate({ review: { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'u', object: {} } } }))).toEqual(['body.review.apiVersion']);
    expect(paths(await api.call('SecurityReader', 'POST', '/api/v1/evaluate'))).toEqual(['body']);
  });

  test('a scanner may not evaluate', async () => {
    expect((await api.call('Scanner', 'POST', '/api/v1/evaluate', { body: { manifests: deployment('dev', FLUENTD) } })).statusCode).toBe(403);
  });
});
