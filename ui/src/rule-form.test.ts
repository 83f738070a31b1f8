import { describe, expect, test } from 'vitest';
import { DEFAULT_RULE, type Rule } from '../../src/policy/rule.js';
import { validateRule } from '../../src/policy/rule-document.js';
import { checkForm, documentOfForm, formOfRule, NEW_RULE_FORM, type RuleForm } from './rule-form.js';

const form = (changes: Partial<RuleForm>): RuleForm => ({ ...NEW_RULE_FORM, ...changes });

describe('the rule form', () => {
  test('the seeds\' example: deny Critical in prod- namespaces, exempt a CVE until a day; described as the engine describes it', () => {
    const check = checkForm(
      form({
        name: 'deny-critical-in-prod',
        action: 'Deny',
        resources: [{ kind: 'Namespace', criterion: 'StartsWith', value: 'prod-' }],
        cloud: [{ provider: 'aws', account: '' }],
        exemptions: [{ type: 'CVE', criterion: 'Equals', value: 'CVE-2024-1234', timeBound: true, expires: '2027-03-31', reason: 'vendor fix due' }],
      }),
    );
    expect(check.problems).toEqual([]);
    expect(check.document).toEqual({
      apiVersion: 'portcullis.dev/v1',
      kind: 'Rule',
      name: 'deny-critical-in-prod',
      action: 'Deny',
      enabled: true,
      timeZone: 'UTC',
      scope: { cloud: [{ provider: 'aws' }], resources: [{ kind: 'Namespace', criterion: 'StartsWith', value: 'prod-' }] },
      conditions: { severities: ['Critical'] },
      unscanned: 'Ignore',
      exemptions: [{ type: 'CVE', criterion: 'Equals', value: 'CVE-2024-1234', expires: '2027-03-31', reason: 'vendor fix due' }],
    });
    expect(check.description).toBe("Deny images with Critical vulnerabilities in namespaces starting with 'prod-' on any aws account; images without a scan are ignored; exempt CVE-2024-1234 until 2027-03-31 (UTC).");
  });

  test('an exemption left indefinite sends no day, even if one was picked before the toggle went off', () => {
    const { document } = checkForm(form({ name: 'r', exemptions: [{ type: 'Namespace', criterion: 'Equals', value: 'kube-public', timeBound: false, expires: '2027-01-01', reason: ' ' }] }));
    expect(document.exemptions).toEqual([{ type: 'Namespace', criterion: 'Equals', value: 'kube-public' }]);
  });

  test('conditions as typed: ids split on commas, spaces and lines; numbers only when given', () => {
    const { document, problems } = checkForm(form({ name: 'r', severities: [], cves: 'CVE-2021-44228,  CVE-2021-45046\nGHSA-jfh8-c2jp-5v3q', minCvss: '7.5', moreThan: '', fixAvailable: true }));
    expect(problems).toEqual([]);
    expect(document.conditions).toEqual({ cves: ['CVE-2021-44228', 'CVE-2021-45046', 'GHSA-jfh8-c2jp-5v3q'], minCvss: 7.5, fixAvailable: true });
  });

  test('every problem is named by its place, before anything is sent', () => {
    const { problems, description } = checkForm(form({ name: ' ', minCvss: '11', timeZone: 'Mars/Olympus', resources: [{ kind: 'LabelSelector', criterion: 'StartsWith', value: 'tier in (a' }], exemptions: [{ type: 'CVE', criterion: 'Equals', value: 'x', timeBound: true, expires: '', reason: '' }] }));
    expect(description).toBeUndefined();
    expect(problems.map((problem) => problem.path).sort()).toEqual(['conditions.minCvss', 'exemptions[0].expires', 'name', 'scope.resources[0].value', 'timeZone'].sort());
  });

  test('a stored rule shown in the form makes the same rule again', () => {
    const rule: Rule = {
      ...DEFAULT_RULE,
      name: 'everything',
      description: 'all the fields',
      action: 'Deny',
      enabled: false,
      timeZone: 'Europe/Berlin',
      scope: { name: 'prod', cloud: [{ provider: 'gcp', account: 'shop-prod' }], resources: [{ kind: 'Cluster', criterion: 'Equals', value: 'eu-1' }] },
      conditions: { severities: ['High'], cves: ['CVE-2024-1'], minCvss: 9, fixAvailable: true, knownExploited: true, moreThan: 2 },
      unscanned: 'Trigger',
      maxScanAge: '30d',
      exemptions: [{ type: 'Repository', criterion: 'StartsWith', value: 'ghcr.io/acme/', expires: '2027-03-31', reason: 'migrating' }],
    };
    expect(validateRule(documentOfForm(formOfRule(rule)), 'rule').rule).toEqual(rule);
  });
});
