// Bad input of every kind: a clear 4xx in the catalog's shape, and nothing changed in the store.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { readSettings } from './settings.js';
import { startApi, type ApiHarness } from './testing/harness.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ limits: { bodyBytes: 4096, scanBodyBytes: 65536 } });
});
afterAll(() => api.close());

/** Everything a bad request could have touched. */
async function snapshot(): Promise<unknown> {
  const { store } = api;
  return { rules: await store.rules.list(), tokens: await store.tokens.list(), clusters: await store.clusters.list(), accounts: await store.clusters.listAccounts(), settings: await readSettings(store) };
}

let before: unknown;
beforeAll(async () => {
  before = await snapshot();
});
afterEach(async () => {
  expect(await snapshot()).toEqual(before);
});

describe('bad input', () => {
  test('malformed JSON: 400 naming line, column and position', async () => {
    const response = await api.call('Admin', 'PUT', '/api/v1/settings', { payload: '{\n  "retentionDays": 7,\n  "recordAllowed": tru\n}', headers: { 'content-type': 'application/json' } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: {
        code: 'invalid_request',
        message: 'The request body is not valid JSON: unexpected "\\n" at line 3, column 23 (position 46).',
        problems: [{ path: 'body', message: 'not valid JSON: unexpected "\\n" at line 3, column 23 (position 46)' }],
      },
    });
  });

  test('a body over the limit: 413 naming the limit', async () => {
    const response = await api.call('SecurityAdmin', 'POST', '/api/v1/rules', { body: { name: 'x'.repeat(5000) } });
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toEqual({ code: 'payload_too_large', message: 'The request body is larger than the limit of 4096 bytes.' });
  });

  test('unknown fields: 400 naming each, however deep', async () => {
    const response = await api.call('Admin', 'PUT', '/api/v1/settings', { body: { retentionDays: 7, colour: 'red', breakGlass: { enabled: false, forever: true } } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems).toEqual([
      { path: 'body.breakGlass.forever', message: 'unknown field' },
      { path: 'body.colour', message: 'unknown field' },
    ]);
  });

  test('wrong types and out-of-range values: 400 with every path', async () => {
    const response = await api.call('Admin', 'PUT', '/api/v1/settings', { body: { retentionDays: '7', recordAllowed: 1, breakGlass: { enabled: 'yes' } } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems).toEqual([
      { path: 'body.retentionDays', message: 'expected number, got string' },
      { path: 'body.recordAllowed', message: 'expected boolean, got number' },
      { path: 'body.breakGlass.enabled', message: 'expected boolean, got string' },
    ]);
    const tooLong = await api.call('Admin', 'PUT', '/api/v1/settings', { body: { retentionDays: 3651 } });
    expect(tooLong.json().error.problems).toEqual([{ path: 'body.retentionDays', message: expect.stringContaining('3650') }]);
  });

  test('a missing body and a missing field: 400 "is required"', async () => {
    const noBody = await api.call('Admin', 'POST', '/api/v1/tokens');
    expect(noBody.json().error.problems).toEqual([{ path: 'body', message: 'is required' }]);
    const noRole = await api.call('Admin', 'POST', '/api/v1/tokens', { body: { name: 'alice' } });
    expect(noRole.json().error.problems).toEqual([{ path: 'body.role', message: 'is required' }]);
  });

  test('an enum value outside the list: 400 listing the choices', async () => {
    const response = await api.call('Admin', 'POST', '/api/v1/tokens', { body: { name: 'alice', role: 'Root' } });
    expect(response.json().error.problems).toEqual([{ path: 'body.role', message: expect.stringContaining('"SecurityReader"') }]);
  });

  test('an unknown query parameter and a body where none is taken: 400', async () => {
    const query = await api.call('SecurityReader', 'GET', '/api/v1/rules?enabeld=true');
    expect(query.json().error.problems).toEqual([{ path: 'query.enabeld', message: 'unknown field' }]);
    const body = await api.call('SecurityAdmin', 'POST', '/api/v1/rules/default/disable', { body: { really: true } });
    expect(body.json().error.problems).toEqual([{ path: 'body.really', message: 'unknown field' }]);
  });

  test('a body that is not JSON: 415', async () => {
    const response = await api.call('Admin', 'PUT', '/api/v1/settings', { payload: 'retentionDays=7', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe('unsupported_media_type');
  });

  test('a __proto__ key: 400 forbidden key', async () => {
    const response = await api.call('Admin', 'PUT', '/api/v1/settings', { payload: '{"__proto__": {"recordAllowed": true}}', headers: { 'content-type': 'application/json' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems).toEqual([{ path: 'body.__proto__', message: 'forbidden key' }]);
  });

  test('an unknown route: 404 in the catalog shape', async () => {
    const response = await api.call('Admin', 'GET', '/api/v1/nothing?x=1');
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toEqual({ code: 'not_found', message: expect.stringContaining('GET /api/v1/nothing;') });
  });
});
