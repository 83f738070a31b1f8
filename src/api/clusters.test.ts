import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApi, type ApiHarness } from './testing/harness.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

describe('clusters', () => {
  test('registered (201), re-registered with another account (200), listed, deleted', async () => {
    const created = await api.call('Admin', 'POST', '/api/v1/clusters', { body: { name: 'prod-eu', provider: 'aws', account: '123456789012' } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'prod-eu', provider: 'aws', account: '123456789012', registeredAt: '2026-03-01T12:00:00.000Z' });
    const again = await api.call('Admin', 'POST', '/api/v1/clusters', { body: { name: 'prod-eu', provider: 'aws', account: '210987654321' } });
    expect(again.statusCode).toBe(200);
    expect((await api.call('SecurityReader', 'GET', '/api/v1/clusters/prod-eu')).json()).toMatchObject({ account: '210987654321' });
    expect((await api.call('SecurityReader', 'GET', '/api/v1/clusters')).json().clusters).toHaveLength(1);
    expect((await api.call('Admin', 'DELETE', '/api/v1/clusters/prod-eu')).statusCode).toBe(204);
    expect((await api.call('SecurityReader', 'GET', '/api/v1/clusters/prod-eu')).statusCode).toBe(404);
    expect((await api.call('Admin', 'DELETE', '/api/v1/clusters/prod-eu')).statusCode).toBe(404);
  });

  test('an account without its provider, or a name with spaces: 400', async () => {
    const response = await api.call('Admin', 'POST', '/api/v1/clusters', { body: { name: 'my cluster', account: '1' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems.map((problem: { path: string }) => problem.path)).toEqual(['body.name', 'body.provider']);
  });
});

describe('accounts', () => {
  test("a cluster's account is listed with every switch on until an Admin changes one", async () => {
    await api.call('Admin', 'POST', '/api/v1/clusters', { body: { name: 'dev', provider: 'azure', account: 'sub-1' } });
    const listed = await api.call('SecurityReader', 'GET', '/api/v1/accounts');
    expect(listed.json().accounts).toEqual([{ provider: 'azure', account: 'sub-1', gating: true, registryAccess: true, securityFindings: true }]);

    const changed = await api.call('Admin', 'PUT', '/api/v1/accounts/azure/sub-1', { body: { gating: false } });
    expect(changed.json()).toEqual({ provider: 'azure', account: 'sub-1', gating: false, registryAccess: true, securityFindings: true, updatedAt: '2026-03-01T12:00:00.000Z', updatedBy: 'admin-token' });
    const later = await api.call('Admin', 'PUT', '/api/v1/accounts/azure/sub-1', { body: { securityFindings: false } });
    expect(later.json()).toMatchObject({ gating: false, securityFindings: false });
    expect((await api.call('SecurityReader', 'GET', '/api/v1/accounts/azure/sub-1')).json()).toMatchObject({ gating: false, registryAccess: true, securityFindings: false });
  });

  test('an account never set answers the defaults; an unknown provider is a 400', async () => {
    expect((await api.call('SecurityReader', 'GET', '/api/v1/accounts/gcp/my-project')).json()).toEqual({ provider: 'gcp', account: 'my-project', gating: true, registryAccess: true, securityFindings: true });
    const response = await api.call('SecurityReader', 'GET', '/api/v1/accounts/ibm/x');
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems[0].path).toBe('params.provider');
  });
});
