import { describe, expect, test } from 'vitest';
import { EVENT_ID } from '../events/event-id.js';
import { compileRule } from '../policy/compile.js';
import type { Rule } from '../policy/rule.js';
import type { TargetImage } from '../policy/target.js';
import { aFinding, aRule, NOW, scannedImage, unscannedImage } from '../policy/testing/builders.js';
import { WARNING_MAX_CHARS } from './answer.js';
import { decideAdmission, type DecideContext } from './decide.js';
import { BREAK_GLASS_ANNOTATION, planAdmission, type EvaluatedAdmission, type PlanOptions } from './plan.js';
import type { AdmissionRequest } from './review.js';
import { aDeployment, aRequest, fixtureRequest } from './testing/requests.js';

const EVENT = '0190f5d2-3c4b-7a1e-9f00-123456789abc';
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const CONTEXT: DecideContext = { cluster: { name: 'prod-eu-1', provider: 'aws', account: '123456789012' }, gating: true, now: NOW, eventId: EVENT, failureMode: 'closed' };

const denyCritical = aRule({ name: 'deny-critical', action: 'Deny', conditions: { severities: ['Critical'] } });
const auditHigh = aRule({ name: 'audit-high', action: 'Audit', conditions: { severities: ['High', 'Critical'] } });

const CRITICAL_FINDINGS = [
  aFinding('CVE-2024-0001', 'Critical', { package: { name: 'openssl', version: '3.0.1', type: 'deb' }, fixedVersion: '3.0.13', fixAvailable: true }),
  aFinding('CVE-2024-0002', 'Critical', { package: { name: 'zlib', version: '1.2.11', type: 'deb' } }),
];
const critical = (reference: string, digest = DIGEST_A): TargetImage => scannedImage(reference, CRITICAL_FINDINGS, { digest });
const clean = (reference: string, digest = DIGEST_B): TargetImage => scannedImage(reference, [], { digest });

function planOf(request: AdmissionRequest, options: PlanOptions = { breakGlass: true }): EvaluatedAdmission {
  const plan = planAdmission(request, options);
  if (plan.action !== 'Evaluate') throw new Error(`skipped: ${plan.detail}`);
  return plan;
}

function decide(plan: EvaluatedAdmission, images: readonly TargetImage[], rules: readonly Rule[] = [denyCritical], context: Partial<DecideContext> = {}) {
  return decideAdmission(plan, images, rules.map((rule) => compileRule(rule)), { ...CONTEXT, ...context });
}

describe('decideAdmission: the real requests, every image Critical, one Deny rule', () => {
  test.each([
    ['pod-create-by-statefulset-controller.json', 'Audited', 'Pod', 'default/elasticsearch-master-0'],
    ['deployment-create-kubectl-apply.json', 'Denied', 'Deployment', 'nginx/nginx'],
    ['deployment-update-with-oldobject.request-only.json', 'Audited', 'Deployment', 'default/nginx'],
    ['cronjob-create.json', 'Denied', 'CronJob', 'default/hello'],
    ['deployment-create-dryrun-kube-review.json', 'Denied', 'Deployment', 'default/nginx'],
    ['pod-create-with-ephemeral-container.request-only.json', 'Denied', 'Pod', 'default/nginx'],
  ])('%s: %s', (file, decision, kind, where) => {
    const plan = planOf(fixtureRequest(file));
    const outcome = decide(plan, plan.images.map((image) => critical(image.reference)));
    expect(outcome.decision).toBe(decision);
    expect(outcome.allowed).toBe(decision !== 'Denied');
    expect(outcome.record).toBe(true);
    expect(outcome.event).toMatchObject({ id: EVENT, kind, decision, source: 'webhook', requestUid: plan.uid, dryRun: plan.dryRun });
    expect(`${outcome.event.namespace}/${outcome.event.name}`).toBe(where);
    expect(outcome.event.images.map((image) => image.digest)).toEqual(plan.images.map(() => DIGEST_A));
    expect(outcome.response.response.uid).toBe(plan.uid);
    expect(outcome.response.response.allowed).toBe(decision !== 'Denied');
  });

  test('the kube-review dry run is denied like a real request, and marked as a dry run', () => {
    const plan = planOf(fixtureRequest('deployment-create-dryrun-kube-review.json'));
    const outcome = decide(plan, [critical('nginx')]);
    expect(outcome.status?.message).toMatch(/^Portcullis denied Deployment default\/nginx \(dry run\): 1 image violates a Deny rule\./);
    expect(outcome.event.dryRun).toBe(true);
    expect(outcome.event.user).toBe('kube-review');
    expect(outcome.response.response.auditAnnotations).toMatchObject({ 'dry-run': 'true', decision: 'Denied' });
  });
});

describe('decideAdmission: answers', () => {
  const plan = planOf(aRequest(aDeployment(['registry.example/shop/web:1.4', 'registry.example/shop/sidecar:2.0'])));

  test('Deny: 403 Forbidden naming the workload, image, counts, findings with fixes, rule and event', () => {
    const outcome = decide(plan, [critical('registry.example/shop/web:1.4'), clean('registry.example/shop/sidecar:2.0')], [denyCritical, auditHigh]);
    expect(outcome.allowed).toBe(false);
    expect(outcome.decision).toBe('Denied');
    expect(outcome.status).toEqual({ code: 403, reason: 'Forbidden', message: outcome.response.response.status?.message });
    expect(outcome.status?.message).toBe(
      [
        'Portcullis denied Deployment shop/web: 1 image violates a Deny rule.',
        'registry.example/shop/web:1.4 (sha256:aaaaaaaaaaaa): 2 Critical; rule deny-critical',
        '  - CVE-2024-0001 (Critical) openssl 3.0.1: fixed in 3.0.13',
        '  - CVE-2024-0002 (Critical) zlib 1.2.11: no fix yet',
        `Event ${EVENT}: see Admission Monitoring; fix the images or ask for an exemption.`,
      ].join('\n'),
    );
    expect(outcome.response).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: {
        uid: 'req-1',
        allowed: false,
        status: outcome.status,
        // The image also violates the Audit rule, but the Deny says all there is to say about it.
        auditAnnotations: { decision: 'Denied', 'event-id': EVENT, rules: 'deny-critical,audit-high' },
      },
    });
    expect(outcome.event.message).toBe('Denied: Deployment shop/web: registry.example/shop/web:1.4 violates deny-critical: 2 Critical');
    expect(outcome.record).toBe(true);
  });

  test('Audit: allowed with one warning per violating image, and audit annotations', () => {
    const outcome = decide(plan, [critical('registry.example/shop/web:1.4'), critical('registry.example/shop/sidecar:2.0', DIGEST_B)], [auditHigh]);
    expect(outcome.allowed).toBe(true);
    expect(outcome.decision).toBe('Audited');
    expect(outcome.status).toBeUndefined();
    expect(outcome.response.response).toEqual({
      uid: 'req-1',
      allowed: true,
      warnings: [
        `Portcullis audited Deployment shop/web, event ${EVENT}`,
        'registry.example/shop/web:1.4 violates audit-high: 2 Critical (audit)',
        'registry.example/shop/sidecar:2.0 violates audit-high: 2 Critical (audit)',
      ],
      auditAnnotations: { decision: 'Audited', 'event-id': EVENT, rules: 'audit-high' },
    });
    expect(outcome.record).toBe(true);
  });

  test('Allowed: nothing triggered, nothing to say, not recorded unless asked', () => {
    const images = [clean('registry.example/shop/web:1.4'), clean('registry.example/shop/sidecar:2.0')];
    const outcome = decide(plan, images, [denyCritical, auditHigh]);
    expect(outcome).toMatchObject({ allowed: true, decision: 'Allowed', record: false });
    expect(outcome.response.response).toEqual({ uid: 'req-1', allowed: true, auditAnnotations: { decision: 'Allowed' } });
    expect(outcome.event.message).toBe('Allowed: Deployment shop/web: no rule triggered');

    const recorded = decide(plan, images, [denyCritical], { recordAllowed: true });
    expect(recorded.record).toBe(true);
    expect(recorded.response.response.auditAnnotations).toEqual({ decision: 'Allowed', 'event-id': EVENT });
  });

  test('the event carries the rules as applied and every image with its digest and counts', () => {
    const outcome = decide(plan, [critical('registry.example/shop/web:1.4'), clean('registry.example/shop/sidecar:2.0')], [denyCritical]);
    expect(outcome.event).toMatchObject({ cluster: 'prod-eu-1', account: '123456789012', provider: 'aws', operation: 'CREATE', user: 'alice@example.com', workload: 'web' });
    expect(outcome.event.images.map((image) => [image.reference, image.digest, image.scanStatus, image.counts.Critical, image.violations.length])).toEqual([
      ['registry.example/shop/web:1.4', DIGEST_A, 'Scanned', 2, 1],
      ['registry.example/shop/sidecar:2.0', DIGEST_B, 'Scanned', 0, 0],
    ]);
    expect(outcome.event.rules.map((rule) => rule.name)).toEqual(['deny-critical']);
    expect(outcome.event.time).toBe(NOW.toISOString());
    expect(EVENT_ID.test(outcome.event.id)).toBe(true);
  });

  test('each finding is in the event once per image, however many rules name it', () => {
    const withHigh = scannedImage('registry.example/shop/web:1.4', [...CRITICAL_FINDINGS, aFinding('CVE-2024-0003', 'High', { package: { name: 'curl', version: '8.0.0', type: 'deb' } })], { digest: DIGEST_A });
    const outcome = decide(plan, [withHigh], [denyCritical, auditHigh]);
    const [image] = outcome.event.images;
    expect(image?.violations.map((v) => [v.rule, v.findingCount, v.findings])).toEqual([
      ['deny-critical', 2, ['CVE-2024-0001', 'CVE-2024-0002']],
      ['audit-high', 3, ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003']],
    ]);
    expect(image?.findings).toEqual([
      { id: 'CVE-2024-0001', severity: 'Critical', package: 'openssl', version: '3.0.1', fixedVersion: '3.0.13' },
      { id: 'CVE-2024-0002', severity: 'Critical', package: 'zlib', version: '1.2.11' },
      { id: 'CVE-2024-0003', severity: 'High', package: 'curl', version: '8.0.0' },
    ]);
    expect(image?.matched).toEqual(['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003']);
  });
});

describe('decideAdmission: what is not enforced', () => {
  test('the controller’s pod with a Deny: audited, and the warning says why', () => {
    const plan = planOf(fixtureRequest('pod-create-by-statefulset-controller.json'));
    const outcome = decide(plan, [critical('docker.elastic.co/elasticsearch/elasticsearch:7.14.0')]);
    expect(outcome.allowed).toBe(true);
    expect(outcome.evaluation.violations.map((v) => [v.action, v.enforced])).toEqual([['Deny', false]]);
    expect(outcome.response.response.warnings).toEqual([
      `Portcullis audited Pod default/elasticsearch-master-0, event ${EVENT}`,
      // Shortened to fit 120 characters: the middle of the path goes first.
      'docker.elastic.co/…/elasticsearch:7.14.0 violates deny-critical: 2 Critical (not denied: made by a controller)',
    ]);
  });

  test('an UPDATE adding a violating image: denied for the new image only; the unchanged one is a warning', () => {
    const request = fixtureRequest('deployment-update-with-oldobject.request-only.json');
    const object = structuredClone(request.object) as { spec: { template: { spec: { containers: unknown[] } } } };
    object.spec.template.spec.containers.push({ name: 'sidecar', image: 'ghcr.io/acme/proxy:2.1' });
    const plan = planOf({ ...request, object });
    const outcome = decide(plan, [critical('nginx:latest'), critical('ghcr.io/acme/proxy:2.1', DIGEST_B)]);
    expect(outcome.decision).toBe('Denied');
    expect(outcome.status?.message).toContain('ghcr.io/acme/proxy:2.1 (sha256:bbbbbbbbbbbb): 2 Critical; rule deny-critical');
    expect(outcome.status?.message).not.toContain('nginx:latest');
    expect(outcome.response.response.warnings).toEqual(['nginx:latest violates deny-critical: 2 Critical (not denied: image unchanged)']);
    expect(outcome.event.images.flatMap((image) => image.violations.map((v) => [image.reference, v.enforced]))).toEqual([
      ['nginx:latest', false],
      ['ghcr.io/acme/proxy:2.1', true],
    ]);
  });

  test('an UPDATE whose tag resolves to the digest the old object pinned is unchanged', () => {
    const request = aRequest(aDeployment(['nginx:1.27']), { operation: 'UPDATE', oldObject: aDeployment([`docker.io/library/nginx:1.27@${DIGEST_A}`]) });
    expect(decide(planOf(request), [critical('nginx:1.27', DIGEST_A)]).decision).toBe('Audited');
    // The tag moved: a new image.
    expect(decide(planOf(request), [critical('nginx:1.27', DIGEST_B)]).decision).toBe('Denied');
  });

  test('gating off for the account: allowed, recorded, and the answer says so', () => {
    const plan = planOf(aRequest(aDeployment(['nginx:1.27'])));
    const outcome = decide(plan, [critical('nginx:1.27')], [denyCritical], { gating: false });
    expect(outcome).toMatchObject({ allowed: true, decision: 'Audited', record: true });
    expect(outcome.response.response.warnings).toEqual([
      `Portcullis audited Deployment shop/web, event ${EVENT}`,
      'Portcullis gating is off for account 123456789012: Deny rules are only recorded',
      'nginx:1.27 violates deny-critical: 2 Critical (not denied: gating off)',
    ]);
    // Nothing triggered: still recorded, nothing to warn about.
    const quiet = decide(plan, [clean('nginx:1.27')], [denyCritical], { gating: false });
    expect(quiet).toMatchObject({ allowed: true, decision: 'Allowed', record: true });
    expect(quiet.response.response.warnings).toBeUndefined();
  });
});

describe('decideAdmission: break-glass', () => {
  const annotated = aDeployment(['nginx:1.27'], { annotations: { [BREAK_GLASS_ANNOTATION]: 'INC-4711 payments down' } });

  test('on: allowed whatever the rules say, decision BreakGlass, always recorded with the reason', () => {
    const outcome = decide(planOf(aRequest(annotated)), [critical('nginx:1.27')]);
    expect(outcome).toMatchObject({ allowed: true, decision: 'BreakGlass', record: true });
    expect(outcome.event).toMatchObject({ decision: 'BreakGlass', breakGlass: 'INC-4711 payments down' });
    expect(outcome.event.images[0]?.violations[0]).toMatchObject({ rule: 'deny-critical', enforced: false });
    expect(outcome.response.response.warnings).toEqual([
      `Portcullis break-glass (INC-4711 payments down): allowed and recorded, event ${EVENT}`,
      'nginx:1.27 violates deny-critical: 2 Critical (not denied: break-glass)',
    ]);
    expect(outcome.response.response.auditAnnotations).toEqual({ decision: 'BreakGlass', 'event-id': EVENT, rules: 'deny-critical', 'break-glass': 'INC-4711 payments down' });
  });

  test('on, with nothing violated: still BreakGlass and recorded', () => {
    expect(decide(planOf(aRequest(annotated)), [clean('nginx:1.27')])).toMatchObject({ decision: 'BreakGlass', record: true, allowed: true });
  });

  test('off: the annotation is ignored, the Deny stands, and the answer says it was ignored', () => {
    const outcome = decide(planOf(aRequest(annotated), { breakGlass: false }), [critical('nginx:1.27')]);
    expect(outcome).toMatchObject({ allowed: false, decision: 'Denied' });
    expect(outcome.event.breakGlass).toBeUndefined();
    expect(outcome.response.response.warnings).toEqual(['portcullis.dev/break-glass ignored: break-glass is turned off for this cluster']);
  });
});

describe('decideAdmission: unresolved images and the failure mode', () => {
  const plan = planOf(aRequest(aDeployment(['registry.example/shop/web:1.4', 'nginx:1.27'])));
  const unresolved = unscannedImage('registry.example/shop/web:1.4', 'Unresolved');

  test('closed: a Deny rule in scope blocks what could not be resolved', () => {
    const outcome = decide(plan, [unresolved, clean('nginx:1.27')], [denyCritical], { failureMode: 'closed' });
    expect(outcome).toMatchObject({ allowed: false, decision: 'Denied', record: true });
    expect(outcome.status?.message).toContain('registry.example/shop/web:1.4: tag could not be resolved to a digest (failure mode closed); rule deny-critical');
    expect(outcome.event.images[0]).toMatchObject({ scanStatus: 'Unresolved', violations: [{ rule: 'deny-critical', reason: 'NoEvidence', enforced: true }] });
  });

  test('closed: an Audit rule only audits it', () => {
    const outcome = decide(plan, [unresolved, clean('nginx:1.27')], [auditHigh], { failureMode: 'closed' });
    expect(outcome).toMatchObject({ allowed: true, decision: 'Audited', record: true });
    expect(outcome.response.response.warnings).toContain('registry.example/shop/web:1.4 violates audit-high: tag could not be resolved to a digest (failure mode closed) (audit)');
  });

  test('closed: an image the request does not change is not blocked', () => {
    const update = planOf(aRequest(aDeployment(['registry.example/shop/web:1.4']), { operation: 'UPDATE', oldObject: aDeployment(['registry.example/shop/web:1.4']) }));
    expect(decide(update, [unresolved], [denyCritical]).decision).toBe('Audited');
  });

  test('closed: with no rule in scope there is nothing to block; allowed, recorded, warned', () => {
    const elsewhere = aRule({ name: 'deny-prod', scope: { resources: [{ kind: 'Namespace', criterion: 'Equals', value: 'prod' }] } });
    const outcome = decide(plan, [unresolved, clean('nginx:1.27')], [elsewhere]);
    expect(outcome).toMatchObject({ allowed: true, decision: 'Allowed', record: true });
    expect(outcome.response.response.warnings).toEqual([
      `Portcullis allowed Deployment shop/web, event ${EVENT}`,
      'registry.example/shop/web:1.4: tag could not be resolved to a digest (no rule applies)',
    ]);
  });

  test('open: allowed with a warning, recorded as audited', () => {
    const outcome = decide(plan, [unresolved, clean('nginx:1.27')], [denyCritical], { failureMode: 'open' });
    expect(outcome).toMatchObject({ allowed: true, decision: 'Audited', record: true });
    expect(outcome.event.images[0]?.violations).toMatchObject([{ rule: 'deny-critical', enforced: false, detail: 'tag could not be resolved to a digest' }]);
    expect(outcome.response.response.warnings).toEqual([
      `Portcullis audited Deployment shop/web, event ${EVENT}`,
      'registry.example/shop/web:1.4 violates deny-critical: tag could not be resolved to a digest (allowed: failure mode open)',
    ]);
  });

  test('an image the server did not hand over is Unresolved', () => {
    const outcome = decide(plan, [clean('nginx:1.27')], [denyCritical], { failureMode: 'closed' });
    expect(outcome.decision).toBe('Denied');
    expect(outcome.event.images[0]).toMatchObject({ reference: 'registry.example/shop/web:1.4', scanStatus: 'Unresolved' });
  });

  test('resolved images are judged on their evidence as usual next to unresolved ones', () => {
    const outcome = decide(plan, [unresolved, critical('nginx:1.27')], [denyCritical], { failureMode: 'open' });
    expect(outcome.decision).toBe('Denied');
    expect(outcome.status?.message).toContain('nginx:1.27 (sha256:aaaaaaaaaaaa): 2 Critical; rule deny-critical');
    expect(outcome.status?.message).not.toContain('registry.example/shop/web:1.4');
    expect(outcome.response.response.warnings).toEqual(['registry.example/shop/web:1.4 violates deny-critical: tag could not be resolved to a digest (allowed: failure mode open)']);
  });

  test('every warning stays within the API server’s limit', () => {
    const outcome = decide(plan, [unresolved, critical('nginx:1.27')], [denyCritical, auditHigh], { gating: false });
    for (const warning of outcome.response.response.warnings ?? []) expect(warning.length).toBeLessThanOrEqual(WARNING_MAX_CHARS);
  });
});
