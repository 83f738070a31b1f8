import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Finding } from '../findings/model.js';
import { SEVERITIES } from '../findings/severity.js';
import { compileRule } from '../policy/compile.js';
import type { Violation } from '../policy/evaluate.js';
import type { TargetImage } from '../policy/target.js';
import { aFinding, aRule, NOW, scannedImage, unscannedImage } from '../policy/testing/builders.js';
import {
  allowedAnswer,
  auditAnnotationsOf,
  boundedWarnings,
  DENY_MESSAGE_MAX_CHARS,
  deniedAnswer,
  denyMessage,
  erroredAnswer,
  imageWarning,
  pinPatch,
  shortenImage,
  truncate,
  WARNING_MAX_CHARS,
  type ImageViolations,
} from './answer.js';
import { decideAdmission } from './decide.js';
import { planAdmission, type EvaluatedAdmission } from './plan.js';
import { aDeployment, aPod, aRequest, fixtureRequest } from './testing/requests.js';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const EVENT = '0190f5d2-3c4b-7a1e-9f00-123456789abc';
/** What the API server keeps of the warnings in all. */
const API_SERVER_WARNINGS_BYTES = 4096;

function evaluated(plan: ReturnType<typeof planAdmission>): EvaluatedAdmission {
  if (plan.action !== 'Evaluate') throw new Error('skipped');
  return plan;
}

const resolved = (reference: string, digest = DIGEST_A): TargetImage => scannedImage(reference, [], { digest });

function violation(image: string, rule: string, findings: readonly Finding[], extra: Partial<Violation> = {}): Violation {
  return { rule: { name: rule }, action: 'Deny', image, digest: DIGEST_A, reason: 'Findings', detail: `${findings.length} findings`, findings, enforced: true, ...extra };
}

function wellFormed(text: string): boolean {
  return Buffer.from(text, 'utf8').toString('utf8') === text;
}

describe('answers', () => {
  test('allowed: the AdmissionReview v1 envelope with the uid; empty extras are left out', () => {
    expect(allowedAnswer('u-1', { warnings: [], auditAnnotations: {} })).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u-1', allowed: true } });
  });

  test('denied: 403 Forbidden with the message', () => {
    expect(deniedAnswer('u-1', 'no', { warnings: ['w'] })).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u-1', allowed: false, status: { code: 403, reason: 'Forbidden', message: 'no' }, warnings: ['w'] },
    });
  });

  test('errored: not allowed, with the code and message', () => {
    expect(erroredAnswer('u-1', 400, 'request.object.spec: missing').response).toEqual({ uid: 'u-1', allowed: false, status: { code: 400, message: 'request.object.spec: missing' } });
  });

  test('a patch is base64 JSON Patch', () => {
    const ops = [{ op: 'replace', path: '/spec/containers/0/image', value: `nginx:1@${DIGEST_A}` }] as const;
    const { response } = allowedAnswer('u-1', { patch: ops });
    expect(response.patchType).toBe('JSONPatch');
    expect(JSON.parse(Buffer.from(response.patch ?? '', 'base64').toString('utf8'))).toEqual(ops);
  });
});

describe('auditAnnotationsOf', () => {
  // What the API server accepts after it prefixes `<webhook name>/`: a qualified name.
  const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

  test('keys are valid qualified-name parts under the webhook’s name', () => {
    const annotations = auditAnnotationsOf({ decision: 'BreakGlass', eventId: EVENT, rules: ['a', 'b'], dryRun: true, breakGlass: 'INC-1' });
    expect(annotations).toEqual({ decision: 'BreakGlass', 'event-id': EVENT, rules: 'a,b', 'dry-run': 'true', 'break-glass': 'INC-1' });
    for (const key of Object.keys(annotations)) {
      expect(key).toMatch(NAME_PART);
      expect(key.length).toBeLessThanOrEqual(63);
    }
  });

  test('without an event, no event id; without rules, no rules', () => {
    expect(auditAnnotationsOf({ decision: 'Allowed', rules: [], dryRun: false })).toEqual({ decision: 'Allowed' });
  });
});

describe('pinPatch', () => {
  test('the StatefulSet pod: both containers pinned to the evaluated digest, the tag kept', () => {
    const plan = evaluated(planAdmission(fixtureRequest('pod-create-by-statefulset-controller.json'), { breakGlass: true }));
    const value = `docker.elastic.co/elasticsearch/elasticsearch:7.14.0@${DIGEST_A}`;
    expect(pinPatch(plan, [resolved('docker.elastic.co/elasticsearch/elasticsearch:7.14.0')])).toEqual([
      { op: 'replace', path: '/spec/initContainers/0/image', value },
      { op: 'replace', path: '/spec/containers/0/image', value },
    ]);
  });

  test('a short Docker Hub name is written out in full, with its default tag', () => {
    const plan = evaluated(planAdmission(aRequest(aPod(['nginx'])), { breakGlass: true }));
    expect(pinPatch(plan, [resolved('nginx')])).toEqual([{ op: 'replace', path: '/spec/containers/0/image', value: `docker.io/library/nginx:latest@${DIGEST_A}` }]);
  });

  test('nothing for an unresolved image, an image without digest, or one already pinned', () => {
    const pinned = `nginx:1.27@${DIGEST_A}`;
    const plan = evaluated(planAdmission(aRequest(aPod(['a/unresolved:1', 'a/unscanned:1', pinned])), { breakGlass: true }));
    const images = [unscannedImage('a/unresolved:1', 'Unresolved'), unscannedImage('a/unscanned:1'), resolved(pinned)];
    expect(pinPatch(plan, images)).toEqual([]);
  });

  test('an UPDATE pins only what is new: an unchanged image would restart its container', () => {
    const request = aRequest(aPod(['a/app:1', 'a/new:2']), { operation: 'UPDATE', oldObject: aPod(['a/app:1', 'a/old:1']) });
    const plan = evaluated(planAdmission(request, { breakGlass: true }));
    expect(pinPatch(plan, [resolved('a/app:1'), resolved('a/new:2')]).map((op) => op.path)).toEqual(['/spec/containers/1/image']);
  });

  test('a CronJob is pinned at its nested pod template', () => {
    const plan = evaluated(planAdmission(fixtureRequest('cronjob-create.json'), { breakGlass: true }));
    expect(pinPatch(plan, [resolved('busybox:1.28')])).toEqual([
      { op: 'replace', path: '/spec/jobTemplate/spec/template/spec/containers/0/image', value: `docker.io/library/busybox:1.28@${DIGEST_A}` },
    ]);
  });
});

describe('denyMessage', () => {
  const subject = { workload: 'Deployment shop/web', eventId: EVENT, dryRun: false };
  const findings = (count: number) => Array.from({ length: count }, (_, i) => aFinding(`CVE-2024-${String(i).padStart(4, '0')}`, 'High', { fixedVersion: `1.${i}` }));

  test('the top three findings of each image, and how many more', () => {
    const message = denyMessage(subject, [{ reference: 'a/app:1', digest: DIGEST_A, violations: [violation('a/app:1', 'deny-high', findings(5))] }]);
    expect(message.split('\n')).toEqual([
      'Portcullis denied Deployment shop/web: 1 image violates a Deny rule.',
      'a/app:1 (sha256:aaaaaaaaaaaa): 5 High; rule deny-high',
      expect.stringMatching(/^ {2}- CVE-2024-0000 \(High\) pkg-\d+ 1\.0\.0: fixed in 1\.0$/),
      expect.stringMatching(/^ {2}- CVE-2024-0001 /),
      expect.stringMatching(/^ {2}- CVE-2024-0002 /),
      '  - … 2 more',
      `Event ${EVENT}: see Admission Monitoring; fix the images or ask for an exemption.`,
    ]);
  });

  test('a finding matched by several rules is counted once; the rules are all named', () => {
    const shared = findings(2);
    const message = denyMessage(subject, [{ reference: 'a/app:1', violations: [violation('a/app:1', 'deny-high', shared), violation('a/app:1', 'deny-cve', [shared[0]!])] }]);
    expect(message).toContain('a/app:1: 2 High; rules deny-high, deny-cve');
  });

  test('too long: the finding lists go first, then images; the event id stays', () => {
    const images: ImageViolations[] = Array.from({ length: 40 }, (_, i) => ({
      reference: `registry.example.com/team-${i}/service-with-a-long-name:1.0.${i}`,
      violations: [violation(`x${i}`, 'deny-high', findings(10))],
    }));
    const message = denyMessage(subject, images);
    expect(message.length).toBeLessThanOrEqual(DENY_MESSAGE_MAX_CHARS);
    expect(message).toContain(EVENT);
    expect(message).not.toContain('CVE-');
    expect(message).toMatch(/… and \d+ more images\n/);
  });

  test('property: any images, findings, rule names and workload → within the cap, event id whole', () => {
    const text = (max: number) => fc.string({ unit: 'binary', maxLength: max });
    const finding = fc.record({ id: text(80), severity: fc.constantFrom(...SEVERITIES), name: text(60), version: text(40), fixed: fc.option(text(40), { nil: undefined }) });
    const image = fc.record({ reference: text(500), rules: fc.array(text(100), { minLength: 1, maxLength: 6 }), findings: fc.array(finding, { maxLength: 12 }) });
    fc.assert(
      fc.property(fc.array(image, { minLength: 1, maxLength: 25 }), text(600), fc.uuid(), fc.boolean(), (raw, workload, eventId, dryRun) => {
        const images = raw.map(({ reference, rules, findings }) => {
          const list = findings.map((f) => aFinding(f.id, f.severity, { package: { name: f.name, version: f.version }, ...(f.fixed !== undefined && { fixedVersion: f.fixed }) }));
          return { reference, violations: rules.map((rule) => violation(reference, rule, list)) };
        });
        const message = denyMessage({ workload, eventId, dryRun }, images);
        expect(message.length).toBeLessThanOrEqual(DENY_MESSAGE_MAX_CHARS);
        expect(message).toContain(`Event ${eventId}:`);
        expect(wellFormed(message)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('warnings', () => {
  const text = (max: number) => fc.string({ unit: 'binary', maxLength: max });
  const imageViolations = fc
    .record({
      reference: text(500),
      rules: fc.array(text(120), { maxLength: 8 }),
      ids: fc.array(fc.record({ id: text(60), severity: fc.constantFrom(...SEVERITIES) }), { maxLength: 8 }),
      outcome: fc.option(text(80), { nil: undefined }),
      summary: fc.option(text(200), { nil: undefined }),
    })
    .map(({ reference, rules, ids, outcome, summary }): ImageViolations => {
      const findings = ids.map(({ id, severity }) => aFinding(id, severity));
      return {
        reference,
        violations: rules.map((rule) => violation(reference, rule, findings, findings.length === 0 ? { reason: 'NoEvidence', detail: 'not scanned' } : {})),
        ...(outcome !== undefined && { outcome }),
        ...(summary !== undefined && { summary }),
      };
    });

  test('property: any image, rules and findings → one warning of at most 120 characters', () => {
    fc.assert(
      fc.property(imageViolations, (image) => {
        const warning = imageWarning(image);
        expect(warning.length).toBeLessThanOrEqual(WARNING_MAX_CHARS);
        expect(wellFormed(warning)).toBe(true);
        // eslint-disable-next-line no-control-regex
        expect(warning).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      }),
      { numRuns: 500 },
    );
  });

  test('property: any number of images → each at most 120 characters, under 4,096 bytes in all', () => {
    fc.assert(
      fc.property(fc.array(text(300), { maxLength: 4 }), fc.array(imageViolations, { maxLength: 80 }), fc.option(fc.uuid(), { nil: undefined }), (lead, images, eventId) => {
        const warnings = boundedWarnings(lead, images.map(imageWarning), eventId);
        for (const warning of warnings) expect(warning.length).toBeLessThanOrEqual(WARNING_MAX_CHARS);
        expect(warnings.reduce((sum, warning) => sum + Buffer.byteLength(warning), 0)).toBeLessThan(API_SERVER_WARNINGS_BYTES);
        expect(warnings.length).toBeGreaterThanOrEqual(lead.length);
      }),
      { numRuns: 300 },
    );
  });

  test('too many images: the ones that do not fit are counted in a last warning naming the event', () => {
    const images = Array.from({ length: 100 }, (_, i) => `registry.example.com/team/service-number-${i}:1.0 violates deny-critical: 3 Critical (audit)`);
    const warnings = boundedWarnings(['Portcullis audited Deployment shop/web'], images, EVENT);
    expect(warnings.at(-1)).toMatch(new RegExp(`^… and \\d+ more images violate rules: see event ${EVENT}$`));
    expect(warnings.reduce((sum, warning) => sum + Buffer.byteLength(warning), 0)).toBeLessThan(API_SERVER_WARNINGS_BYTES);
  });

  test('a long image is shortened smartly: digest, then the middle of the path', () => {
    const long = `registry.example.com/platform/team/payments/checkout-service:2024.06.15-build.1234@${DIGEST_A}`;
    expect(shortenImage(long, 90)).toBe('registry.example.com/platform/team/payments/checkout-service:2024.06.15-build.1234');
    expect(shortenImage(long, 70)).toBe('registry.example.com/…/checkout-service:2024.06.15-build.1234');
    expect(shortenImage(long, 45)).toBe('…/checkout-service:2024.06.15-build.1234');
    expect(shortenImage(long, 20)).toHaveLength(20);
    expect(shortenImage(`a/b@${DIGEST_A}`, 30)).toBe('a/b@sha256:aaaaaaaaaaaa');
  });

  test('truncate never splits a character', () => {
    expect(truncate('ab😀cd', 4)).toBe('ab…');
    expect(truncate('ab😀cd', 5)).toBe('ab😀…');
    expect(truncate('abc', 3)).toBe('abc');
  });
});

describe('decideAdmission keeps the limits, whatever the images and rules', () => {
  const segment = fc.stringMatching(/^[a-z0-9]{1,40}$/);
  const reference = fc.tuple(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,60}$/)).map(([path, tag]) => `registry.example.com/${path.join('/')}:${tag}`);
  const ruleName = fc.string({ minLength: 1, maxLength: 120 });

  test('property: each warning ≤ 120 characters, all < 4,096 bytes, a Deny message ≤ the cap with the event id', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(reference, { minLength: 1, maxLength: 40 }),
        fc.uniqueArray(ruleName, { minLength: 1, maxLength: 5, selector: (name) => name.toLowerCase() }),
        fc.boolean(),
        fc.constantFrom('open', 'closed' as const),
        fc.uuid(),
        (references, names, gating, failureMode, eventId) => {
          const plan = evaluated(planAdmission(aRequest(aDeployment(references)), { breakGlass: true }));
          const images = references.map((ref, i) =>
            i % 7 === 6 ? unscannedImage(ref, 'Unresolved') : scannedImage(ref, [aFinding(`CVE-2024-${i}`, 'Critical', { fixedVersion: '2.0' }), aFinding(`GHSA-${i}`, 'High')], { digest: DIGEST_A }),
          );
          const rules = names.map((name, i) => compileRule(aRule({ name, action: i % 2 === 0 ? 'Deny' : 'Audit', conditions: { severities: ['High', 'Critical'] } })));
          const { response } = decideAdmission(plan, images, rules, { cluster: {}, gating, now: NOW, eventId, failureMode }).response;
          for (const warning of response.warnings ?? []) expect(warning.length).toBeLessThanOrEqual(WARNING_MAX_CHARS);
          expect((response.warnings ?? []).reduce((sum, warning) => sum + Buffer.byteLength(warning), 0)).toBeLessThan(API_SERVER_WARNINGS_BYTES);
          if (!response.allowed) {
            expect(response.status?.message.length).toBeLessThanOrEqual(DENY_MESSAGE_MAX_CHARS);
            expect(response.status?.message).toContain(eventId);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
