import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { defineRoute } from './route.js';
import { API_ROUTES } from './routes.js';
import { startApi, type ApiHarness } from './testing/harness.js';

let api: ApiHarness | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

function captureLogs(): { logger: pino.Logger; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

describe('the API', () => {
  test('logs requests without tokens or bodies in them', async () => {
    const logs = captureLogs();
    api = await startApi({ logger: logs.logger });
    const created = await api.call('Admin', 'POST', '/api/v1/tokens', { body: { role: 'Scanner', name: 'very-distinctive-name' } });
    // A refusal names the refused token (who was refused is worth a log line); its secret, never.
    await api.call('Scanner', 'GET', '/api/v1/tokens');
    await api.call({ secret: created.json().token }, 'POST', '/api/v1/scans', { body: { SchemaVersion: 2 } });
    // Values that cannot turn up in a log line by chance (a timestamp, a response time).
    await api.call('Admin', 'PUT', '/api/v1/settings', { body: { retentionDays: 'ninety-nine-days' } });
    await api.call('Admin', 'PUT', '/api/v1/settings', { payload: '{"retentionDays": "thirty-three-days"', headers: { 'content-type': 'application/json' } });
    const text = logs.text();
    expect(text).toContain('request completed');
    expect(text).toContain('/api/v1/settings');
    for (const secret of [...Object.values(api.secrets), created.json().token as string]) expect(text).not.toContain(secret);
    expect(text).not.toContain('very-distinctive-name');
    expect(text).not.toContain('ninety-nine-days');
    expect(text).not.toContain('thirty-three-days');
  });

  test('an unexpected failure is a 500 that shows nothing of its cause, and is logged', async () => {
    const logs = captureLogs();
    const broken = defineRoute({
      operationId: 'broken',
      method: 'GET',
      url: '/api/v1/broken',
      access: 'public',
      summary: 'fails',
      tags: ['test'],
      response: z.object({}),
      handler: () => {
        throw new Error('connection string postgres://user:secret@db');
      },
    });
    api = await startApi({ logger: logs.logger, routes: [...API_ROUTES, broken] });
    const response = await api.call('anonymous', 'GET', '/api/v1/broken');
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ error: { code: 'internal', message: 'Internal error; the server log has the details.' } });
    expect(logs.text()).toContain('request failed');
  });

  test('an answer outside its response schema is caught (checkResponses)', async () => {
    const lying = defineRoute({
      operationId: 'lying',
      method: 'GET',
      url: '/api/v1/lying',
      access: 'public',
      summary: 'answers a number where it promised a string',
      tags: ['test'],
      response: z.object({ name: z.string() }),
      handler: () => ({ name: 42 }) as never,
    });
    api = await startApi({ routes: [...API_ROUTES, lying] });
    expect((await api.call('anonymous', 'GET', '/api/v1/lying')).statusCode).toBe(500);
  });

  test('two routes with one operationId are refused at start', async () => {
    const twin = { ...API_ROUTES[0]!, url: '/twin' };
    await expect(startApi({ routes: [...API_ROUTES, twin] })).rejects.toThrow(/operationId/);
  });
});
