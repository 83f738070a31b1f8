// The rules lifecycle end to end, through the API on a real store.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApi, type ApiHarness } from './testing/harness.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

const denyCritical = {
  apiVersion: 'portcullis.dev/v1',
  kind: 'Rule',
  name: 'deny-critical-in-prod',
  action: 'Deny',
  scope: { name: 'production', resources: [{ kind: 'Namespace', criterion: 'StartsWith', value: 'prod-' }] },
  conditions: { severities: ['Critical'] },
};

describe('a rule from creation to deletion', () => {
  let id: string;

  test('created: 201 with the rule, its plain-words description, version 1, who and when', async () => {
    const response = await api.call('SecurityAdmin', 'POST', '/api/v1/rules', { body: denyCritical });
    expect(response.statusCode).toBe(201);
    const rule = response.json();
    id = rule.id;
    expect(rule).toMatchObject({
      name: 'deny-critical-in-prod',
      version: 1,
      enabled: true,
      action: 'Deny',
      exemptions: [],
      createdAt: '2026-03-01T12:00:00.000Z',
      createdBy: 'securityadmin-token',
      updatedBy: 'securityadmin-token',
      document: { name: 'deny-critical-in-prod', action: 'Deny', conditions: { severities: ['Critical'] } },
    });
    expect(rule.description).toEqual(expect.any(String));
    expect(rule.description.length).toBeGreaterThan(10);
    expect(response.headers.etag).toBe('"1"');
    expect(response.headers.location).toBe(`/api/v1/rules/${id}`);
  });

  test('read by id and by name (any case), and listed', async () => {
    const byId = await api.call('SecurityReader', 'GET', `/api/v1/rules/${id}`);
    const byName = await api.call('Sensor', 'GET', '/api/v1/rules/Deny-Critical-In-Prod');
    expect(byId.statusCode).toBe(200);
    expect(byName.json()).toEqual(byId.json());
    const list = await api.call('SecurityReader', 'GET', '/api/v1/rules');
    expect(list.json().rules.map((rule: { name: string }) => rule.name)).toContain('deny-critical-in-prod');
  });

  test('a second rule with the same name in another case is a 409 and is not stored', async () => {
    const before = await api.store.rules.list();
    const response = await api.call('SecurityAdmin', 'POST', '/api/v1/rules', { body: { ...denyCritical, name: 'DENY-critical-in-prod' } });
    expect(response.statusCode).toBe(409);
    expect(response.json().error.code).toBe('conflict');
    expect(await api.store.rules.list()).toEqual(before);
  });

  test('replaced with If-Match: a new version; a stale If-Match is a 409 and changes nothing', async () => {
    const replacement = { ...denyCritical, action: 'Audit', conditions: { severities: ['Critical', 'High'] } };
    const replaced = await api.call('SecurityAdmin', 'PUT', `/api/v1/rules/${id}`, { body: replacement, headers: { 'if-match': '"1"' } });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({ version: 2, action: 'Audit' });
    expect(replaced.headers.etag).toBe('"2"');

    const stale = await api.call('SecurityAdmin', 'PUT', `/api/v1/rules/${id}`, { body: denyCritical, headers: { 'if-match': '"1"' } });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.message).toContain('version 2, not 1');
    expect((await api.store.rules.get(id))?.version).toBe(2);

    const same = await api.call('SecurityAdmin', 'PUT', `/api/v1/rules/${id}`, { body: replacement });
    expect(same.json().version).toBe(2);
  });

  test('disabled and enabled: a version each; asking twice answers the rule unchanged', async () => {
    const disabled = await api.call('SecurityAdmin', 'POST', `/api/v1/rules/${id}/disable`);
    expect(disabled.json()).toMatchObject({ version: 3, enabled: false, document: { enabled: false } });
    const again = await api.call('SecurityAdmin', 'POST', `/api/v1/rules/${id}/disable`);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ version: 3, enabled: false });
    const enabled = await api.call('Admin', 'POST', `/api/v1/rules/deny-critical-in-prod/enable`);
    expect(enabled.json()).toMatchObject({ version: 4, enabled: true, updatedBy: 'admin-token' });
  });

  test('exemptions added and removed on their own, each a version; expired ones show as expired', async () => {
    const first = await api.call('SecurityAdmin', 'POST', `/api/v1/rules/${id}/exemptions`, {
      body: { type: 'CVE', criterion: 'Equals', value: 'CVE-2023-44487', expires: '2026-02-28', reason: 'vendor fix pending' },
    });
    expect(first.statusCode).toBe(201);
    expect(first.json().version).toBe(5);
    expect(first.json().exemptions).toEqual([
      { index: 0, type: 'CVE', criterion: 'Equals', value: 'CVE-2023-44487', expires: '2026-02-28', reason: 'vendor fix pending', expired: true },
    ]);
    const second = await api.call('SecurityAdmin', 'POST', `/api/v1/rules/${id}/exemptions`, {
      body: { type: 'Namespace', criterion: 'Equals', value: 'prod-legacy', expires: '2026-03-01' },
      headers: { 'if-match': '5' },
    });
    expect(second.json().exemptions[1]).toMatchObject({ index: 1, value: 'prod-legacy', expired: false });
    expect(second.json().document.exemptions).toHaveLength(2);

    const missing = await api.call('SecurityAdmin', 'DELETE', `/api/v1/rules/${id}/exemptions/2`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toContain('has no exemption');
    const removed = await api.call('SecurityAdmin', 'DELETE', `/api/v1/rules/${id}/exemptions/0`, { headers: { 'if-match': '"6"' } });
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toMatchObject({ version: 7, exemptions: [{ index: 0, value: 'prod-legacy' }] });
  });

  test('an invalid exemption is a 400 named in the body, and the rule is unchanged', async () => {
    const response = await api.call('SecurityAdmin', 'POST', `/api/v1/rules/${id}/exemptions`, { body: { type: 'Galaxy', criterion: 'Equals', value: 'x', extra: 1 } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'body.type' }), { path: 'body.extra', message: 'unknown field' }]),
    );
    const badDay = await api.call('SecurityAdmin', 'POST', `/api/v1/rules/${id}/exemptions`, { body: { type: 'CVE', criterion: 'Equals', value: 'CVE-1', expires: '2026-02-31' } });
    expect(badDay.statusCode).toBe(400);
    expect(badDay.json().error.problems[0].path).toBe('body.expires');
    expect((await api.store.rules.get(id))?.version).toBe(7);
  });

  test('versions: every change with who, when and the document', async () => {
    const response = await api.call('SecurityReader', 'GET', `/api/v1/rules/${id}/versions`);
    const versions = response.json().versions;
    expect(versions.map((version: { change: string }) => version.change)).toEqual(['Created', 'Replaced', 'Disabled', 'Enabled', 'ExemptionAdded', 'ExemptionAdded', 'ExemptionRemoved']);
    expect(versions[0]).toMatchObject({ version: 1, actor: 'securityadmin-token', at: '2026-03-01T12:00:00.000Z', document: { action: 'Deny' } });
    expect(versions[3]).toMatchObject({ version: 4, actor: 'admin-token' });
  });

  test('deleted: 204, gone (404), the name free again, the history kept', async () => {
    expect((await api.call('SecurityAdmin', 'DELETE', `/api/v1/rules/${id}`)).statusCode).toBe(204);
    expect((await api.call('SecurityAdmin', 'GET', `/api/v1/rules/${id}`)).statusCode).toBe(404);
    expect((await api.call('SecurityAdmin', 'DELETE', `/api/v1/rules/${id}`)).statusCode).toBe(404);
    const history = await api.call('SecurityReader', 'GET', `/api/v1/rules/${id}/versions`);
    expect(history.json().versions.at(-1)).toMatchObject({ change: 'Deleted' });
    const reused = await api.call('SecurityAdmin', 'POST', '/api/v1/rules', { body: denyCritical });
    expect(reused.statusCode).toBe(201);
    expect(reused.json().id).not.toBe(id);
  });
});

describe('rule requests that cannot be answered', () => {
  test('an invalid document: 400 with every problem and its path, nothing stored', async () => {
    const before = await api.store.rules.list();
    const response = await api.call('SecurityAdmin', 'POST', '/api/v1/rules', {
      body: { ...denyCritical, name: 'broken', action: 'Block', scope: { resources: [{ kind: 'Galaxy', criterion: 'Equals', value: 'x' }] }, conditions: { severities: ['Huge'] } },
    });
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('invalid_request');
    expect(error.problems.map((problem: { path: string }) => problem.path)).toEqual(expect.arrayContaining(['body.action', 'body.scope.resources[0].kind', 'body.conditions.severities[0]']));
    expect(await api.store.rules.list()).toEqual(before);
  });

  test.each([
    ['GET', '/api/v1/rules/no-such-rule'],
    ['PUT', '/api/v1/rules/no-such-rule'],
    ['POST', '/api/v1/rules/no-such-rule/disable'],
    ['POST', '/api/v1/rules/no-such-rule/enable'],
    ['DELETE', '/api/v1/rules/no-such-rule'],
    ['GET', '/api/v1/rules/no-such-rule/versions'],
    ['POST', '/api/v1/rules/no-such-rule/exemptions'],
    ['DELETE', '/api/v1/rules/no-such-rule/exemptions/0'],
  ] as const)('%s %s: 404', async (method, url) => {
    const body = method === 'PUT' ? denyCritical : url.endsWith('/exemptions') ? { type: 'CVE', criterion: 'Equals', value: 'CVE-1' } : undefined;
    const response = await api.call('SecurityAdmin', method, url, { body });
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toMatchObject({ code: 'not_found', message: expect.stringContaining('no-such-rule') });
  });

  test('a rename onto a taken name is a 409', async () => {
    const a = (await api.call('SecurityAdmin', 'POST', '/api/v1/rules', { body: { ...denyCritical, name: 'rule-a' } })).json();
    await api.call('SecurityAdmin', 'POST', '/api/v1/rules', { body: { ...denyCritical, name: 'rule-b' } });
    const response = await api.call('SecurityAdmin', 'PUT', `/api/v1/rules/${a.id}`, { body: { ...denyCritical, name: 'RULE-B' } });
    expect(response.statusCode).toBe(409);
    expect((await api.store.rules.get(a.id))?.name).toBe('rule-a');
  });

  test('a malformed If-Match is a 400 naming the header', async () => {
    const response = await api.call('SecurityAdmin', 'POST', '/api/v1/rules/rule-a/disable', { headers: { 'if-match': 'yesterday' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems).toEqual([{ path: 'headers.if-match', message: expect.stringContaining('version') }]);
  });
});
