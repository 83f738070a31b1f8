// The contract between `portcullis install` and `portcullis webhook`: the arguments the rendered
// Deployment gives the container start a real webhook process that syncs and becomes ready.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createToken } from '../api/auth.js';
import { main } from '../cli/main.js';
import { startControlPlane, type RunningControlPlane } from '../server/control-plane.js';
import { ensureSelfSigned } from '../tls/serving-tls.js';

const ENTRY = join(import.meta.dirname, '../../test/support/portcullis.ts');

let server: RunningControlPlane;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-install-args-'));
  server = await startControlPlane({ dataDir: join(dir, 'cp'), host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) });
});

afterAll(async () => {
  await server.close();
});

/** The container args of the rendered Deployment. */
async function renderedArgs(): Promise<string[]> {
  let stdout = '';
  const code = await main(['install', '--control-plane', server.url, '--cluster', 'prod-eu', '--failure-mode', 'closed'], { stdout: (t) => (stdout += t), stderr: () => {}, readStdin: () => '' });
  expect(code).toBe(0);
  const deployment = parseAllDocuments(stdout)
    .map((document) => document.toJS() as { kind: string; spec?: { template: { spec: { containers: { args: string[] }[] } } } })
    .find((object) => object.kind === 'Deployment');
  const args = deployment?.spec?.template.spec.containers[0]?.args;
  expect(args?.[0]).toBe('webhook');
  return args ?? [];
}

function get(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

describe('portcullis install → portcullis webhook', () => {
  test('the rendered arguments start a webhook that syncs from the control plane and is ready', async () => {
    const args = await renderedArgs();
    // The pod's mounts, here: the Sensor token Secret, the TLS Secret, the data volume.
    const tls = await ensureSelfSigned(join(dir, 'tls-source'), ['localhost']);
    const tokenFile = join(dir, 'token');
    const { secret } = await createToken(server.store, { name: 'cluster-prod-eu', role: 'Sensor', createdBy: 'test' }, new Date());
    writeFileSync(tokenFile, `${secret}\n`);
    const mounted: Record<string, string> = { '/var/run/portcullis/token': tokenFile, '/tls/tls.crt': tls.certFile, '/tls/tls.key': tls.keyFile, '/var/lib/portcullis': join(dir, 'data'), '8443': '0' };
    const local = args.map((arg) => mounted[arg] ?? arg);
    expect(local).toContain(tokenFile);

    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...local, '--host', '127.0.0.1', '--sync-interval', '200ms'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      let stderr = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr?.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const match = /listening on (https:\/\/\S+)/.exec(stderr);
          if (match?.[1]) resolve(match[1].replace('0.0.0.0', '127.0.0.1'));
        });
        void exited.then((code) => reject(new Error(`webhook exited with ${code}: ${stderr}`)));
      });
      expect(stderr).toContain('failure mode closed');
      let ready = 0;
      for (let i = 0; i < 50 && ready !== 200; i++) {
        ready = await get(`${url}/readyz`, tls.caPem);
        if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(ready).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
