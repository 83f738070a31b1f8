// The whole decision on damaged AdmissionReviews (the real ones, damaged at random places): every
// one is answered, allowed or denied by the rules, or refused with a 400 naming the field, and none
// is taken for a fault of the webhook's own, which the failure mode would decide (closed: denied,
// with "could not evaluate"). Answers stay within what Kubernetes shows: warnings of at most 120
// characters, at most 4,000 bytes in all (the API server drops what passes 4,096).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DEFAULT_SETTINGS } from '../api/settings.js';
import { WARNING_MAX_CHARS, WARNINGS_MAX_BYTES } from '../admission/answer.js';
import { damagedReviews } from '../admission/testing/damaged-reviews.js';
import type { AdmissionEvent } from '../events/admission-event.js';
import { compileRule } from '../policy/compile.js';
import { ImageEvidence } from '../policy/evidence.js';
import type { PolicySnapshot } from '../sensor/policy-snapshot.js';
import { AdmissionHandler } from './admission-handler.js';
import { WebhookMetrics } from './metrics.js';
import { fakeDigest, findingsOf, ruleOf, silentLogger } from './testing/webhook-harness.js';

/** Every image has Critical and High findings: the Deny rule denies new images, the Audit rule audits the rest. */
const evidence = new ImageEvidence([...findingsOf('Critical', 5), ...findingsOf('High', 20, 'CVE-2023-2')]);
const snapshot: PolicySnapshot = {
  rules: () => [compileRule(ruleOf('deny-critical')), compileRule(ruleOf('audit-high', { action: 'Audit', conditions: { severities: ['High', 'Critical'] } }))],
  lookup: () => ({ digest: fakeDigest('d'), evidence }),
  account: () => undefined,
  cluster: () => undefined,
  settings: () => DEFAULT_SETTINGS,
  state: { rulesSeq: 1, scansSeq: 1, syncedAt: '2026-11-27T00:00:00.000Z', stale: false },
};

interface Answer {
  readonly response?: {
    readonly allowed: boolean;
    readonly warnings?: readonly string[];
    readonly status?: { readonly code?: number; readonly message?: string };
    readonly patch?: string;
  };
  readonly error?: { readonly message: string };
}

function handlerOn(recorded: AdmissionEvent[]): AdmissionHandler {
  return new AdmissionHandler({
    snapshot,
    recorder: { record: async (event) => void recorded.push(event) },
    metrics: new WebhookMetrics(),
    logger: silentLogger(),
    failureMode: 'closed',
    deadlineMs: 2000,
  });
}

/** The value at a JSON pointer (RFC 6901), or undefined when the path leads nowhere. */
function at(value: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, token) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[token] : undefined), value);
}

describe('the webhook on damaged AdmissionReviews', () => {
  test('answers each by the rules or refuses it with a 400: never a fault of its own', async () => {
    const recorded: AdmissionEvent[] = [];
    const handler = handlerOn(recorded);
    const outcomes = { decided: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(damagedReviews(), async ({ review }) => {
        recorded.length = 0;
        const { status, body } = await handler.handle('validate', review);
        const answer = body as Answer;
        expect([200, 400]).toContain(status);
        const faults = recorded.filter((event) => event.decision === 'Error');
        expect(faults.map((event) => event.message)).toEqual([]);
        const refused = status === 400 || answer.response?.status?.code === 400;
        if (refused) {
          outcomes.refused++;
          expect(answer.error?.message ?? answer.response?.status?.message).toMatch(/\S/);
          return;
        }
        outcomes.decided++;
        const warnings = answer.response?.warnings ?? [];
        for (const warning of warnings) expect(warning.length).toBeLessThanOrEqual(WARNING_MAX_CHARS);
        expect(Buffer.byteLength(warnings.join(''))).toBeLessThanOrEqual(WARNINGS_MAX_BYTES);
      }),
      { numRuns: 1_000 },
    );
    expect(outcomes.refused).toBeGreaterThan(50);
    expect(outcomes.decided).toBeGreaterThan(50);
  });

  test('/mutate pins only images that are there: every patch replaces a string at a path of the object', async () => {
    const handler = handlerOn([]);
    let patched = 0;
    await fc.assert(
      fc.asyncProperty(damagedReviews(), async ({ review }) => {
        const { status, body } = await handler.handle('mutate', review);
        expect([200, 400]).toContain(status);
        const patch = (body as Answer).response?.patch;
        if (patch === undefined) return;
        patched++;
        const object = (review as { request: { object: unknown } }).request.object;
        const operations = JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as { op: string; path: string; value: unknown }[];
        expect(operations.length).toBeGreaterThan(0);
        for (const { op, path, value } of operations) {
          expect(op).toBe('replace');
          expect(typeof at(object, path)).toBe('string');
          expect(value).toMatch(/@sha256:[0-9a-f]{64}$/);
        }
      }),
      { numRuns: 1_000 },
    );
    expect(patched).toBeGreaterThan(50);
  });
});
