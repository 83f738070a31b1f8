// `portcullis serve` as a real process: first start, restart on the same data directory, and a
// graceful stop on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ENTRY = join(import.meta.dirname, '../../test/support/portcullis.ts');

interface Started {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  stdout: () => string;
  exited: Promise<number | null>;
}

async function serve(args: string[], env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const url = await new Promise<string>((done, fail) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match?.[1]) done(match[1]);
    });
    void exited.then((code) => fail(new Error(`serve exited with ${code} before listening:\n${stderr}`)));
  });
  return { child, url, exited, stderr: () => stderr, stdout: () => stdout };
}

describe('portcullis serve', () => {
  it('bootstraps once, answers, and stops gracefully', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-serve-'));
    const first = await serve(['--data-dir', dataDir]);
    const token = /Admin token \(shown this once; store it now\):\n\n {2}(pcl_\S+)/.exec(first.stderr())?.[1];
    expect(token).toBeDefined();
    expect(first.stderr()).toContain('Created the default rule');
    const rules = await fetch(`${first.url}/api/v1/rules`, { headers: { authorization: `Bearer ${token}` } });
    expect(rules.status).toBe(200);
    expect(((await rules.json()) as { rules: { name: string }[] }).rules.map((r) => r.name)).toEqual(['default-audit-high-critical']);
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    // Logs are JSON lines, and the secret is in none of them.
    const logs = first.stdout().trim().split('\n').map((line) => JSON.parse(line) as { msg: string });
    expect(logs.some((l) => l.msg === 'control plane listening')).toBe(true);
    expect(first.stdout()).not.toContain(token);

    const second = await serve(['--data-dir', dataDir]);
    expect(second.stderr()).not.toContain('Admin token');
    expect(second.stderr()).not.toContain('Created the default rule');
    const again = await fetch(`${second.url}/api/v1/rules`, { headers: { authorization: `Bearer ${token}` } });
    expect(again.status).toBe(200);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });

  it('takes the admin token from PORTCULLIS_ADMIN_TOKEN and never prints it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-serve-'));
    const secret = 'pcl_chosen-by-the-operator-0123456789';
    const started = await serve(['--data-dir', dataDir], { PORTCULLIS_ADMIN_TOKEN: secret });
    expect(started.stderr()).toContain('Created the admin token from PORTCULLIS_ADMIN_TOKEN');
    expect(started.stderr() + started.stdout()).not.toContain(secret);
    expect((await fetch(`${started.url}/api/v1/tokens`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
  });

  it('refuses a short PORTCULLIS_ADMIN_TOKEN', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-serve-'));
    await expect(serve(['--data-dir', dataDir], { PORTCULLIS_ADMIN_TOKEN: 'short' })).rejects.toThrow(/at least 24 characters/);
  });
});
