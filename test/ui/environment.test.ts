// The Environment settings page in a real browser against a real `portcullis serve`: an Admin
// registers a cluster, turns its account's Security Gating off (and /evaluate then says the
// cluster's webhook would allow), removes the cluster, and changes the settings (the API's
// problem named by its place); a SecurityReader reads all of it and is offered no change.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium, signedIn as signedInAt } from '../support/browser.js';
import { ADMIN_TOKEN, startUiServer, type UiServer } from '../support/ui-server.js';

const SWITCHES = ['Security Gating', 'Registry Access', 'Security Findings'];
const AWS_ACCOUNT = '123456789012';

let server: UiServer;
let url: string;
let browser: Browser;
let readerToken: string;
/** What the API's OpenAPI document says of each field: the page must say the same. */
let schemas: Record<string, { properties: Record<string, { description?: string; properties?: Record<string, { description?: string }> }> }>;

const api = <T>(method: string, path: string, body?: unknown, token?: string): Promise<T> => server.api<T>(method, path, body, token);
const signedIn = (token: string) => signedInAt(browser, url, token, '#/environment');

interface Account {
  provider: string;
  account: string;
  gating: boolean;
  registryAccess: boolean;
  securityFindings: boolean;
}

const deployment = (name: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: prod-payments}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: app, image: "registry.example/payments/${name}:1.0"}]
`;

beforeAll(async () => {
  server = await startUiServer();
  url = server.url;
  // What a reader finds: a cluster in an Azure subscription, one in no cloud, and a GCP project
  // whose switches were set before any of its clusters was registered.
  await api('POST', '/api/v1/clusters', { name: 'aks-weu', provider: 'azure', account: 'sub-1' });
  await api('POST', '/api/v1/clusters', { name: 'kind-local' });
  await api('PUT', '/api/v1/accounts/gcp/my-project', { securityFindings: false });
  readerToken = (await api<{ token: string }>('POST', '/api/v1/tokens', { role: 'SecurityReader', name: 'reader' })).token;
  schemas = (await api<{ components: { schemas: typeof schemas } }>('GET', '/api/v1/openapi.json')).components.schemas;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const clusterRow = (page: Page, name: string) => page.locator('table.clusters tbody tr').filter({ has: page.getByRole('cell', { name, exact: true }) });
const accountSection = (page: Page, title: string) => page.getByRole('region', { name: title });

/** The text an element's aria-describedby names: what a screen reader says after the name. */
async function description(page: Page, element: ReturnType<Page['locator']>): Promise<string | null> {
  const id = await element.getAttribute('aria-describedby');
  return page.locator(`[id="${id}"]`).textContent();
}

describe('Environment settings', () => {
  test("an Admin registers a cluster in an AWS account, turns its account's Security Gating off, and removes the cluster", async () => {
    const { page, errors, dialogs } = await signedIn(ADMIN_TOKEN);
    const form = page.getByRole('form', { name: 'Register a cluster' });

    // An account without its provider: the API's problem, named by its place, in the form.
    await form.getByLabel('Name').fill('eks-prod');
    await form.getByLabel(/^Account/).fill(AWS_ACCOUNT);
    await form.getByRole('button', { name: 'Register cluster' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toMatch(/^400: .*body\.provider: is required with an account/);

    await form.getByLabel('Cloud provider').selectOption('aws');
    expect(await form.getByLabel(/^Account/).getAttribute('placeholder')).toBe(AWS_ACCOUNT);
    await form.getByRole('button', { name: 'Register cluster' }).click();
    const row = clusterRow(page, 'eks-prod');
    await expect
      .poll(() => row.locator('td').allTextContents())
      .toEqual(['eks-prod', 'AWS', AWS_ACCOUNT, 'Security Gating onRegistry Access onSecurity Findings on', expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/), 'never synced', 'Remove']);
    expect(await form.getByRole('alert').count()).toBe(0);
    expect(await form.getByLabel('Name').inputValue()).toBe('');

    // Its account is listed with every switch on, each saying what turning it off means, in the API's words.
    const account = accountSection(page, `AWS account ${AWS_ACCOUNT}`);
    expect(await account.textContent()).toContain('Clusters: eks-prod');
    expect(await account.textContent()).toContain('Never changed: every switch is on, as in a new environment.');
    const described = { 'Security Gating': 'gating', 'Registry Access': 'registryAccess', 'Security Findings': 'securityFindings' } as const;
    for (const name of SWITCHES) {
      const box = account.getByRole('checkbox', { name });
      expect(await box.isChecked()).toBe(true);
      expect(await box.isEnabled()).toBe(true);
      expect(await description(page, box)).toBe(schemas.Account?.properties[described[name as keyof typeof described]]?.description);
    }

    // Off: shown as the API answered, with who changed it when; the cluster's row says so too.
    const { name: admin } = await api<{ name: string }>('GET', '/api/v1/whoami');
    const gating = account.getByRole('checkbox', { name: 'Security Gating' });
    await gating.click();
    await expect.poll(() => gating.isChecked()).toBe(false);
    expect(await account.textContent()).toMatch(new RegExp(`Changed \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC by ${admin}`));
    expect(await account.getByRole('checkbox', { name: 'Registry Access' }).isChecked()).toBe(true);
    expect(await row.locator('td:nth-child(4)').textContent()).toBe('Security Gating offRegistry Access onSecurity Findings on');

    await page.reload();
    await expect.poll(() => accountSection(page, `AWS account ${AWS_ACCOUNT}`).getByRole('checkbox', { name: 'Security Gating' }).isChecked()).toBe(false);
    const { accounts } = await api<{ accounts: Account[] }>('GET', '/api/v1/accounts');
    expect(accounts.find((a) => a.provider === 'aws' && a.account === AWS_ACCOUNT)).toMatchObject({ gating: false, registryAccess: true, securityFindings: true });

    // What gating off does: the rules still decide, and the answer says the cluster's webhook would allow.
    type Results = { results: { decision: string; message: string; gating?: false }[] };
    const [gated] = (await api<Results>('POST', '/api/v1/evaluate', { manifests: deployment('checkout'), cluster: 'eks-prod' })).results;
    expect(gated).toMatchObject({ gating: false, message: expect.stringContaining(`gating is off for aws account ${AWS_ACCOUNT}: the cluster's webhook would allow it`) });
    const [elsewhere] = (await api<Results>('POST', '/api/v1/evaluate', { manifests: deployment('checkout'), cluster: 'aks-weu' })).results;
    expect(elsewhere).not.toHaveProperty('gating');

    // Remove: a second click, in the page; Cancel keeps the cluster.
    await clusterRow(page, 'eks-prod').getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('group', { name: 'Remove the cluster eks-prod' }).getByRole('button', { name: 'Cancel' }).click();
    expect(await clusterRow(page, 'eks-prod').count()).toBe(1);
    await clusterRow(page, 'eks-prod').getByRole('button', { name: 'Remove' }).click();
    const confirm = page.getByRole('group', { name: 'Remove the cluster eks-prod' });
    expect(await confirm.textContent()).toContain('every switch on');
    await confirm.getByRole('button', { name: 'Remove the cluster' }).click();
    await expect.poll(() => clusterRow(page, 'eks-prod').count()).toBe(0);
    const { clusters } = await api<{ clusters: { name: string }[] }>('GET', '/api/v1/clusters');
    expect(clusters.map((cluster) => cluster.name)).not.toContain('eks-prod');
    // Its account keeps the switch it was given, and is listed still, with no cluster.
    expect(await accountSection(page, `AWS account ${AWS_ACCOUNT}`).textContent()).toContain('No registered cluster runs in it.');

    expect(dialogs).toEqual([]);
    // The API's 400 for the form's first try is the only console error: the browser logs every refused call.
    expect(errors.filter((error) => !/status of 400/.test(error))).toEqual([]);
    await page.close();
  });

  test('an Admin sets retention to 0 and is shown the API\'s problem by its place, then to 7, which is kept; only the changed setting is sent', async () => {
    const { page } = await signedIn(ADMIN_TOKEN);
    const form = page.getByRole('form', { name: 'Settings' });
    const retention = form.getByLabel('Retention (days)');
    await expect.poll(() => retention.inputValue()).toBe('30');
    expect(await description(page, retention)).toBe(schemas.Settings?.properties.retentionDays?.description);
    expect(await description(page, form.getByLabel('Record allowed requests'))).toBe(schemas.Settings?.properties.recordAllowed?.description);
    expect(await description(page, form.getByLabel('Break glass'))).toBe(schemas.Settings?.properties.breakGlass?.properties?.enabled?.description);
    expect(await form.getByRole('button', { name: 'Save settings' }).isDisabled()).toBe(true);

    await retention.fill('0');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toMatch(/^400: .*body\.retentionDays: /);
    expect(await retention.inputValue()).toBe('0');

    await retention.fill('7');
    const sent = page.waitForRequest((request) => request.method() === 'PUT' && request.url().endsWith('/api/v1/settings'));
    await form.getByRole('button', { name: 'Save settings' }).click();
    expect((await sent).postDataJSON()).toEqual({ retentionDays: 7 });
    await expect.poll(() => form.getByRole('alert').count()).toBe(0);
    expect(await retention.inputValue()).toBe('7');
    expect(await api('GET', '/api/v1/settings')).toEqual({ retentionDays: 7, recordAllowed: false, breakGlass: { enabled: true } });

    await page.reload();
    await expect.poll(() => page.getByRole('form', { name: 'Settings' }).getByLabel('Retention (days)').inputValue()).toBe('7');
    await page.close();
  });

  test('a SecurityReader sees clusters, accounts and settings, every switch disabled, and no form or change button', async () => {
    const { page, errors } = await signedIn(readerToken);
    await expect.poll(() => page.locator('table.clusters tbody tr td:first-child').allTextContents()).toEqual(expect.arrayContaining(['aks-weu', 'kind-local']));
    expect(await clusterRow(page, 'kind-local').locator('td').allTextContents()).toEqual([
      'kind-local',
      'none',
      'none',
      'Security Gating onRegistry Access onSecurity Findings on',
      expect.stringMatching(/UTC$/),
      'never synced',
    ]);

    const azure = accountSection(page, 'Azure subscription sub-1');
    expect(await azure.textContent()).toContain('Clusters: aks-weu');
    const gcp = accountSection(page, 'GCP project my-project');
    expect(await gcp.getByRole('checkbox', { name: 'Security Findings' }).isChecked()).toBe(false);
    expect(await gcp.getByRole('checkbox', { name: 'Security Gating' }).isChecked()).toBe(true);
    const boxes = page.getByRole('checkbox');
    expect(await boxes.count()).toBeGreaterThanOrEqual(2 * SWITCHES.length);
    for (const box of await boxes.all()) expect(await box.isDisabled()).toBe(true);

    expect(await page.locator('dl.settings').textContent()).toContain('Retention (days)');
    expect(await page.getByRole('form').count()).toBe(0);
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    expect(errors).toEqual([]);
    await page.close();
  });
});
