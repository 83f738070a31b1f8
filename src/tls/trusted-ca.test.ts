// A control plane served over HTTPS with a certificate of a private CA: the CLI and the webhook
// reach it with --ca-file, and refuse it (as they should) without.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { aDeployment, aRequest } from '../admission/testing/requests.js';
import { main, type Io } from '../cli/main.js';
import { InputError } from '../problems.js';
import { nativeScan, ruleDocument } from '../sensor/testing/control-plane.js';
import { startControlPlane, type RunningControlPlane } from '../server/control-plane.js';
import { admissionResponse, https, reviewOf } from '../webhook/testing/https.js';
import { killLeftovers, printedCa, spawnPortcullis } from '../webhook/testing/process.js';
import { silentLogger, until } from '../webhook/testing/webhook-harness.js';
import { ensureSelfSigned } from './serving-tls.js';
import { fetchTrusting, readCaFile } from './trusted-ca.js';

const IMAGE = 'registry.example.com/shop/web:1.0';
let dir: string;
let cp: RunningControlPlane;
let caFile: string;
let admin: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-ca-'));
  // The organisation's CA and the control plane's certificate it signed (for 127.0.0.1).
  const tls = await ensureSelfSigned(join(dir, 'pki'), []);
  caFile = join(dir, 'pki', 'tls', 'ca.crt');
  cp = await startControlPlane({ dataDir: join(dir, 'control-plane'), host: '127.0.0.1', port: 0, logger: silentLogger(), tls: { certFile: tls.certFile, keyFile: tls.keyFile } });
  admin = cp.bootstrap.adminToken ?? '';
});
afterAll(async () => {
  await cp.close();
  killLeftovers();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), readStdin: () => '' };
  const code = await main([...args, '--server', cp.url, '--token', admin], io);
  return { code, stdout, stderr };
}

describe('readCaFile', () => {
  test('a file that is missing, holds no certificate, or a broken one: an error naming the file', () => {
    const empty = join(dir, 'empty.pem');
    writeFileSync(empty, 'not a certificate\n');
    const broken = join(dir, 'broken.pem');
    writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    for (const [file, message] of [
      [join(dir, 'missing.pem'), 'cannot be read'],
      [empty, 'holds no PEM certificate'],
      [broken, 'certificate 1 is not valid'],
    ] as const) {
      expect(() => readCaFile(file)).toThrow(InputError);
      expect(() => readCaFile(file)).toThrow(new RegExp(`${file.replaceAll('/', '\\/')}.*${message}`));
    }
    expect(readCaFile(caFile)).toContain('-----BEGIN CERTIFICATE-----');
  });
});

describe('the CLI against an HTTPS control plane of a private CA', () => {
  test('without --ca-file the certificate is refused; with it the command works; PORTCULLIS_CA_FILE does the same', async () => {
    const refused = await cli(['rules', 'list']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Cannot reach the control plane at https:\/\/127\.0\.0\.1:\d+: (SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/);

    const created = await cli(['rules', 'apply', '-f', writeRule()]);
    expect(created.code).not.toBe(0);
    const trusted = await cli(['rules', 'apply', '-f', writeRule(), '--ca-file', caFile]);
    expect(trusted.stderr).toBe('');
    expect(trusted.code).toBe(0);
    const listed = await cli(['rules', 'list', '--ca-file', caFile]);
    expect(listed.stdout).toContain('deny-critical');

    process.env.PORTCULLIS_CA_FILE = caFile;
    try {
      expect((await cli(['rules', 'list'])).stdout).toContain('deny-critical');
    } finally {
      delete process.env.PORTCULLIS_CA_FILE;
    }
  });
});

function writeRule(): string {
  const file = join(dir, 'rule.yaml');
  writeFileSync(file, JSON.stringify(ruleDocument('deny-critical')));
  return file;
}

describe('portcullis webhook --ca-file (a process) against an HTTPS control plane of a private CA', () => {
  test('it syncs the rules and findings, denies by them, and its events reach the control plane', async () => {
    const trusted = fetchTrusting(readCaFile(caFile));
    const post = async (path: string, body: unknown) => {
      const response = await trusted(`${cp.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as Record<string, unknown>;
    };
    const sensor = String((await post('/api/v1/tokens', { name: 'cluster prod-eu', role: 'Sensor' })).token);
    await post('/api/v1/clusters', { name: 'prod-eu', provider: 'aws', account: '123456789012' });
    await post('/api/v1/rules', ruleDocument('deny-critical-over-https'));
    await post('/api/v1/scans', nativeScan({ digest: `sha256:${'c'.repeat(64)}`, tag: IMAGE, findings: [{ id: 'CVE-2024-3094', severity: 'Critical', pkg: 'xz-utils' }] }));

    const started = spawnPortcullis(['webhook', '--control-plane', cp.url, '--ca-file', caFile, '--cluster', 'prod-eu', '--data-dir', join(dir, 'sensor'), '--host', '127.0.0.1', '--webhook-port', '0', '--sync-interval', '200ms', '--no-resolve-tags'], { PORTCULLIS_TOKEN: sensor });
    const url = (await started.waitFor(/Portcullis webhook listening on (https:\/\/\S+) /))[1] ?? '';
    await started.waitFor(/\(caBundle\):\n {2}\S+\n/);
    const ca = printedCa(started.stderr()) ?? '';
    const review = () => reviewOf(aRequest(aDeployment([IMAGE], { name: 'web' })));
    await until(async () => !admissionResponse(await https(`${url}/validate`, { body: review(), ca })).allowed, 'the rules to sync over HTTPS');
    const denied = admissionResponse(await https(`${url}/validate`, { body: review(), ca }));
    expect(denied.status?.message).toContain('deny-critical-over-https');
    // Posted by the outbox's sender thread, which trusts the same CA.
    const eventId = denied.auditAnnotations?.['event-id'] ?? '';
    await until(async () => (await cp.store.events.get(eventId)) !== undefined, 'the event to arrive over HTTPS');
    expect(await cp.store.events.get(eventId)).toMatchObject({ decision: 'Denied', cluster: 'prod-eu' });
    expect(await started.stop()).toBe(0);
  });

  test('a --ca-file that holds no certificate: it refuses to start and names the file', async () => {
    const bad = join(dir, 'bad-ca.pem');
    writeFileSync(bad, 'nothing here\n');
    const started = spawnPortcullis(['webhook', '--control-plane', cp.url, '--ca-file', bad, '--cluster', 'prod-eu', '--data-dir', join(dir, 'sensor-bad'), '--webhook-port', '0'], { PORTCULLIS_TOKEN: 'x' });
    expect(await started.exited).not.toBe(0);
    expect(started.stderr()).toContain(`${bad}: holds no PEM certificate`);
  });
});
