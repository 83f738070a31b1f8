// The API commands of the CLI against a real control plane: SQLite in a temporary directory,
// listening on a free port, called over HTTP exactly as a user's shell would.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { startControlPlane, type RunningControlPlane } from '../server/control-plane.js';
import { main, type Io } from './main.js';

const EXAMPLES = join(import.meta.dirname, '../../examples');
const FIXTURES = join(import.meta.dirname, '../../test/fixtures');

let server: RunningControlPlane;
let dir: string;
let admin: string;

/** `token: null` sends none. */
async function cli(args: string[], token: string | null = admin): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), readStdin: () => '' };
  const auth = token === null ? [] : ['--token', token];
  const code = await main([...args, '--server', server.url, ...auth], io);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-'));
  server = await startControlPlane({ dataDir: dir, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) });
  admin = server.bootstrap.adminToken ?? '';
});

afterAll(async () => {
  await server.close();
});

describe('first start', () => {
  it('made the default rule and an admin token', async () => {
    expect(server.bootstrap.defaultRuleCreated).toBe(true);
    expect(admin).toMatch(/^pcl_[\w-]{43}$/);
    // The database's identity, which webhooks compare to notice a restored or replaced one.
    expect(await server.store.settings.get<string>('installation')).toMatch(/^[0-9a-f-]{36}$/);
    const { code, stdout } = await cli(['rules', 'list', '-o', 'json']);
    expect(code).toBe(0);
    const { rules } = JSON.parse(stdout) as { rules: { name: string; action: string; version: number }[] };
    expect(rules).toEqual([expect.objectContaining({ name: 'default-audit-high-critical', action: 'Audit', version: 1 })]);
  });
});

describe('portcullis rules', () => {
  it('applies rule files: created, then unchanged, then configured', async () => {
    const first = await cli(['rules', 'apply', '-f', join(EXAMPLES, 'rules.yaml')]);
    expect(first).toMatchObject({ code: 0, stdout: 'rule/deny-critical-in-prod created (version 1)\nrule/audit-high-everywhere created (version 1)\n' });
    const again = await cli(['rules', 'apply', '-f', join(EXAMPLES, 'rules.yaml')]);
    expect(again.stdout).toBe('rule/deny-critical-in-prod unchanged\nrule/audit-high-everywhere unchanged\n');

    const changed = join(dir, 'changed.yaml');
    writeFileSync(changed, 'apiVersion: portcullis.dev/v1\nkind: Rule\nname: AUDIT-high-everywhere\naction: Deny\nconditions: {severities: [Critical]}\n');
    const third = await cli(['rules', 'apply', '-f', changed]);
    expect(third).toMatchObject({ code: 0, stdout: 'rule/AUDIT-high-everywhere configured (version 2)\n' });
  });

  it('shows a rule in plain words with its exemptions', async () => {
    const { code, stdout } = await cli(['rules', 'get', 'deny-critical-in-prod']);
    expect(code).toBe(0);
    expect(stdout).toContain('Action:      Deny');
    expect(stdout).toMatch(/Policy: +Deny images with .*Critical/);
    expect(stdout).toContain('[0] CVE Equals CVE-2023-44487 until 2026-12-31');
  });

  it('disables and enables, each a version with who and when', async () => {
    expect((await cli(['rules', 'disable', 'deny-critical-in-prod'])).stdout).toBe('rule/deny-critical-in-prod disabled (version 2)\n');
    expect((await cli(['rules', 'enable', 'deny-critical-in-prod'])).stdout).toBe('rule/deny-critical-in-prod enabled (version 3)\n');
    const { stdout } = await cli(['rules', 'versions', 'deny-critical-in-prod', '-o', 'json']);
    const { versions } = JSON.parse(stdout) as { versions: { version: number; change: string; actor: string }[] };
    expect(versions.map((v) => [v.version, v.change, v.actor])).toEqual([
      [1, 'Created', 'admin'],
      [2, 'Disabled', 'admin'],
      [3, 'Enabled', 'admin'],
    ]);
  });

  it('exports every rule as documents that apply back unchanged', async () => {
    const { code, stdout } = await cli(['rules', 'export']);
    expect(code).toBe(0);
    const documents = parseAllDocuments(stdout).map((d) => d.toJS() as { name: string; kind: string });
    expect(documents.map((d) => d.name).sort()).toEqual(['AUDIT-high-everywhere', 'default-audit-high-critical', 'deny-critical-in-prod']);
    const exported = join(dir, 'exported.yaml');
    writeFileSync(exported, stdout);
    const applied = await cli(['rules', 'apply', '-f', exported]);
    expect(applied.code).toBe(0);
    expect(applied.stdout.trim().split('\n').every((line) => line.endsWith(' unchanged'))).toBe(true);
  });

  it('rejects an invalid file before sending anything, exit 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: portcullis.dev/v1\nkind: Rule\nname: new-rule\naction: Block\nconditions: {}\n');
    const { code, stderr } = await cli(['rules', 'apply', '-f', bad]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${bad}: rule[0].action: 'Block' is not one of Audit, Deny (line 4)`);
    expect((await cli(['rules', 'get', 'new-rule'])).code).toBe(1);
  });

  it('deletes a rule, and says so for one that does not exist', async () => {
    expect((await cli(['rules', 'delete', 'AUDIT-high-everywhere'])).stdout).toBe('rule/AUDIT-high-everywhere deleted\n');
    const missing = await cli(['rules', 'get', 'audit-high-everywhere']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404');
  });

  it('prints YAML for scripts', async () => {
    const { stdout } = await cli(['rules', 'get', 'deny-critical-in-prod', '-o', 'yaml']);
    expect((parse(stdout) as { document: { scope: unknown } }).document.scope).toEqual({ name: 'production', resources: [{ kind: 'Namespace', criterion: 'StartsWith', value: 'prod-' }] });
  });
});

describe('portcullis tokens', () => {
  it('creates a reader who may read and not change, until revoked', async () => {
    const created = await cli(['tokens', 'create', '--role', 'SecurityReader', '--name', 'alice', '-o', 'json']);
    expect(created.code).toBe(0);
    const { token, id } = JSON.parse(created.stdout) as { token: string; id: string };
    expect(token).toMatch(/^pcl_/);

    expect((await cli(['rules', 'list'], token)).code).toBe(0);
    const refused = await cli(['rules', 'disable', 'deny-critical-in-prod'], token);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('403');
    expect(refused.stderr).toContain("the token 'alice' has the role SecurityReader");

    const list = await cli(['tokens', 'list']);
    expect(list.stdout).toMatch(/alice\s+SecurityReader\s+active/);
    expect(list.stdout).not.toContain(token);

    expect((await cli(['tokens', 'revoke', id])).stdout).toBe('token/alice revoked\n');
    const revoked = await cli(['rules', 'list'], token);
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain('token revoked');
  });

  it('refuses an unknown role as a usage error', async () => {
    const { code, stderr } = await cli(['tokens', 'create', '--role', 'Root', '--name', 'x']);
    expect(code).toBe(2);
    expect(stderr).toContain("'Root' is not one of Admin");
  });
});

describe('portcullis scans import and events', () => {
  it('imports a folder of reports once; a second import changes nothing', async () => {
    const first = await cli(['scans', 'import', join(FIXTURES, 'trivy'), join(FIXTURES, 'grype/chainguard-ruby-wolfi-image.json')]);
    expect(first.code).toBe(0);
    const lines = first.stdout.trim().split('\n').sort();
    expect(lines).toHaveLength(7);
    expect(lines.every((line) => line.includes(': stored ('))).toBe(true);
    expect(first.stdout).toContain('fluentd-debian-os-and-gems-image.json: stored (trivy, 1 Critical, 1 High)');
    // Reports of image archives are keyed by image ID, and the user is told.
    expect(first.stderr).toContain('admission can match it only by tag');
    const again = await cli(['scans', 'import', join(FIXTURES, 'trivy')]);
    expect(again.stdout.trim().split('\n').every((line) => line.includes(': unchanged ('))).toBe(true);
  });

  it('names the file and the place of a malformed report, and stores the others', async () => {
    const bad = join(dir, 'bad-report.json');
    writeFileSync(bad, JSON.stringify({ SchemaVersion: 2, ArtifactName: 'x', Results: [{ Target: 't', Vulnerabilities: [{ VulnerabilityID: 7 }] }] }));
    const { code, stdout, stderr } = await cli(['scans', 'import', bad, join(FIXTURES, 'trivy/alpine-latest-docs-example.json')]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${bad}: `);
    expect(stderr).toContain('Results[0].Vulnerabilities[0]');
    expect(stdout).toContain('alpine-latest-docs-example.json: unchanged');
  });

  it('lists and shows the events an evaluation recorded', async () => {
    const manifests = 'apiVersion: v1\nkind: Pod\nmetadata: {name: gems, namespace: prod-shop}\nspec:\n  containers: [{name: c, image: "ghcr.io/aquasecurity/trivy-test-images:fluentd-multiple-lockfiles"}]\n';
    const evaluated = await fetch(`${server.url}/api/v1/evaluate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ manifests }),
    });
    expect(evaluated.status).toBe(200);
    const { results } = (await evaluated.json()) as { results: { decision: string; eventId: string }[] };
    expect(results[0]?.decision).toBe('Denied');

    const list = await cli(['events', 'list', '--decision', 'Denied', '--since', '1h']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/Denied \(dry run\)\s+-\s+prod-shop\s+Pod\/gems\s+\S*deny-critical-in-prod/);
    expect(list.stdout).toContain(results[0]?.eventId);

    const show = await cli(['events', 'show', results[0]?.eventId ?? '']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('Decision:  Denied (dry run)');
    expect(show.stdout).toContain('CVE-2019-18224 Critical libidn2-0 2.0.5-1: fixed in 2.0.5-1+deb10u1');
    expect(show.stdout).toMatch(/deny-critical-in-prod \(version 3\): Deny images/);

    const none = await cli(['events', 'list', '--cve', 'CVE-1999-0001', '-o', 'json']);
    expect(JSON.parse(none.stdout)).toEqual({ events: [] });
  });
});

describe('reaching the server', () => {
  it('says when there is no token, or no server', async () => {
    const noToken = await cli(['rules', 'list'], null);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('No token');
    let stderr = '';
    const code = await main(['rules', 'list', '--server', 'http://127.0.0.1:9', '--token', admin], { stdout: () => {}, stderr: (t) => (stderr += t), readStdin: () => '' });
    expect(code).toBe(1);
    expect(stderr).toContain('Cannot reach the control plane at http://127.0.0.1:9');
  });
});
