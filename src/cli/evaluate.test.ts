// `portcullis evaluate` end to end through main(): real files on disk, real Trivy and Grype
// reports from the fixtures, the exit codes a CI pipeline acts on.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main, type Io } from './main.js';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures');
const TRIVY = join(FIXTURES, 'trivy');
const EXAMPLES = join(import.meta.dirname, '../../examples');
const FLUENTD = 'ghcr.io/aquasecurity/trivy-test-images:fluentd-multiple-lockfiles';
const ALPINE = 'ghcr.io/aquasecurity/trivy-test-images:alpine-310';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[], stdin = ''): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), readStdin: () => stdin };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

interface JsonResult {
  kind: string;
  namespace: string;
  name: string;
  decision: string;
  images: { image: string; digest: string | null; scanStatus: string; counts: Record<string, number> }[];
  violations: { rule: string; action: string; image: string; findings: string[] }[];
}

async function evaluateJson(args: string[], stdin?: string): Promise<{ code: number; results: JsonResult[]; stderr: string }> {
  const { code, stdout, stderr } = await run(['evaluate', '-o', 'json', ...args], stdin);
  expect(stderr).not.toMatch(/^error:/m);
  return { code, results: (JSON.parse(stdout) as { results: JsonResult[] }).results, stderr };
}

let dir: string;
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const deployment = (namespace: string, ...images: string[]): string => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
${images.map((image, i) => `        - {name: c${i}, image: "${image}"}`).join('\n')}
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-evaluate-'));
});

describe('portcullis evaluate', () => {
  it('denies the example deployment by the example rules and the fixtures, exit 3', async () => {
    const { code, results } = await evaluateJson(['-f', join(EXAMPLES, 'deployment.yaml'), '--rules', join(EXAMPLES, 'rules.yaml'), '--scans', TRIVY, '--now', '2026-11-25T00:00:00Z']);
    expect(code).toBe(3);
    expect(results).toHaveLength(1);
    const [checkout] = results;
    expect(checkout).toMatchObject({ kind: 'Deployment', namespace: 'prod-payments', name: 'checkout', decision: 'Denied' });
    const fluentd = checkout?.images.find((i) => i.image === FLUENTD);
    expect(fluentd).toMatchObject({ scanStatus: 'Scanned', counts: { Critical: 1, High: 1, Medium: 0, Low: 0, Unknown: 0 } });
    expect(checkout?.images.find((i) => i.image === ALPINE)?.counts.Medium).toBe(4);
    expect(checkout?.violations).toContainEqual({ rule: 'deny-critical-in-prod', action: 'Deny', image: FLUENTD, digest: null, detail: expect.any(String), findings: ['CVE-2019-18224'] });
    // The audit rule matches High and Critical of the same image; alpine-310 has only Medium.
    const audit = checkout?.violations.find((v) => v.rule === 'audit-high-everywhere');
    expect(audit?.findings.sort()).toEqual(['CVE-2019-18224', 'CVE-2020-8165']);
    expect(checkout?.violations.some((v) => v.image === ALPINE)).toBe(false);
  });

  it('only audits outside the deny rule scope, exit 0', async () => {
    const manifests = file('dev.yaml', deployment('dev', FLUENTD));
    const { code, results } = await evaluateJson(['-f', manifests, '--rules', join(EXAMPLES, 'rules.yaml'), '--scans', TRIVY]);
    expect(code).toBe(0);
    expect(results[0]?.decision).toBe('Audited');
    expect(results[0]?.violations.map((v) => v.rule)).toEqual(['audit-high-everywhere']);
  });

  it('applies the default rule without --rules, and says so', async () => {
    const manifests = file('default.yaml', deployment('prod-x', ALPINE, FLUENTD));
    const { code, results, stderr } = await evaluateJson(['-f', manifests, '--scans', TRIVY]);
    expect(stderr).toContain('default rule');
    expect(code).toBe(0);
    expect(results[0]?.decision).toBe('Audited');
    expect(results[0]?.violations).toEqual([expect.objectContaining({ rule: 'default-audit-high-critical', image: FLUENTD })]);
  });

  it('allows an image whose findings the rules do not name', async () => {
    const manifests = file('alpine.yaml', deployment('prod-x', ALPINE));
    const { code, results } = await evaluateJson(['-f', manifests, '--rules', join(EXAMPLES, 'rules.yaml'), '--scans', TRIVY]);
    expect(code).toBe(0);
    expect(results[0]?.decision).toBe('Allowed');
    expect(results[0]?.violations).toEqual([]);
  });

  it('honours an exemption until the end of its day in the rule time zone', async () => {
    const rules = file(
      'exempt.yaml',
      `apiVersion: portcullis.dev/v1
kind: Rule
name: deny-critical
action: Deny
timeZone: Europe/Berlin
conditions: {severities: [Critical]}
exemptions:
  - {type: CVE, criterion: Equals, value: CVE-2019-18224, expires: 2026-03-31, reason: backport pending}
`,
    );
    const manifests = file('exempt-deploy.yaml', deployment('prod-x', FLUENTD));
    const args = ['-f', manifests, '--rules', rules, '--scans', join(TRIVY, 'fluentd-debian-os-and-gems-image.json')];
    // 23:30 in Berlin on the 31st (CEST, UTC+2) is still the exemption's day; 22:30 UTC is past it.
    const before = await evaluateJson([...args, '--now', '2026-03-31T21:30:00Z']);
    expect(before.code).toBe(0);
    expect(before.results[0]?.decision).toBe('Allowed');
    const after = await evaluateJson([...args, '--now', '2026-03-31T22:30:00Z']);
    expect(after.code).toBe(3);
    expect(after.results[0]?.violations[0]?.findings).toEqual(['CVE-2019-18224']);
  });

  it('denies an image without a scan when the rule triggers on unscanned images', async () => {
    const rules = file('unscanned.yaml', 'apiVersion: portcullis.dev/v1\nkind: Rule\nname: scan-required\naction: Deny\nconditions: {severities: [Critical]}\nunscanned: Trigger\n');
    const manifests = file('unscanned-deploy.yaml', deployment('default', 'nginx:1.27', ALPINE));
    const { code, results } = await evaluateJson(['-f', manifests, '--rules', rules, '--scans', TRIVY]);
    expect(code).toBe(3);
    const nginx = results[0]?.images.find((i) => i.image === 'nginx:1.27');
    expect(nginx?.scanStatus).toBe('NotScanned');
    expect(results[0]?.violations.map((v) => v.image)).toEqual(['nginx:1.27']);
  });

  it('matches a digest-pinned image through a report that names repo digests', async () => {
    const report = JSON.parse(readFileSync(join(TRIVY, 'alpine-latest-docs-example.json'), 'utf8')) as { Metadata: { RepoDigests: string[] } };
    const digest = report.Metadata.RepoDigests[0]?.split('@')[1] ?? '';
    const manifests = file('pinned.yaml', deployment('default', `alpine@${digest}`, 'alpine:latest'));
    const { results } = await evaluateJson(['-f', manifests, '--scans', join(TRIVY, 'alpine-latest-docs-example.json')]);
    expect(results[0]?.images).toEqual([
      expect.objectContaining({ image: `alpine@${digest}`, digest, scanStatus: 'Scanned', counts: expect.objectContaining({ Low: 2 }) }),
      expect.objectContaining({ image: 'alpine:latest', digest, scanStatus: 'Scanned' }),
    ]);
  });

  it('reads manifests from standard input and evaluates every object of a List', async () => {
    const list = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'prod-a' }, spec: { containers: [{ name: 'c', image: FLUENTD }] } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: {} },
        { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly' }, spec: { schedule: '@daily', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: ALPINE }] } } } } } },
      ],
    });
    const { code, results } = await evaluateJson(['-f', '-', '--rules', join(EXAMPLES, 'rules.yaml'), '--scans', TRIVY], list);
    expect(code).toBe(3);
    expect(results.map((r) => [r.kind, r.namespace, r.name, r.decision])).toEqual([
      ['Pod', 'prod-a', 'a', 'Denied'],
      ['CronJob', 'default', 'nightly', 'Allowed'],
    ]);
  });

  it('evaluates against a Grype report', async () => {
    const grype = JSON.parse(readFileSync(join(FIXTURES, 'grype/alpine-java-test-image.json'), 'utf8')) as { source: { target: { userInput: string } } };
    const image = grype.source.target.userInput;
    const manifests = file('grype.yaml', deployment('default', image));
    const { results } = await evaluateJson(['-f', manifests, '--scans', join(FIXTURES, 'grype/alpine-java-test-image.json')]);
    expect(results[0]?.images[0]?.scanStatus).toBe('Scanned');
  });

  it('prints a table a person can read, with the top findings and their fixes', async () => {
    const { code, stdout } = await run(['evaluate', '-f', join(EXAMPLES, 'deployment.yaml'), '--rules', join(EXAMPLES, 'rules.yaml'), '--scans', TRIVY]);
    expect(code).toBe(3);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^KIND\s+NAMESPACE\s+NAME\s+DECISION\s+IMAGES$/);
    expect(lines[1]).toMatch(/^Deployment\s+prod-payments\s+checkout\s+Denied\s+2 images: 1 Critical, 1 High, 4 Medium$/);
    expect(stdout).toContain('Deny  deny-critical-in-prod');
    expect(stdout).toContain('CVE-2019-18224 Critical');
    expect(stdout).toContain('libidn2-0 2.0.5-1: fixed in 2.0.5-1+deb10u1');
  });
});

describe('portcullis evaluate: bad input, exit 2, nothing evaluated', () => {
  const manifests = (): string => file('ok.yaml', deployment('default', FLUENTD));

  it('names the file, rule, path and line of an invalid rule', async () => {
    const rules = file(
      'bad-rules.yaml',
      `apiVersion: portcullis.dev/v1
kind: Rule
name: first
action: Audit
conditions: {severities: [High]}
---
apiVersion: portcullis.dev/v1
kind: Rule
name: second
action: Deny
scope:
  resources:
    - {kind: Namespace, criterion: BeginsWith, value: prod-}
conditions: {severities: [Critical]}
`,
    );
    const { code, stdout, stderr } = await run(['evaluate', '-f', manifests(), '--rules', rules]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${rules}: rule[1].scope.resources[0].criterion: 'BeginsWith' is not one of Equals, StartsWith, EndsWith, Contains, NotEquals (line 13)`);
  });

  it('rejects a truncated scan report, naming the file', async () => {
    const text = readFileSync(join(TRIVY, 'alpine-310-image.json'), 'utf8');
    const truncated = file('truncated.json', text.slice(0, Math.floor(text.length / 2)));
    const { code, stdout, stderr } = await run(['evaluate', '-f', manifests(), '--scans', truncated]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^error: ${truncated.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*line \\d+`, 'm'));
  });

  it('rejects a scan report of another schema version', async () => {
    const report = JSON.parse(readFileSync(join(TRIVY, 'alpine-310-image.json'), 'utf8')) as Record<string, unknown>;
    const old = file('v1.json', JSON.stringify({ ...report, SchemaVersion: 1 }));
    const { code, stderr } = await run(['evaluate', '-f', manifests(), '--scans', old]);
    expect(code).toBe(2);
    expect(stderr).toContain(old);
    expect(stderr).toContain('SchemaVersion');
  });

  it('rejects a malformed manifest with its path and line', async () => {
    const bad = file('bad-deploy.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: 42\n');
    const { code, stderr } = await run(['evaluate', '-f', bad]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${bad}: spec.containers[0].image`);
    expect(stderr).toContain('line 7');
  });

  it('reports every problem of every input at once', async () => {
    const missing = join(dir, 'missing.yaml');
    const rules = file('two-bad.yaml', 'apiVersion: portcullis.dev/v1\nkind: Rule\nname: x\naction: Block\nconditions: {severities: [Severe]}\n');
    const { code, stderr } = await run(['evaluate', '-f', missing, '--rules', rules]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${rules}: rule[0].action: 'Block' is not one of Audit, Deny`);
    expect(stderr).toContain(`${rules}: rule[0].conditions.severities[0]: 'Severe' is not one of Critical, High, Medium, Low, Unknown`);
  });

  it('rejects a missing file, an unknown output format, a bad --now and a bad --cloud', async () => {
    const missing = await run(['evaluate', '-f', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
    for (const [option, value, message] of [
      ['-o', 'xml', "'xml' is not one of table, json"],
      ['--now', 'yesterday', "'yesterday' is not an ISO-8601 instant"],
      ['--cloud', 'aws', "'aws' is not PROVIDER:ACCOUNT"],
    ] as const) {
      const result = await run(['evaluate', '-f', manifests(), option, value]);
      expect(result.code, `${option} ${value}`).toBe(2);
      expect(result.stderr).toContain(message);
    }
  });

  it('exits 2 on a usage error and 0 on --help', async () => {
    expect((await run(['evaluate'])).code).toBe(2);
    expect((await run(['nonsense'])).code).toBe(2);
    const help = await run(['evaluate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--rules');
  });
});
