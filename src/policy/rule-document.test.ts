import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { SEVERITIES } from '../findings/severity.js';
import { formatProblem, InputError } from '../problems.js';
import {
  ACTIONS,
  CLOUD_PROVIDERS,
  DEFAULT_RULE,
  EXEMPTION_CRITERIA,
  EXEMPTION_TYPES,
  RESOURCE_KINDS,
  SCOPE_CRITERIA,
  UNSCANNED_MODES,
  type ResourceScope,
  type Rule,
} from './rule.js';
import { parseRuleDocuments, readRuleFiles, ruleToDocument, validateRule } from './rule-document.js';

const ISSUE_EXAMPLE = `apiVersion: portcullis.dev/v1
kind: Rule
name: deny-critical-in-prod
action: Deny            # Audit | Deny
enabled: true           # default true
timeZone: UTC           # for exemption expiry; default UTC
scope:
  name: production
  cloud: [{provider: aws, account: "123456789012"}]   # azure|aws|gcp; omitted = all
  resources:                                          # all must hold; omitted = all
    - {kind: Namespace, criterion: StartsWith, value: prod-}
conditions:
  severities: [Critical]           # any of Critical, High, Medium, Low, Unknown
  cves: [CVE-2024-3094]            # any finding with one of these ids (or aliases)
unscanned: Ignore                  # Ignore | Trigger: images without usable evidence
maxScanAge: 30d                    # optional: an older scan counts as no scan
exemptions:
  - {type: CVE, criterion: Equals, value: CVE-2023-44487, expires: 2026-12-31, reason: "vendor fix pending"}
`;

const ISSUE_RULE: Rule = {
  apiVersion: 'portcullis.dev/v1',
  kind: 'Rule',
  name: 'deny-critical-in-prod',
  action: 'Deny',
  enabled: true,
  timeZone: 'UTC',
  scope: {
    name: 'production',
    cloud: [{ provider: 'aws', account: '123456789012' }],
    resources: [{ kind: 'Namespace', criterion: 'StartsWith', value: 'prod-' }],
  },
  conditions: { severities: ['Critical'], cves: ['CVE-2024-3094'] },
  unscanned: 'Ignore',
  maxScanAge: '30d',
  exemptions: [{ type: 'CVE', criterion: 'Equals', value: 'CVE-2023-44487', expires: '2026-12-31', reason: 'vendor fix pending' }],
};

/** The problems of a file, as the user reads them. */
function problemsOf(text: string, file = 'rules.yaml'): string[] {
  try {
    parseRuleDocuments(text, file);
  } catch (error) {
    if (error instanceof InputError) return error.problems.map(formatProblem);
    throw error;
  }
  throw new Error('expected problems, the file was accepted');
}

const MINIMAL = 'name: r\naction: Audit\nconditions: {severities: [High]}\n';

describe('parseRuleDocuments: valid documents', () => {
  test("the issue's example document parses to the rule it describes", () => {
    expect(parseRuleDocuments(ISSUE_EXAMPLE, 'rules.yaml')).toStrictEqual([ISSUE_RULE]);
  });

  test('defaults are filled in: apiVersion, kind, enabled, timeZone, scope, unscanned, exemptions', () => {
    expect(parseRuleDocuments(MINIMAL, 'rules.yaml')).toStrictEqual([
      {
        apiVersion: 'portcullis.dev/v1',
        kind: 'Rule',
        name: 'r',
        action: 'Audit',
        enabled: true,
        timeZone: 'UTC',
        scope: {},
        conditions: { severities: ['High'] },
        unscanned: 'Ignore',
        exemptions: [],
      },
    ]);
  });

  test('every condition field and every scope and exemption kind are kept as written', () => {
    const text = `name: everything
description: all of it
action: Audit
enabled: false
timeZone: America/New_York
scope:
  cloud: [{provider: azure, account: sub-1}, {provider: gcp}]
  resources:
    - {kind: Cluster, criterion: Equals, value: prod-eu}
    - {kind: Pod, criterion: EndsWith, value: -worker}
    - {kind: Deployment, criterion: Contains, value: pay}
    - {kind: Image, criterion: NotEquals, value: "nginx:1.25"}
    - {kind: LabelSelector, criterion: StartsWith, value: env=prod}
    - {kind: LabelSelector, criterion: NotEquals, value: "tier in (web,api),!legacy"}
conditions: {minCvss: 7.5, fixAvailable: true, knownExploited: true, moreThan: 2}
unscanned: Trigger
maxScanAge: 12h
exemptions:
  - {type: Deployment, criterion: StartsWith, value: canary-}
  - {type: Image, criterion: Equals, value: "sha256:abc"}
  - {type: Namespace, criterion: Equals, value: sandbox}
  - {type: Pod, criterion: Contains, value: debug}
  - {type: Registry, criterion: EndsWith, value: .internal}
  - {type: Repository, criterion: Equals, value: team/app, expires: 2024-02-29}
`;
    const [rule] = parseRuleDocuments(text, 'all.yaml');
    expect(rule?.enabled).toBe(false);
    expect(rule?.conditions).toStrictEqual({ minCvss: 7.5, fixAvailable: true, knownExploited: true, moreThan: 2 });
    expect(rule?.scope.resources?.map((r) => r.kind)).toStrictEqual(['Cluster', 'Pod', 'Deployment', 'Image', 'LabelSelector', 'LabelSelector']);
    expect(rule?.exemptions.map((e) => e.type)).toStrictEqual(['Deployment', 'Image', 'Namespace', 'Pod', 'Registry', 'Repository']);
    expect(rule?.exemptions[5]?.expires).toBe('2024-02-29');
    expect(rule?.timeZone).toBe('America/New_York');
  });

  test('several YAML documents, empty ones skipped', () => {
    const rules = parseRuleDocuments(`${MINIMAL}---\n---\n${MINIMAL.replace('name: r', 'name: s')}`, 'rules.yaml');
    expect(rules.map((r) => r.name)).toStrictEqual(['r', 's']);
  });

  test('a top-level list', () => {
    const text = '- {name: a, action: Audit, conditions: {}}\n- {name: b, action: Deny, conditions: {cves: [CVE-2024-1]}}\n';
    expect(parseRuleDocuments(text, 'rules.yaml').map((r) => [r.name, r.action])).toStrictEqual([
      ['a', 'Audit'],
      ['b', 'Deny'],
    ]);
  });

  test('a kind: List with items, as kubectl writes it', () => {
    const text = `apiVersion: v1\nkind: List\nmetadata: {}\nitems:\n  - ${MINIMAL.trim().replaceAll('\n', '\n    ')}\n`;
    expect(parseRuleDocuments(text, 'rules.yaml').map((r) => r.name)).toStrictEqual(['r']);
    expect(parseRuleDocuments('kind: List\nitems: []\n', 'empty-list.yaml')).toStrictEqual([]);
  });

  test('JSON: one object, and a list of them', () => {
    const json = JSON.stringify(ruleToDocument(ISSUE_RULE), null, 2);
    expect(parseRuleDocuments(json, 'rule.json')).toStrictEqual([ISSUE_RULE]);
    expect(parseRuleDocuments(`[${json}, ${JSON.stringify({ ...ruleToDocument(ISSUE_RULE), name: 'other' })}]`, 'rules.json').map((r) => r.name)).toStrictEqual([
      'deny-critical-in-prod',
      'other',
    ]);
  });

  test('the example rules file of the repository reads', () => {
    const text = `name: deny-critical-in-prod
action: Deny
scope:
  name: production
  resources:
    - {kind: Namespace, criterion: StartsWith, value: prod-}
conditions:
  severities: [Critical]
---
name: audit-high-everywhere
action: Audit
conditions:
  severities: [High, Critical]
`;
    expect(parseRuleDocuments(text, 'examples/rules.yaml').map((r) => r.name)).toStrictEqual(['deny-critical-in-prod', 'audit-high-everywhere']);
  });
});

describe('parseRuleDocuments: problems, each with its exact message, path and line', () => {
  // One rule after a valid one, so every path says rule[1].
  const second = (body: string): string => `${MINIMAL}---\n${body}`;

  test.each([
    [
      'an unknown criterion',
      second('name: x\naction: Deny\nconditions: {}\nscope:\n  resources:\n    - kind: Namespace\n      criterion: BeginsWith\n      value: prod-\n'),
      "rules.yaml: rule[1].scope.resources[0].criterion: 'BeginsWith' is not one of Equals, StartsWith, EndsWith, Contains, NotEquals (line 11)",
    ],
    ['an unknown action', second('name: x\naction: Block\nconditions: {}\n'), "rules.yaml: rule[1].action: 'Block' is not one of Audit, Deny (line 6)"],
    ['a missing action', second('name: x\nconditions: {}\n'), 'rules.yaml: rule[1].action: is required (line 5)'],
    ['a missing name', second('action: Deny\nconditions: {}\n'), 'rules.yaml: rule[1].name: is required (line 5)'],
    ['missing conditions', second('name: x\naction: Deny\n'), 'rules.yaml: rule[1].conditions: is required (line 5)'],
    ['an empty name', second("name: ''\naction: Deny\nconditions: {}\n"), 'rules.yaml: rule[1].name: must not be empty (line 5)'],
    ['a blank name', second("name: '  '\naction: Deny\nconditions: {}\n"), 'rules.yaml: rule[1].name: must not be empty (line 5)'],
    ['an unknown top-level field', second('name: x\naction: Deny\nconditions: {}\nseverity: High\n'), "rules.yaml: rule[1].severity: unknown field 'severity' (line 8)"],
    ['an unknown field in scope', second('name: x\naction: Deny\nconditions: {}\nscope:\n  namespaces: [prod]\n'), "rules.yaml: rule[1].scope.namespaces: unknown field 'namespaces' (line 9)"],
    ['an unknown field in conditions', second('name: x\naction: Deny\nconditions:\n  severity: High\n'), "rules.yaml: rule[1].conditions.severity: unknown field 'severity' (line 8)"],
    ['a number where a string belongs', second('name: 42\naction: Deny\nconditions: {}\n'), 'rules.yaml: rule[1].name: expected a string, got number (line 5)'],
    [
      'an unquoted account id',
      second('name: x\naction: Deny\nconditions: {}\nscope:\n  cloud:\n    - {provider: aws, account: 123456789012}\n'),
      'rules.yaml: rule[1].scope.cloud[0].account: expected a string, got number (line 10)',
    ],
    ['a list where an object belongs', second('name: x\naction: Deny\nconditions: [High]\n'), 'rules.yaml: rule[1].conditions: expected an object, got list (line 7)'],
    ['an object where a list belongs', second('name: x\naction: Deny\nconditions: {severities: High}\n'), 'rules.yaml: rule[1].conditions.severities: expected a list, got string (line 7)'],
    ['a string where true or false belongs', second('name: x\naction: Deny\nenabled: "no"\nconditions: {}\n'), 'rules.yaml: rule[1].enabled: expected true or false, got string (line 7)'],
    [
      'a severity in the wrong case',
      second('name: x\naction: Deny\nconditions:\n  severities: [High, critical]\n'),
      "rules.yaml: rule[1].conditions.severities[1]: 'critical' is not one of Critical, High, Medium, Low, Unknown (line 8)",
    ],
    ['a CVSS score above 10', second('name: x\naction: Deny\nconditions: {minCvss: 10.5}\n'), 'rules.yaml: rule[1].conditions.minCvss: must be at most 10, got 10.5 (line 7)'],
    ['a negative CVSS score', second('name: x\naction: Deny\nconditions: {minCvss: -1}\n'), 'rules.yaml: rule[1].conditions.minCvss: must be at least 0, got -1 (line 7)'],
    ['a fractional count', second('name: x\naction: Deny\nconditions: {moreThan: 1.5}\n'), 'rules.yaml: rule[1].conditions.moreThan: expected a whole number, got 1.5 (line 7)'],
    ['a negative count', second('name: x\naction: Deny\nconditions: {moreThan: -2}\n'), 'rules.yaml: rule[1].conditions.moreThan: must be at least 0, got -2 (line 7)'],
    ['an empty CVE id', second('name: x\naction: Deny\nconditions: {cves: [CVE-2024-1, ""]}\n'), 'rules.yaml: rule[1].conditions.cves[1]: must not be empty (line 7)'],
    [
      'an unknown time zone',
      second('name: x\naction: Deny\ntimeZone: Mars/Olympus_Mons\nconditions: {}\n'),
      "rules.yaml: rule[1].timeZone: 'Mars/Olympus_Mons' is not an IANA time zone (e.g. UTC, Europe/Berlin) (line 7)",
    ],
    [
      'a duration without a unit',
      second('name: x\naction: Deny\nconditions: {}\nmaxScanAge: "30"\n'),
      "rules.yaml: rule[1].maxScanAge: '30' is not a duration: write a whole number and a unit m, h, d or w (e.g. 30d) (line 8)",
    ],
    ['an unknown unscanned mode', second('name: x\naction: Deny\nconditions: {}\nunscanned: Deny\n'), "rules.yaml: rule[1].unscanned: 'Deny' is not one of Ignore, Trigger (line 8)"],
    ['another apiVersion', second('apiVersion: portcullis.dev/v2\nname: x\naction: Deny\nconditions: {}\n'), "rules.yaml: rule[1].apiVersion: 'portcullis.dev/v2' is not portcullis.dev/v1 (line 5)"],
    ['another kind', second('kind: Deployment\nname: x\naction: Deny\nconditions: {}\n'), "rules.yaml: rule[1].kind: 'Deployment' is not Rule (line 5)"],
    [
      'an unknown cloud provider',
      second('name: x\naction: Deny\nconditions: {}\nscope: {cloud: [{provider: oci}]}\n'),
      "rules.yaml: rule[1].scope.cloud[0].provider: 'oci' is not one of azure, aws, gcp (line 8)",
    ],
    [
      'an unknown resource kind',
      second('name: x\naction: Deny\nconditions: {}\nscope:\n  resources:\n    - {kind: Node, criterion: Equals, value: n1}\n'),
      "rules.yaml: rule[1].scope.resources[0].kind: 'Node' is not one of Cluster, Namespace, Pod, Deployment, Image, LabelSelector (line 10)",
    ],
    [
      'a label selector that does not parse',
      second('name: x\naction: Deny\nconditions: {}\nscope:\n  resources:\n    - {kind: LabelSelector, criterion: Equals, value: "env in (prod"}\n'),
      "rules.yaml: rule[1].scope.resources[0].value: 'env in (prod' is not a label selector: 'env in (prod' is not a valid label key (line 10)",
    ],
    [
      'a label selector expression with a string criterion',
      second('name: x\naction: Deny\nconditions: {}\nscope:\n  resources:\n    - {kind: LabelSelector, criterion: StartsWith, value: "env in (prod)"}\n'),
      "rules.yaml: rule[1].scope.resources[0].criterion: 'StartsWith' applies only to a plain key=value label; a selector like 'env in (prod)' takes Equals or NotEquals (line 10)",
    ],
    [
      'an exemption type that does not exist',
      second('name: x\naction: Deny\nconditions: {}\nexemptions:\n  - {type: Cluster, criterion: Equals, value: c}\n'),
      "rules.yaml: rule[1].exemptions[0].type: 'Cluster' is not one of CVE, Deployment, Image, Namespace, Pod, Registry, Repository (line 9)",
    ],
    [
      'NotEquals in an exemption',
      second('name: x\naction: Deny\nconditions: {}\nexemptions:\n  - {type: CVE, criterion: NotEquals, value: CVE-1}\n'),
      "rules.yaml: rule[1].exemptions[0].criterion: 'NotEquals' is not one of Equals, StartsWith, EndsWith, Contains (line 9)",
    ],
    [
      'an exemption without a value',
      second('name: x\naction: Deny\nconditions: {}\nexemptions:\n  - {type: CVE, criterion: Equals}\n'),
      'rules.yaml: rule[1].exemptions[0].value: is required (line 9)',
    ],
    [
      'an expiry day that does not exist',
      second('name: x\naction: Deny\nconditions: {}\nexemptions:\n  - {type: CVE, criterion: Equals, value: CVE-1, expires: 2026-02-29}\n'),
      "rules.yaml: rule[1].exemptions[0].expires: '2026-02-29' is not a calendar day (YYYY-MM-DD) (line 9)",
    ],
    [
      'an expiry that is not a day',
      second('name: x\naction: Deny\nconditions: {}\nexemptions:\n  - {type: CVE, criterion: Equals, value: CVE-1, expires: 31.12.2026}\n'),
      "rules.yaml: rule[1].exemptions[0].expires: '31.12.2026' is not a calendar day (YYYY-MM-DD) (line 9)",
    ],
    [
      'an unknown field in an exemption',
      second('name: x\naction: Deny\nconditions: {}\nexemptions:\n  - type: CVE\n    criterion: Equals\n    value: CVE-1\n    until: 2026-12-31\n'),
      "rules.yaml: rule[1].exemptions[0].until: unknown field 'until' (line 12)",
    ],
    ['a document that is not an object', second('just a string\n'), 'rules.yaml: rule[1]: expected an object, got string (line 5)'],
    [
      'a rule name used twice, in another case',
      `${MINIMAL}---\n${MINIMAL.replace('name: r', 'name: R')}`,
      "rules.yaml: rule[1].name: rule name 'R' is also used by rule[0]: names are unique (case-insensitive) (line 5)",
    ],
  ])('%s', (_name, text, expected) => {
    expect(problemsOf(text)).toStrictEqual([expected]);
  });

  test('every problem of every rule is reported at once, in the order of the file', () => {
    const text = `- name: first
  action: Allow
  conditions: {}
- name: second
  action: Deny
  unknown: 1
  timeZone: Nowhere/Special
  scope:
    resources:
      - {kind: Namespace, criterion: BeginsWith, value: prod-}
  conditions:
    severities: [Critical, Severe]
    minCvss: 11
  maxScanAge: 1 month
  exemptions:
    - {type: CVE, criterion: Equals, value: CVE-1, expires: 2026-13-01}
- name: FIRST
  action: Audit
  conditions: {}
`;
    expect(problemsOf(text)).toStrictEqual([
      "rules.yaml: rule[0].action: 'Allow' is not one of Audit, Deny (line 2)",
      "rules.yaml: rule[1].unknown: unknown field 'unknown' (line 6)",
      "rules.yaml: rule[1].timeZone: 'Nowhere/Special' is not an IANA time zone (e.g. UTC, Europe/Berlin) (line 7)",
      "rules.yaml: rule[1].scope.resources[0].criterion: 'BeginsWith' is not one of Equals, StartsWith, EndsWith, Contains, NotEquals (line 10)",
      "rules.yaml: rule[1].conditions.severities[1]: 'Severe' is not one of Critical, High, Medium, Low, Unknown (line 12)",
      'rules.yaml: rule[1].conditions.minCvss: must be at most 10, got 11 (line 13)',
      "rules.yaml: rule[1].maxScanAge: '1 month' is not a duration: write a whole number and a unit m, h, d or w (e.g. 30d) (line 14)",
      "rules.yaml: rule[1].exemptions[0].expires: '2026-13-01' is not a calendar day (YYYY-MM-DD) (line 16)",
      "rules.yaml: rule[2].name: rule name 'FIRST' is also used by rule[0]: names are unique (case-insensitive) (line 17)",
    ]);
  });

  test('problems are values: file, path, line and message apart', () => {
    try {
      parseRuleDocuments(second('name: x\naction: Block\nconditions: {}\n'), 'rules.yaml');
      expect.unreachable();
    } catch (error) {
      expect((error as InputError).problems).toStrictEqual([{ file: 'rules.yaml', path: 'rule[1].action', line: 6, message: "'Block' is not one of Audit, Deny" }]);
    }
  });

  test('rules are numbered across documents, lists and List items alike', () => {
    const text = `- ${MINIMAL.trim().replaceAll('\n', '\n  ')}\n---\nkind: List\nitems:\n  - {name: y, action: Nope, conditions: {}}\n---\nname: z\naction: Nope\nconditions: {}\n`;
    expect(problemsOf(text)).toStrictEqual([
      "rules.yaml: rule[1].action: 'Nope' is not one of Audit, Deny (line 7)",
      "rules.yaml: rule[2].action: 'Nope' is not one of Audit, Deny (line 10)",
    ]);
  });

  test('a List with unknown fields or without a list of items', () => {
    expect(problemsOf('kind: List\nspec: {}\nitems: {name: r}\n')).toStrictEqual(["rules.yaml: spec: unknown field 'spec' (line 2)", 'rules.yaml: items: expected a list, got object (line 3)']);
  });

  test('JSON problems name their lines too', () => {
    const json = '{\n  "name": "j",\n  "action": "Deny",\n  "conditions": {\n    "severities": ["Critical", "Grave"]\n  }\n}';
    expect(problemsOf(json, 'rule.json')).toStrictEqual(["rule.json: rule[0].conditions.severities[1]: 'Grave' is not one of Critical, High, Medium, Low, Unknown (line 5)"]);
  });

  test('a file without rules is a problem, not an empty policy', () => {
    expect(problemsOf('# nothing here\n', 'empty.yaml')).toStrictEqual([
      'empty.yaml: no rules in this file: write a Rule document, several separated by ---, a list of them, or a List with items',
    ]);
  });

  test('a syntax error is reported with its line, and no rule is returned', () => {
    expect(problemsOf(`${MINIMAL}---\nname: [broken\n`)).toHaveLength(1);
    expect(problemsOf(`${MINIMAL}---\nname: [broken\n`)[0]).toMatch(/^rules\.yaml: .* \(line \d+\)$/);
  });
});

describe('validateRule', () => {
  test('a request body: a prefix alone, no file and no line', () => {
    expect(validateRule({ name: 5, action: 'Deny', conditions: [], extra: true }, 'body')).toStrictEqual({
      problems: [
        { path: 'body.name', message: 'expected a string, got number' },
        { path: 'body.conditions', message: 'expected an object, got list' },
        { path: 'body.extra', message: "unknown field 'extra'" },
      ],
    });
  });

  test('a valid document gives the rule and no problems', () => {
    const result = validateRule(ruleToDocument(ISSUE_RULE), { file: 'rules.yaml', prefix: 'rule[0]' });
    expect(result).toStrictEqual({ rule: ISSUE_RULE, problems: [] });
  });

  test('lines come from the caller, by path inside the document', () => {
    const result = validateRule({ name: 'x', action: 'Nope', conditions: {} }, { file: 'f.yaml', prefix: 'rule[4]', lineOf: (path) => (path.join('.') === 'action' ? 9 : 1) });
    expect(result.problems.map(formatProblem)).toStrictEqual(["f.yaml: rule[4].action: 'Nope' is not one of Audit, Deny (line 9)"]);
  });

  test('a non-object is one problem at the prefix', () => {
    expect(validateRule(null, 'body').problems).toStrictEqual([{ path: 'body', message: 'expected an object, got null' }]);
    expect(validateRule(undefined, 'body').problems).toStrictEqual([{ path: 'body', message: 'is required' }]);
  });
});

describe('readRuleFiles', () => {
  const files: Record<string, string> = {
    'a.yaml': MINIMAL,
    'b.yaml': `name: other\naction: Deny\nconditions: {}\n---\n${MINIMAL.replace('name: r', 'name: R')}`,
    'bad.yaml': 'name: x\naction: Nope\nconditions: {}\n',
    'c.yaml': '- {name: c1, action: Audit, conditions: {}}\n- {name: c2, action: Deny, conditions: {}}\n',
  };
  const readFile = (path: string): string => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return text;
  };

  test('reads the rules of every file in order', () => {
    expect(readRuleFiles(['c.yaml', 'a.yaml'], readFile).map((r) => r.name)).toStrictEqual(['c1', 'c2', 'r']);
  });

  test('collects the problems of every file, and names are unique across files', () => {
    try {
      readRuleFiles(['a.yaml', 'bad.yaml', 'missing.yaml', 'b.yaml'], readFile);
      expect.unreachable();
    } catch (error) {
      expect((error as InputError).problems.map(formatProblem)).toStrictEqual([
        "bad.yaml: rule[0].action: 'Nope' is not one of Audit, Deny (line 2)",
        "missing.yaml: cannot be read: ENOENT: no such file or directory, open 'missing.yaml'",
        "b.yaml: rule[1].name: rule name 'R' is also used in a.yaml (rule[0]): names are unique (case-insensitive) (line 5)",
      ]);
    }
  });
});

describe('ruleToDocument', () => {
  test('spells out every field in a fixed order, defaults included', () => {
    const doc = ruleToDocument(parseRuleDocuments(MINIMAL, 'rules.yaml')[0] as Rule);
    expect(Object.keys(doc)).toStrictEqual(['apiVersion', 'kind', 'name', 'action', 'enabled', 'timeZone', 'scope', 'conditions', 'unscanned', 'exemptions']);
    expect(stringify(ruleToDocument(ISSUE_RULE))).toBe(`apiVersion: portcullis.dev/v1
kind: Rule
name: deny-critical-in-prod
action: Deny
enabled: true
timeZone: UTC
scope:
  name: production
  cloud:
    - provider: aws
      account: "123456789012"
  resources:
    - kind: Namespace
      criterion: StartsWith
      value: prod-
conditions:
  severities:
    - Critical
  cves:
    - CVE-2024-3094
unscanned: Ignore
maxScanAge: 30d
exemptions:
  - type: CVE
    criterion: Equals
    value: CVE-2023-44487
    expires: 2026-12-31
    reason: vendor fix pending
`);
  });

  test('the default rule round-trips', () => {
    expect(parseRuleDocuments(stringify(ruleToDocument(DEFAULT_RULE)), 'default.yaml')).toStrictEqual([{ ...DEFAULT_RULE }]);
  });

  test('a copy: changing the document does not change the rule', () => {
    const doc = ruleToDocument(ISSUE_RULE);
    doc.conditions.severities?.push('Low');
    doc.exemptions.pop();
    expect(ISSUE_RULE.conditions.severities).toStrictEqual(['Critical']);
    expect(ISSUE_RULE.exemptions).toHaveLength(1);
  });

  const text = fc.string({ maxLength: 12 });
  const nonBlank = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== '');
  const day = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  const labelKey = fc.constantFrom('app', 'env', 'example.com/team');
  const resource: fc.Arbitrary<ResourceScope> = fc.oneof(
    fc.record({ kind: fc.constantFrom(...RESOURCE_KINDS.filter((k) => k !== 'LabelSelector')), criterion: fc.constantFrom(...SCOPE_CRITERIA), value: text }, { noNullPrototype: true }),
    fc.record({ kind: fc.constant('LabelSelector' as const), criterion: fc.constantFrom(...SCOPE_CRITERIA), value: fc.tuple(labelKey, fc.stringMatching(/^[a-z0-9-]{0,8}$/)).map(([k, v]) => `${k}=${v}`) }, { noNullPrototype: true }),
    fc.record({ kind: fc.constant('LabelSelector' as const), criterion: fc.constantFrom('Equals' as const, 'NotEquals' as const), value: fc.constantFrom('env in (prod,stage)', '!legacy', 'app,tier!=web') }, { noNullPrototype: true }),
  );
  const rule: fc.Arbitrary<Rule> = fc.record(
    {
      apiVersion: fc.constant('portcullis.dev/v1' as const),
      kind: fc.constant('Rule' as const),
      name: nonBlank,
      description: text,
      action: fc.constantFrom(...ACTIONS),
      enabled: fc.boolean(),
      timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham'),
      scope: fc.record(
        {
          name: text,
          cloud: fc.array(fc.record({ provider: fc.constantFrom(...CLOUD_PROVIDERS), account: text }, { requiredKeys: ['provider'], noNullPrototype: true }), { maxLength: 3 }),
          resources: fc.array(resource, { maxLength: 4 }),
        },
        { requiredKeys: [], noNullPrototype: true },
      ),
      conditions: fc.record(
        {
          severities: fc.subarray([...SEVERITIES]),
          cves: fc.array(nonBlank, { maxLength: 3 }),
          minCvss: fc.integer({ min: 0, max: 100 }).map((n) => n / 10),
          fixAvailable: fc.boolean(),
          knownExploited: fc.boolean(),
          moreThan: fc.nat(1000),
        },
        { requiredKeys: [], noNullPrototype: true },
      ),
      unscanned: fc.constantFrom(...UNSCANNED_MODES),
      maxScanAge: fc.tuple(fc.integer({ min: 1, max: 999_999 }), fc.constantFrom('m', 'h', 'd', 'w')).map(([n, unit]) => `${n}${unit}`),
      exemptions: fc.array(
        fc.record(
          { type: fc.constantFrom(...EXEMPTION_TYPES), criterion: fc.constantFrom(...EXEMPTION_CRITERIA), value: nonBlank, expires: day, reason: text },
          { requiredKeys: ['type', 'criterion', 'value'], noNullPrototype: true },
        ),
        { maxLength: 3 },
      ),
    },
    { requiredKeys: ['apiVersion', 'kind', 'name', 'action', 'enabled', 'timeZone', 'scope', 'conditions', 'unscanned', 'exemptions'], noNullPrototype: true },
  );

  test('every valid rule reads back as itself, from YAML and from JSON', () => {
    fc.assert(
      fc.property(rule, (r) => {
        expect(parseRuleDocuments(stringify(ruleToDocument(r)), 'rule.yaml')).toStrictEqual([r]);
        expect(parseRuleDocuments(JSON.stringify(ruleToDocument(r)), 'rule.json')).toStrictEqual([r]);
        expect(validateRule(ruleToDocument(r), 'body')).toStrictEqual({ rule: r, problems: [] });
      }),
    );
  });

  test('several rules read back from one multi-document file, in order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(rule, { minLength: 1, maxLength: 4, selector: (r) => r.name.toLowerCase() }), (rules) => {
        const text = rules.map((r) => stringify(ruleToDocument(r))).join('---\n');
        expect(parseRuleDocuments(text, 'rules.yaml')).toStrictEqual(rules);
      }),
      { numRuns: 50 },
    );
  });
});
