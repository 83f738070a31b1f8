import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApi, type ApiHarness } from './testing/harness.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

describe('whoami', () => {
  test('answers the name and role of the token used, whatever its role, and nothing else of it', async () => {
    const admin = await api.call('Admin', 'GET', '/api/v1/whoami');
    expect(admin.statusCode).toBe(200);
    expect(admin.json()).toEqual({ name: 'admin-token', role: 'Admin' });

    const created = (await api.call('Admin', 'POST', '/api/v1/tokens', { body: { role: 'Scanner', name: 'ci-scanner' } })).json();
    const scanner = await api.call({ secret: created.token }, 'GET', '/api/v1/whoami');
    expect(scanner.statusCode).toBe(200);
    expect(scanner.json()).toEqual({ name: 'ci-scanner', role: 'Scanner' });
    expect(scanner.body).not.toContain(created.token);
    expect(scanner.body).not.toContain(created.id);
  });

  test('a revoked token is refused as everywhere else', async () => {
    const created = (await api.call('Admin', 'POST', '/api/v1/tokens', { body: { role: 'SecurityReader', name: 'leaver' } })).json();
    await api.call('Admin', 'DELETE', `/api/v1/tokens/${created.id}`);
    const response = await api.call({ secret: created.token }, 'GET', '/api/v1/whoami');
    expect(response.statusCode).toBe(401);
    expect(response.json().error.message).toMatch(/^token revoked/);
  });
});
