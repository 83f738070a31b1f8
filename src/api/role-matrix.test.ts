// Every route of the registry against every role: new route modules are covered by being
// registered. Authentication runs before anything else, so a request that passes it reaches
// validation or the handler (a 400 or 404 here), and one that does not is refused as it should.
// The web UI's page and assets, served beside the registry's routes, are public as /healthz is.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROLES } from '../store/roles.js';
import type { Route } from './route.js';
import { API_ROUTES } from './routes.js';
import { fillParams, startApi, type As, type ApiHarness } from './testing/harness.js';
import { makeUiBuild, type UiBuild } from './testing/ui-build.js';

let api: ApiHarness;
let ui: UiBuild;
beforeAll(async () => {
  ui = makeUiBuild();
  api = await startApi({ uiDirectory: ui.directory });
});
afterAll(async () => {
  await api.close();
  ui.remove();
});

const name = (route: Route): string => `${route.method} ${route.url}`;
const guarded = API_ROUTES.filter((route) => route.access !== 'public');
const open = API_ROUTES.filter((route) => route.access === 'public');

describe('the role matrix', () => {
  test('the registry is what the app serves', () => {
    expect(api.app.apiRoutes).toBe(API_ROUTES);
    expect(guarded.length).toBeGreaterThan(20);
  });

  test.each(guarded.map((route) => [name(route), route] as const))('%s: Admin may, and every role answers allowed or 403', async (_name, route) => {
    const access = route.access as readonly string[];
    expect(access).toContain('Admin');
    for (const role of ROLES) {
      const response = await api.call(role, route.method, fillParams(route.url));
      const outcome = `${role} → ${response.statusCode}`;
      if (access.includes(role)) expect(outcome).not.toMatch(/→ 40[13]$/);
      else {
        expect(outcome).toBe(`${role} → 403`);
        expect(response.json().error).toMatchObject({ code: 'forbidden', message: expect.stringContaining(role) });
      }
    }
  });

  test.each(guarded.map((route) => [name(route), route] as const))('%s: no token, a malformed header, an unknown token → 401', async (_name, route) => {
    const url = fillParams(route.url);
    const answers = [
      await api.call('anonymous', route.method, url),
      await api.call('anonymous', route.method, url, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }),
      await api.call({ secret: 'pcl_not-a-token' }, route.method, url),
    ];
    for (const answer of answers) {
      expect(answer.statusCode).toBe(401);
      expect(answer.json().error.code).toBe('unauthorized');
    }
  });

  test.each(open.map((route) => [name(route), route] as const))('%s is public: answered without a token', async (_name, route) => {
    const response = await api.call('anonymous', route.method, fillParams(route.url));
    expect(response.statusCode).toBeLessThan(400);
  });

  test('the web UI is public: its page and assets answer without a token, and any token sent changes nothing', async () => {
    const callers: As[] = ['anonymous', ...ROLES, { secret: 'pcl_not-a-token' }];
    for (const url of ['/', '/index.html', ui.assetUrl]) {
      for (const as of callers) {
        const response = await api.call(as, 'GET', url);
        expect(`${url} as ${typeof as === 'string' ? as : 'an unknown token'} → ${response.statusCode}`).toMatch(/→ 200$/);
      }
    }
  });

  test('a revoked token and an expired token are refused with 401 saying which', async () => {
    const admin = await api.call('Admin', 'POST', '/api/v1/tokens', { body: { role: 'SecurityReader', name: 'leaver' } });
    const short = await api.call('Admin', 'POST', '/api/v1/tokens', { body: { role: 'SecurityReader', name: 'short', expiresAt: '2026-03-02T00:00:00.000Z' } });
    const leaver = { secret: admin.json().token as string };
    const shortLived = { secret: short.json().token as string };
    expect((await api.call(leaver, 'GET', '/api/v1/rules')).statusCode).toBe(200);

    await api.call('Admin', 'DELETE', `/api/v1/tokens/${admin.json().id}`);
    const revoked = await api.call(leaver, 'GET', '/api/v1/rules');
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().error.message).toMatch(/^token revoked/);

    api.setNow('2026-03-02T00:00:00.000Z');
    const expired = await api.call(shortLived, 'GET', '/api/v1/rules');
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.message).toMatch(/^token expired/);
    api.setNow('2026-03-01T12:00:00.000Z');
  });
});
