import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApi, type ApiHarness } from './testing/harness.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

describe('operations', () => {
  test('/healthz and /readyz answer without a token', async () => {
    expect((await api.call('anonymous', 'GET', '/healthz')).json()).toEqual({ status: 'ok' });
    expect((await api.call('anonymous', 'GET', '/readyz')).json()).toEqual({ status: 'ready' });
  });

  test('/metrics counts requests by method, route pattern and status, with their durations', async () => {
    await api.call('SecurityReader', 'GET', '/api/v1/rules/some-rule');
    await api.call('SecurityReader', 'GET', '/api/v1/rules/another-rule');
    await api.call('anonymous', 'GET', '/nowhere');
    const response = await api.call('anonymous', 'GET', '/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toContain('portcullis_http_requests_total{method="GET",route="/api/v1/rules/:id",status="404"} 2');
    expect(response.body).toContain('portcullis_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(response.body).toMatch(/portcullis_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/rules\/:id",status="404"\} 2/);
    expect(response.body).toContain('portcullis_process_cpu_seconds_total');
  });

  test('each API instance has its own registry', async () => {
    const other = await startApi();
    try {
      const metrics = (await other.call('anonymous', 'GET', '/metrics')).body;
      expect(metrics).not.toContain('route="/api/v1/rules/:id"');
      expect(other.app.metrics).not.toBe(api.app.metrics);
    } finally {
      await other.close();
    }
  });

  test('/readyz is 503 when the database does not answer', async () => {
    const other = await startApi();
    await other.store.close();
    const response = await other.call('anonymous', 'GET', '/readyz');
    expect(response.statusCode).toBe(503);
    expect(response.json().error.code).toBe('unavailable');
    await other.app.close();
  });
});
