// The index must never leave out a rule that evaluate() would find in scope.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { compileRules } from './compile.js';
import { evaluate } from './evaluate.js';
import { RuleIndex, ruleIndexOf } from './rule-index.js';
import type { ResourceScope, Rule } from './rule.js';
import { aFinding, aRule, aTarget, NOW, scannedImage } from './testing/builders.js';

const NAMESPACES = ['team-a', 'team-b', 'prod-a', 'default'];

const scopeArbitrary: fc.Arbitrary<ResourceScope> = fc.record({
  kind: fc.constantFrom('Namespace' as const, 'Deployment' as const),
  criterion: fc.constantFrom('Equals' as const, 'StartsWith' as const, 'NotEquals' as const, 'Contains' as const),
  value: fc.constantFrom(...NAMESPACES, 'team-', 'prod', 'web'),
});

describe('RuleIndex', () => {
  test('for any rules and namespace: the same evaluation as over every rule', () => {
    fc.assert(
      fc.property(fc.array(fc.array(scopeArbitrary, { maxLength: 2 }), { maxLength: 30 }), fc.constantFrom(...NAMESPACES), (scopes, namespace) => {
        const rules: Rule[] = scopes.map((resources, i) => aRule({ name: `r${i}`, action: i % 2 === 0 ? 'Deny' : 'Audit', scope: { resources }, conditions: { severities: ['High', 'Critical'] } }));
        const compiled = compileRules(rules.map((rule) => ({ rule })));
        const target = aTarget(scannedImage('registry.example.com/web:1', [aFinding('CVE-2024-1', 'High')]), { namespace, name: 'web' });
        const indexed = new RuleIndex(compiled).forNamespace(namespace);
        expect(evaluate(target, indexed, NOW)).toEqual(evaluate(target, compiled, NOW));
      }),
    );
  });

  test('a rule scoped to one namespace by Equals is left out elsewhere, and rules keep their order', () => {
    const compiled = compileRules(
      [aRule({ name: 'a-global' }), aRule({ name: 'b-team-a', scope: { resources: [{ kind: 'Namespace', criterion: 'Equals', value: 'team-a' }] } }), aRule({ name: 'c-global' })].map((rule) => ({ rule })),
    );
    const index = ruleIndexOf(compiled);
    expect(index.forNamespace('team-a').map((r) => r.ref.name)).toEqual(['a-global', 'b-team-a', 'c-global']);
    expect(index.forNamespace('team-b').map((r) => r.ref.name)).toEqual(['a-global', 'c-global']);
    expect(ruleIndexOf(compiled)).toBe(index);
  });
});
