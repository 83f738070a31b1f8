// API tokens in the web UI: an Admin makes one (its secret shown once, and it works), then
// revokes it (and it stops working); no other role is offered the page.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium, signedIn } from '../support/browser.js';
import { ADMIN_TOKEN, startUiServer, type UiServer } from '../support/ui-server.js';

let server: UiServer;
let browser: Browser;

beforeAll(async () => {
  server = await startUiServer();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const whoami = (token: string) => fetch(`${server.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });

describe('API tokens in the web UI', () => {
  test('an Admin makes a token, sees its secret once and it works; revoked after a second click, it no longer does', async () => {
    const { page, errors } = await signedIn(browser, server.url, ADMIN_TOKEN);
    await page.getByRole('link', { name: 'API tokens' }).click();
    const form = page.getByRole('form', { name: 'New token' });
    await form.getByLabel('Name').fill('bob');
    await form.getByLabel('Role').selectOption('Scanner');
    expect(await form.locator('p.muted').textContent()).toBe('post scan reports (a CI pipeline)');
    await form.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByRole('status').locator('code.token').textContent()) ?? '';
    expect(secret).toMatch(/^pcl_/);
    expect(await (await whoami(secret)).json()).toEqual({ name: 'bob', role: 'Scanner' });

    await page.getByRole('button', { name: 'I have stored it' }).click();
    const row = (name: string) => page.locator('table.tokens tbody tr').filter({ has: page.locator('td:first-child', { hasText: new RegExp(`^${name}$`) }) });
    const bob = row('bob');
    await expect.poll(() => bob.locator('td:nth-child(3)').textContent()).toBe('active');
    expect(await page.content()).not.toContain(secret);

    await bob.getByRole('button', { name: 'Revoke' }).click();
    await bob.getByRole('button', { name: 'Revoke bob' }).click();
    await expect.poll(() => bob.locator('td:nth-child(3)').textContent()).toMatch(/^revoked \d{4}-/);
    expect((await whoami(secret)).status).toBe(401);
    expect(await row('admin').locator('td:nth-child(3)').textContent()).toBe('active');
    expect(errors).toEqual([]);
    await page.close();
  });

  test('a name the API refuses is named; an expiry in the past too', async () => {
    const { page } = await signedIn(browser, server.url, ADMIN_TOKEN, '#/tokens');
    const form = page.getByRole('form', { name: 'New token' });
    await form.getByLabel('Name').fill('x'.repeat(101));
    await form.getByRole('button', { name: 'Create token' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toContain('body.name');
    await form.getByLabel('Name').fill('late');
    await form.getByLabel('Expires').fill('2020-01-01T00:00');
    await form.getByRole('button', { name: 'Create token' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toContain('body.expiresAt: must be in the future');
    const { tokens } = await server.api<{ tokens: { name: string }[] }>('GET', '/api/v1/tokens');
    expect(tokens.map((token) => token.name)).not.toContain('late');
    await page.close();
  });

  test('a SecurityAdmin is not offered the page, and is told why when it is opened by its address', async () => {
    const { token } = await server.api<{ token: string }>('POST', '/api/v1/tokens', { role: 'SecurityAdmin', name: 'sam' });
    const { page } = await signedIn(browser, server.url, token, '#/tokens');
    expect(await page.getByRole('link', { name: 'API tokens' }).count()).toBe(0);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('API tokens are for an Admin');
    expect(await page.locator('table.tokens').count()).toBe(0);
    await page.close();
  });
});
