import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createToken, hashToken } from './auth.js';
import { startApi, type ApiHarness } from './testing/harness.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

describe('tokens', () => {
  test('created once: the secret is answered, only its hash is stored, and it works', async () => {
    const response = await api.call('Admin', 'POST', '/api/v1/tokens', { body: { role: 'Scanner', name: 'ci-scanner', expiresAt: '2027-01-01T00:00:00.000Z' } });
    expect(response.statusCode).toBe(201);
    const created = response.json();
    expect(created).toMatchObject({ name: 'ci-scanner', role: 'Scanner', state: 'active', createdAt: '2026-03-01T12:00:00.000Z', createdBy: 'admin-token', expiresAt: '2027-01-01T00:00:00.000Z' });
    expect(created.token).toMatch(/^pcl_[A-Za-z0-9_-]{43}$/);

    const stored = await api.store.tokens.findByHash(hashToken(created.token));
    expect(stored?.id).toBe(created.id);
    expect(JSON.stringify(await api.store.tokens.list())).not.toContain(created.token);

    const listed = await api.call('Admin', 'GET', '/api/v1/tokens');
    expect(listed.body).not.toContain(created.token);
    expect(listed.json().tokens).toContainEqual(expect.objectContaining({ id: created.id, name: 'ci-scanner', state: 'active' }));
    expect(listed.json().tokens.every((token: Record<string, unknown>) => !('token' in token) && !('hash' in token))).toBe(true);

    const asScanner = await api.call({ secret: created.token }, 'GET', '/api/v1/tokens');
    expect(asScanner.statusCode).toBe(403);
    expect(asScanner.json().error.message).toBe("This needs the role Admin; the token 'ci-scanner' has the role Scanner.");
  });

  test('two tokens never share a secret', async () => {
    const a = await api.call('Admin', 'POST', '/api/v1/tokens', { body: { role: 'SecurityReader', name: 'alice' } });
    const b = await api.call('Admin', 'POST', '/api/v1/tokens', { body: { role: 'SecurityReader', name: 'alice' } });
    expect(a.json().token).not.toBe(b.json().token);
  });

  test('revoked: answered with its record, listed as revoked, refused from then on', async () => {
    const created = (await api.call('Admin', 'POST', '/api/v1/tokens', { body: { role: 'SecurityReader', name: 'bob' } })).json();
    api.setNow('2026-03-01T13:00:00.000Z');
    const revoked = await api.call('Admin', 'DELETE', `/api/v1/tokens/${created.id}`);
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ id: created.id, state: 'revoked', revokedAt: '2026-03-01T13:00:00.000Z' });
    expect(revoked.body).not.toContain(created.token);
    expect((await api.call({ secret: created.token }, 'GET', '/api/v1/rules')).statusCode).toBe(401);
    expect((await api.call('Admin', 'DELETE', '/api/v1/tokens/no-such-token')).statusCode).toBe(404);
  });

  test('an expiry in the past is refused', async () => {
    const response = await api.call('Admin', 'POST', '/api/v1/tokens', { body: { role: 'Scanner', name: 'late', expiresAt: '2020-01-01T00:00:00.000Z' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems).toEqual([{ path: 'body.expiresAt', message: 'must be in the future' }]);
  });

  test('createToken takes a secret chosen elsewhere (PORTCULLIS_ADMIN_TOKEN) and stores only its hash', async () => {
    const { secret, record } = await createToken(api.store, { name: 'first-admin', role: 'Admin', createdBy: 'portcullis serve', secret: 'chosen-by-the-operator' }, api.now());
    expect(secret).toBe('chosen-by-the-operator');
    expect(record).toMatchObject({ name: 'first-admin', role: 'Admin', createdBy: 'portcullis serve' });
    expect((await api.store.tokens.findByHash(hashToken(secret)))?.id).toBe(record.id);
    expect((await api.call({ secret }, 'GET', '/api/v1/settings')).statusCode).toBe(200);
  });
});
