// Property-based tests: the matchers' algebra, and how decisions combine across rules.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { SEVERITIES } from '../findings/severity.js';
import { anySatisfies, satisfies } from './criteria.js';
import { compileRule } from './compile.js';
import { DECISIONS, evaluate, type Decision } from './evaluate.js';
import { selectorMatches, parseLabelSelector } from './label-selector.js';
import { ACTIONS, SCOPE_CRITERIA, type Rule } from './rule.js';
import { aFinding, aRule, aTarget, NOW, scannedImage } from './testing/builders.js';

const text = fc.string({ maxLength: 12 });

describe('matching criteria', () => {
  test('Equals implies StartsWith, EndsWith and Contains; NotEquals is its negation', () => {
    fc.assert(
      fc.property(text, text, (actual, expected) => {
        const equals = satisfies('Equals', actual, expected);
        expect(satisfies('NotEquals', actual, expected)).toBe(!equals);
        if (equals) {
          expect(satisfies('StartsWith', actual, expected)).toBe(true);
          expect(satisfies('EndsWith', actual, expected)).toBe(true);
          expect(satisfies('Contains', actual, expected)).toBe(true);
        }
      }),
    );
  });

  test('StartsWith and EndsWith hold for a prefix and a suffix, and imply Contains', () => {
    fc.assert(
      fc.property(text, text, text, (before, value, after) => {
        const actual = before + value + after;
        expect(satisfies('Contains', actual, value)).toBe(true);
        expect(satisfies('StartsWith', value + after, value)).toBe(true);
        expect(satisfies('EndsWith', before + value, value)).toBe(true);
      }),
    );
  });

  test('over several names, NotEquals holds exactly when no name Equals', () => {
    fc.assert(
      fc.property(fc.array(text, { maxLength: 4 }), text, (names, expected) => {
        expect(anySatisfies('NotEquals', names, expected)).toBe(!anySatisfies('Equals', names, expected));
      }),
    );
  });

  test('a positive criterion over several names holds when it holds for one of them', () => {
    fc.assert(
      fc.property(fc.array(text, { maxLength: 4 }), text, fc.constantFrom('Equals', 'StartsWith', 'EndsWith', 'Contains' as const), (names, expected, criterion) => {
        expect(anySatisfies(criterion, names, expected)).toBe(names.some((n) => satisfies(criterion, n, expected)));
      }),
    );
  });
});

describe('label selectors', () => {
  const key = fc.constantFrom('app', 'env', 'tier', 'example.com/team');
  const value = fc.constantFrom('a', 'b', 'prod', 'web-1');
  const labels = fc.dictionary(key, value, { maxKeys: 4 });

  test('key=value, key!=value, key and !key mean what Kubernetes means', () => {
    fc.assert(
      fc.property(labels, key, value, (set, k, v) => {
        const present = Object.hasOwn(set, k);
        expect(selectorMatches(parseLabelSelector(`${k}=${v}`), set)).toBe(present && set[k] === v);
        expect(selectorMatches(parseLabelSelector(`${k}!=${v}`), set)).toBe(!present || set[k] !== v);
        expect(selectorMatches(parseLabelSelector(k), set)).toBe(present);
        expect(selectorMatches(parseLabelSelector(`!${k}`), set)).toBe(!present);
      }),
    );
  });

  test('a conjunction holds when each requirement holds', () => {
    fc.assert(
      fc.property(labels, key, value, key, value, (set, k1, v1, k2, v2) => {
        const both = selectorMatches(parseLabelSelector(`${k1}=${v1},${k2} in (${v2},zzz)`), set);
        expect(both).toBe(selectorMatches(parseLabelSelector(`${k1}=${v1}`), set) && selectorMatches(parseLabelSelector(`${k2} in (${v2},zzz)`), set));
      }),
    );
  });
});

describe('combination across rules', () => {
  const severitySet = fc.uniqueArray(fc.constantFrom(...SEVERITIES), { minLength: 1, maxLength: 3 });
  const arbitraryRule: fc.Arbitrary<Rule> = fc
    .record({
      name: fc.string({ minLength: 1, maxLength: 6 }),
      action: fc.constantFrom(...ACTIONS),
      severities: severitySet,
      criterion: fc.constantFrom(...SCOPE_CRITERIA),
      namespace: fc.constantFrom('prod-', 'prod-payments', 'dev', 'pay'),
      scoped: fc.boolean(),
      unscanned: fc.constantFrom('Ignore' as const, 'Trigger' as const),
    })
    .map((r) =>
      aRule({
        name: r.name,
        action: r.action,
        conditions: { severities: r.severities },
        unscanned: r.unscanned,
        scope: r.scoped ? { resources: [{ kind: 'Namespace', criterion: r.criterion, value: r.namespace }] } : {},
      }),
    );
  const arbitraryImage = fc
    .record({ severities: fc.array(fc.constantFrom(...SEVERITIES), { maxLength: 5 }), enforce: fc.boolean(), scanned: fc.boolean() })
    .map(({ severities, enforce, scanned }) =>
      scanned
        ? scannedImage('app:1', severities.map((s, i) => aFinding(`CVE-2026-${i}`, s)), { enforce })
        : { reference: 'app:1', status: 'NotScanned' as const, enforce },
    );
  const images = fc.array(arbitraryImage, { minLength: 1, maxLength: 3 });
  const rank = (d: Decision) => DECISIONS.indexOf(d);
  const run = (rules: readonly Rule[], target: ReturnType<typeof aTarget>) => evaluate(target, rules.map((r) => compileRule(r)), NOW);

  test('the decision is the most restrictive of the decisions of each rule alone', () => {
    fc.assert(
      fc.property(fc.array(arbitraryRule, { maxLength: 6 }), images, (rules, imgs) => {
        const target = aTarget(imgs);
        const alone = rules.map((r) => rank(run([r], target).decision));
        expect(rank(run(rules, target).decision)).toBe(Math.max(0, ...alone));
      }),
    );
  });

  test('no rule short-circuits: the violations are those of every rule alone, in rule order', () => {
    fc.assert(
      fc.property(fc.array(arbitraryRule, { maxLength: 6 }), images, (rules, imgs) => {
        const target = aTarget(imgs);
        expect(run(rules, target).violations).toEqual(rules.flatMap((r) => run([r], target).violations));
      }),
    );
  });

  test('the order of rules does not change the decision', () => {
    fc.assert(
      fc.property(fc.array(arbitraryRule, { maxLength: 6 }).chain((rules) => fc.tuple(fc.constant(rules), fc.shuffledSubarray(rules, { minLength: rules.length }))), images, ([rules, shuffled], imgs) => {
        const target = aTarget(imgs);
        expect(run(shuffled, target).decision).toBe(run(rules, target).decision);
      }),
    );
  });

  test('adding a rule never makes the decision less restrictive', () => {
    fc.assert(
      fc.property(fc.array(arbitraryRule, { maxLength: 5 }), arbitraryRule, images, (rules, extra, imgs) => {
        const target = aTarget(imgs);
        expect(rank(run([...rules, extra], target).decision)).toBeGreaterThanOrEqual(rank(run(rules, target).decision));
      }),
    );
  });

  test('Denied only when a Deny rule triggered on an enforced image', () => {
    fc.assert(
      fc.property(fc.array(arbitraryRule, { maxLength: 6 }), images, (rules, imgs) => {
        const result = run(rules, aTarget(imgs));
        const enforcedDeny = result.violations.some((v) => v.action === 'Deny' && v.enforced);
        expect(result.decision === 'Denied').toBe(enforcedDeny);
        expect(result.decision === 'Allowed').toBe(result.violations.length === 0);
      }),
    );
  });
});
