import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApi, type ApiHarness } from './testing/harness.js';
import { makeUiBuild, OUTSIDE_THE_UI, type UiBuild } from './testing/ui-build.js';
import { BUILT_UI_DIRECTORY, UI_NOT_BUILT, UI_SECURITY_HEADERS } from './ui-assets.js';

let build: UiBuild;
let api: ApiHarness;
beforeAll(async () => {
  build = makeUiBuild();
  api = await startApi({ uiDirectory: build.directory });
  await api.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await api.close();
  build.remove();
});

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** A path sent byte for byte, as a hostile client would: inject, like a browser, resolves `..` first. */
async function rawGet(path: string): Promise<{ status: number; body: string }> {
  const { port } = api.app.server.address() as AddressInfo;
  return new Promise((done, fail) => {
    const sent = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => done({ status: response.statusCode ?? 0, body }));
    });
    sent.on('error', fail);
    sent.end();
  });
}

describe('the web UI', () => {
  test('/ and /index.html answer the page, revalidated on every load, with the security headers', async () => {
    for (const url of ['/', '/index.html']) {
      const response = await api.call('anonymous', 'GET', url);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.body).toBe(build.indexHtml);
      expect(response.headers).toMatchObject({
        'content-security-policy': CSP,
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-cache',
      });
    }
  });

  test('an unchanged page is a 304 to a browser that has it, still with its headers', async () => {
    const first = await api.call('anonymous', 'GET', '/');
    const again = await api.call('anonymous', 'GET', '/', { headers: { 'if-none-match': String(first.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.headers).toMatchObject({ ...UI_SECURITY_HEADERS, 'cache-control': 'no-cache' });
  });

  test('an asset answers its file, cached for a year as immutable, with the security headers', async () => {
    const response = await api.call('anonymous', 'GET', build.assetUrl);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(response.body).toBe(build.assetJs);
    expect(response.headers).toMatchObject({ 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' });
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  test('a missing asset is a 404 in the API error shape, never cached as immutable', async () => {
    const response = await api.call('anonymous', 'GET', '/assets/app-000000.js');
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_found');
    expect(response.headers['cache-control']).toBeUndefined();
  });

  test('no directory listing', async () => {
    for (const url of ['/assets/', '/assets']) {
      const response = await api.call('anonymous', 'GET', url);
      expect(`${url} → ${response.statusCode}`).toBe(`${url} → 404`);
    }
  });

  test.each([
    ['dot segments', '/assets/../../package.json'],
    ['encoded dots', '/assets/%2e%2e/%2e%2e/package.json'],
    ['encoded slashes', '/assets/..%2f..%2fpackage.json'],
    ['all encoded', '/assets/%2e%2e%2f%2e%2e%2fpackage.json'],
    ['backslashes', '/assets/..\\..\\package.json'],
    ['a doubled slash', '/assets//../../package.json'],
  ])('a path climbing out of the UI directory (%s) is a 404 and shows nothing outside', async (_name, path) => {
    const injected = await api.call('anonymous', 'GET', path);
    expect(injected.statusCode).toBe(404);
    expect(injected.body).not.toContain(OUTSIDE_THE_UI);
    const raw = await rawGet(path);
    expect(raw.status).toBe(404);
    expect(JSON.parse(raw.body).error.code).toBe('not_found');
    expect(raw.body).not.toContain(OUTSIDE_THE_UI);
  });

  test('the API, /healthz and unknown paths answer as without a UI, without its headers', async () => {
    const health = await api.call('anonymous', 'GET', '/healthz');
    expect(health.json()).toEqual({ status: 'ok' });
    const whoami = await api.call('SecurityReader', 'GET', '/api/v1/whoami');
    expect(whoami.json()).toEqual({ name: 'securityreader-token', role: 'SecurityReader' });
    expect((await api.call('anonymous', 'GET', '/api/v1/whoami')).statusCode).toBe(401);
    const unknown = await api.call('anonymous', 'GET', '/nowhere');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.message).toBe('No route GET /nowhere; GET /api/v1/openapi.json lists them all.');
    for (const response of [health, whoami, unknown]) expect(response.headers['content-security-policy']).toBeUndefined();
  });

  test('not built (no index.html): / is a 404 saying to run npm run build; the API is unaffected', async () => {
    const unbuilt = await startApi({ uiDirectory: join(build.directory, 'not-built') });
    try {
      for (const url of ['/', '/index.html']) {
        const response = await unbuilt.call('anonymous', 'GET', url);
        expect(response.statusCode).toBe(404);
        expect(response.json()).toEqual({ error: { code: 'not_found', message: UI_NOT_BUILT } });
      }
      expect(UI_NOT_BUILT).toContain('npm run build');
      expect((await unbuilt.call('anonymous', 'GET', build.assetUrl)).statusCode).toBe(404);
      expect((await unbuilt.call('anonymous', 'GET', '/healthz')).statusCode).toBe(200);
      expect((await unbuilt.call('Admin', 'GET', '/api/v1/whoami')).json()).toEqual({ name: 'admin-token', role: 'Admin' });
    } finally {
      await unbuilt.close();
    }
  });

  test("by default the UI is the package's dist/ui, where `npm run build` writes it", () => {
    const packageRoot = dirname(dirname(BUILT_UI_DIRECTORY));
    expect(JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).name).toBe('portcullis');
    expect(BUILT_UI_DIRECTORY).toBe(join(packageRoot, 'dist', 'ui'));
  });
});
