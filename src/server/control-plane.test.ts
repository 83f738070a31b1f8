// The control plane over HTTPS: tokens must not cross a network in clear.
import { mkdtempSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { ensureSelfSigned } from '../tls/serving-tls.js';
import { startControlPlane } from './control-plane.js';

function get(url: string, ca: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca, headers: { authorization: `Bearer ${token}` } }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('startControlPlane', () => {
  test('serves the API over HTTPS with the given certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-cp-tls-'));
    const tls = await ensureSelfSigned(dir, ['localhost']);
    const server = await startControlPlane({ dataDir: dir, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), tls });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const answer = await get(`${server.url}/api/v1/rules`, tls.caPem, server.bootstrap.adminToken ?? '');
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ rules: [expect.objectContaining({ name: 'default-audit-high-critical' })] });
      // A client that does not trust the certificate is refused by TLS itself.
      await expect(get(`${server.url}/healthz`, '', '')).rejects.toThrow(/certificate/);
    } finally {
      await server.close();
    }
  });
});
