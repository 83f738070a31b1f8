import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_SETTINGS, readSettings } from './settings.js';
import { startApi, type ApiHarness } from './testing/harness.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

describe('settings', () => {
  test('a new installation has the defaults', async () => {
    expect(await readSettings(api.store)).toEqual({ retentionDays: 30, recordAllowed: false, breakGlass: { enabled: true } });
    expect((await api.call('SecurityReader', 'GET', '/api/v1/settings')).json()).toEqual(DEFAULT_SETTINGS);
  });

  test('a change keeps what it leaves out, and readSettings sees it', async () => {
    const first = await api.call('Admin', 'PUT', '/api/v1/settings', { body: { retentionDays: 90 } });
    expect(first.json()).toEqual({ retentionDays: 90, recordAllowed: false, breakGlass: { enabled: true } });
    const second = await api.call('Admin', 'PUT', '/api/v1/settings', { body: { breakGlass: { enabled: false }, recordAllowed: true } });
    expect(second.json()).toEqual({ retentionDays: 90, recordAllowed: true, breakGlass: { enabled: false } });
    expect(await readSettings(api.store)).toEqual(second.json());
  });

  test('a stored value that does not read as a setting counts as the default', async () => {
    await api.store.settings.put('retentionDays', 'forever', '2026-03-01T12:00:00.000Z');
    expect((await readSettings(api.store)).retentionDays).toBe(30);
  });
});
