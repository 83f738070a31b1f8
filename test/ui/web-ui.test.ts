// The web UI in a real browser against a real `portcullis serve`: signing in with a token,
// Admission Monitoring (list, filters, an event's detail), Security Rules (reading, and changing
// for the roles that may), everything the API stores shown as text, never as markup.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium, signedIn as signedInAt } from '../support/browser.js';
import { startUiServer, type UiServer } from '../support/ui-server.js';

const ROOT = join(import.meta.dirname, '../..');
const FLUENTD = 'ghcr.io/aquasecurity/trivy-test-images:fluentd-multiple-lockfiles';
/** A workload name that would run script if the UI ever put stored text into the page as HTML. */
const HOSTILE = '<img src=x onerror="window.__injected=1">';

let server: UiServer;
let url: string;
let browser: Browser;
let readerToken: string;
let hostileEventId: string;

const api = <T>(method: string, path: string, body?: unknown, token?: string): Promise<T> => server.api<T>(method, path, body, token);
const signedIn = (token: string, hash = '') => signedInAt(browser, url, token, hash);

const deployment = (namespace: string, name: string, image: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
        - {name: app, image: "${image}"}
`;

beforeAll(async () => {
  server = await startUiServer();
  url = server.url;

  // What a security team has after a day: a Deny rule for production, scans, and decisions.
  await api('POST', '/api/v1/rules', {
    name: 'deny-critical-in-prod',
    action: 'Deny',
    scope: { resources: [{ kind: 'Namespace', criterion: 'StartsWith', value: 'prod-' }] },
    conditions: { severities: ['Critical'] },
    exemptions: [{ type: 'CVE', criterion: 'Equals', value: 'CVE-2020-0001', expires: '2020-01-31', reason: 'long gone' }],
  });
  await api('POST', '/api/v1/scans', JSON.parse(readFileSync(join(ROOT, 'test/fixtures/trivy/fluentd-debian-os-and-gems-image.json'), 'utf8')));
  await api('POST', '/api/v1/evaluate', { manifests: deployment('prod-payments', 'checkout', FLUENTD) });
  await api('POST', '/api/v1/evaluate', { manifests: deployment('dev', 'search', FLUENTD) });
  const evaluated = await api<{ results: { eventId: string }[] }>('POST', '/api/v1/evaluate', { manifests: deployment('staging', 'cart', FLUENTD) });
  const template = await api<Record<string, unknown>>('GET', `/api/v1/events/${evaluated.results[0]?.eventId}`);
  // The same event as a webhook would deliver it, with names no cluster would allow but an API
  // client could send: the UI must show them as they are.
  hostileEventId = `${String(template.id).slice(0, 24)}${'f'.repeat(12)}`;
  await api('POST', '/api/v1/events', { events: [{ ...template, id: hostileEventId, namespace: 'hostile', name: HOSTILE, workload: HOSTILE, message: `<script>window.__injected=2</script> ${String(template.message)}` }] });
  readerToken = (await api<{ token: string }>('POST', '/api/v1/tokens', { role: 'SecurityReader', name: 'alice' })).token;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const rows = (page: Page) => page.locator('table.events tbody tr');

describe('the web UI', () => {
  test('a token the API does not accept is refused with its reason, and nothing is shown', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.getByLabel('API token').fill('pcl_not-a-token-at-all-0000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/^401: /);
    expect(await page.getByRole('link', { name: 'Admission monitoring' }).count()).toBe(0);
    await page.close();
  });

  test('Admission Monitoring lists every decision newest first, and filters by decision and namespace', async () => {
    const { page, errors } = await signedIn(readerToken);
    await expect.poll(() => page.locator('header.top .caller').textContent()).toContain('alice (SecurityReader)');
    await expect.poll(() => rows(page).count()).toBe(4);
    expect(await rows(page).locator('td:nth-child(4)').allTextContents()).toEqual(['hostile', 'staging', 'dev', 'prod-payments']);
    expect(await rows(page).nth(3).locator('td:nth-child(2)').textContent()).toBe('Denieddry run');
    expect(await rows(page).nth(2).locator('td:nth-child(2)').textContent()).toBe('Auditeddry run');
    expect(await rows(page).nth(3).locator('td:nth-child(7)').textContent()).toContain('1 Critical');

    await page.getByRole('checkbox', { name: 'Denied' }).check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => rows(page).locator('td:nth-child(4)').allTextContents()).toEqual(['prod-payments']);
    expect(page.url()).toContain('#/events?decision=Denied');

    await page.getByRole('link', { name: 'Clear' }).click();
    await page.getByLabel('Namespace').fill('dev');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => rows(page).locator('td:nth-child(4)').allTextContents()).toEqual(['dev']);
    // The page loaded its script and style under the served Content-Security-Policy.
    expect(errors).toEqual([]);
    await page.close();
  });

  test('a filtered list is a link: opened in a new tab it shows the same events', async () => {
    const { page } = await signedIn(readerToken, '#/events?cve=CVE-2019-18224&decision=Denied');
    await expect.poll(() => rows(page).locator('td:nth-child(4)').allTextContents()).toEqual(['prod-payments']);
    expect(await page.getByLabel('CVE').inputValue()).toBe('CVE-2019-18224');
    await page.close();
  });

  test("an event's page shows the decision, each image's findings with their fixes, and the rule as it was applied", async () => {
    const { page } = await signedIn(readerToken, '#/events?namespace=prod-payments');
    await rows(page).first().getByRole('link', { name: /Deployment checkout/ }).click();
    const event = page.locator('article.event');
    await expect.poll(() => event.locator('h1').textContent()).toBe('Denied Deployment prod-payments/checkoutdry run');
    const image = event.locator('section.image');
    expect(await image.locator('h3').textContent()).toBe(FLUENTD);
    expect(await image.locator('table.violations').textContent()).toContain('deny-critical-in-prod');
    expect(await image.locator('.finding').first().textContent()).toMatch(/Critical CVE-2019-18224 .*libidn2-0 2\.0\.5-1 → fixed in 2\.0\.5-1\+deb10u1/);
    const rule = event.locator('section.rule-snapshot').filter({ hasText: 'deny-critical-in-prod' });
    expect(await rule.locator('.description').textContent()).toMatch(/^Deny images with Critical vulnerabilities in namespaces starting with 'prod-'/);
    expect(await rule.locator('table.exemptions').textContent()).toContain('CVE Equals CVE-2020-0001');
    expect(await rule.locator('table.exemptions td:nth-child(4)').textContent()).toBe('Expired');
    // From the image to what its scans say of it.
    await image.locator('h3 a').click();
    const scanned = page.locator('article.image-page');
    await expect.poll(() => scanned.locator('h1').textContent()).toBe(FLUENTD);
    expect(await scanned.locator('table.scans tbody tr').count()).toBe(1);
    expect(await scanned.locator('table.findings tbody tr').first().textContent()).toMatch(/^CVE-2019-18224.*Critical9\.8libidn2-0 2\.0\.5-12\.0\.5-1\+deb10u1/);
    await page.goBack();
    // From a matched vulnerability to every event it was matched in.
    await image.locator('details summary').click();
    await image.getByRole('link', { name: 'CVE-2019-18224' }).click();
    await expect.poll(() => page.getByLabel('CVE').inputValue()).toBe('CVE-2019-18224');
    // The default rule audited the same image in the other namespaces, matching it too.
    await expect.poll(() => rows(page).locator('td:nth-child(4)').allTextContents()).toEqual(['hostile', 'staging', 'dev', 'prod-payments']);
    await page.close();
  });

  test('names and messages from the API are shown as text: nothing in them runs', async () => {
    const { page, dialogs } = await signedIn(readerToken, '#/events?namespace=hostile');
    await expect.poll(() => rows(page).locator('td:nth-child(5)').textContent()).toBe(`Deployment ${HOSTILE}`);
    await page.goto(`${url}/#/events/${hostileEventId}`);
    await expect.poll(() => page.locator('.message').textContent()).toContain('<script>window.__injected=2</script>');
    expect(await page.locator('article.event h1').textContent()).toContain(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);
    // The callbacks run in the page; this program's types are Node's, so the page's globals are named through globalThis.
    expect(await page.evaluate(() => (globalThis as { __injected?: unknown }).__injected)).toBeUndefined();
    expect(dialogs).toEqual([]);
    await page.close();
  });

  test('a SecurityReader reads rules and their versions, and is offered no change', async () => {
    const { page } = await signedIn(readerToken, '#/rules');
    const names = page.locator('table.rules tbody tr td:first-child');
    await expect.poll(() => names.allTextContents()).toEqual(expect.arrayContaining(['default-audit-high-critical', 'deny-critical-in-prod']));
    expect(await page.getByRole('button', { name: 'New rule' }).count()).toBe(0);
    await page.getByRole('link', { name: 'deny-critical-in-prod' }).click();
    await expect.poll(() => page.locator('table.versions tbody tr').allTextContents()).toEqual([expect.stringMatching(/^1Created/)]);
    expect(await page.locator('table.exemptions').textContent()).toContain('CVE-2020-0001');
    for (const action of ['Disable', 'Edit', 'Add exemption', 'Delete', 'Remove']) expect(await page.getByRole('button', { name: action }).count()).toBe(0);
    await page.close();
  });

  test('a SecurityAdmin creates a rule as YAML (its problems named by place first), then disables it: each change a new version', async () => {
    const admin = (await api<{ token: string }>('POST', '/api/v1/tokens', { role: 'SecurityAdmin', name: 'sam' })).token;
    const { page } = await signedIn(admin, '#/rules');
    await page.getByRole('button', { name: 'New rule' }).click();
    await page.getByRole('button', { name: 'YAML' }).click();
    const editor = page.getByLabel('Rule document (YAML)');
    await editor.fill('name: audit-log4shell\naction: Block\nconditions: {cves: [CVE-2021-44228]}\n');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('body.action');
    await editor.fill('name: audit-log4shell\naction: Audit\nconditions: {cves: [CVE-2021-44228]\n');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not valid YAML \(line \d+\)/);
    await editor.fill('name: audit-log4shell\naction: Audit\nconditions: {cves: [CVE-2021-44228]}\n');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await expect.poll(() => page.locator('article.rule h1').textContent()).toBe('audit-log4shell Audit Enabled');
    expect(await page.locator('article.rule .description').first().textContent()).toBe('Audit images with CVE-2021-44228 on every cluster; images without a scan are ignored.');

    await page.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => page.locator('article.rule h1').textContent()).toBe('audit-log4shell Audit Disabled');
    expect(await page.locator('table.versions tbody tr td:nth-child(2)').allTextContents()).toEqual(['Disabled', 'Created']);
    expect(await page.locator('table.versions tbody tr td:nth-child(3)').allTextContents()).toEqual(['sam', 'sam']);
    const stored = await api<{ rules: { name: string; enabled: boolean }[] }>('GET', '/api/v1/rules');
    expect(stored.rules.find((rule) => rule.name === 'audit-log4shell')?.enabled).toBe(false);

    // An edit saved over a change someone else made meanwhile is refused, not lost.
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('button', { name: 'YAML' }).click();
    await api('POST', '/api/v1/rules/audit-log4shell/enable');
    await editor.fill('name: audit-log4shell\naction: Deny\nconditions: {cves: [CVE-2021-44228]}\n');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/^409: /);
    const kept = await api<{ action: string; version: number }>('GET', '/api/v1/rules/audit-log4shell');
    expect(kept).toMatchObject({ action: 'Audit', version: 3 });
    await page.close();
  });

  test("a SecurityAdmin writes the seeds' rule in the form: the review says it in the engine's words before it is saved, and it is stored as reviewed", async () => {
    const admin = (await api<{ token: string }>('POST', '/api/v1/tokens', { role: 'SecurityAdmin', name: 'fay' })).token;
    const { page, errors } = await signedIn(admin, '#/rules');
    await page.getByRole('button', { name: 'New rule' }).click();
    const form = page.getByRole('form', { name: 'Rule' });
    const review = form.getByRole('region', { name: 'Review' });
    await expect.poll(() => review.locator('ul.problems').textContent()).toContain('name');
    expect(await form.getByRole('button', { name: 'Create rule' }).isDisabled()).toBe(true);

    await form.getByLabel('Rule name').fill('deny-critical-in-prod-eu');
    await form.getByLabel('Action').selectOption('Deny');
    expect(await form.getByRole('note').textContent()).toContain('Start with Audit');
    await form.getByRole('button', { name: 'Add resource scope' }).click();
    const resource = form.getByRole('group', { name: 'Resource scope 1' });
    await resource.getByLabel('Matching criterion').selectOption('StartsWith');
    await resource.getByLabel('Value').fill('prod-');
    await form.getByRole('button', { name: 'Add cloud scope' }).click();
    await form.getByRole('group', { name: 'Cloud scope 1' }).getByLabel('Account, subscription or project').fill('123456789012');
    await form.getByRole('button', { name: 'Add exemption' }).click();
    const exemption = form.getByRole('group', { name: 'Exemption 1' });
    await exemption.getByLabel('Value').fill('CVE-2024-1234');
    await exemption.getByLabel('Time-bound').check();
    await exemption.getByLabel('Until (the last day it holds)').fill('2027-03-31');
    await exemption.getByLabel('Reason').fill('fixed in the next release');
    const words = "Deny images with Critical vulnerabilities in namespaces starting with 'prod-' on aws account 123456789012; images without a scan are ignored; exempt CVE-2024-1234 until 2027-03-31 (UTC).";
    await expect.poll(() => review.locator('.description').textContent()).toBe(words);

    // To YAML and back, nothing lost.
    await page.getByRole('button', { name: 'YAML' }).click();
    expect(await page.getByLabel('Rule document (YAML)').inputValue()).toContain('value: CVE-2024-1234');
    await page.getByRole('button', { name: 'Form' }).click();
    await expect.poll(() => review.locator('.description').textContent()).toBe(words);

    await form.getByRole('button', { name: 'Create rule' }).click();
    await expect.poll(() => page.locator('article.rule .description').first().textContent()).toBe(words);
    const stored = await api<{ document: Record<string, unknown> }>('GET', '/api/v1/rules/deny-critical-in-prod-eu');
    expect(stored.document).toMatchObject({
      action: 'Deny',
      scope: { cloud: [{ provider: 'aws', account: '123456789012' }], resources: [{ kind: 'Namespace', criterion: 'StartsWith', value: 'prod-' }] },
      conditions: { severities: ['Critical'] },
      exemptions: [{ type: 'CVE', criterion: 'Equals', value: 'CVE-2024-1234', expires: '2027-03-31', reason: 'fixed in the next release' }],
    });

    // Edited in the same form: Audit first, as the seeds advise.
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('form', { name: 'Rule' }).getByLabel('Action').selectOption('Audit');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await expect.poll(() => page.locator('table.versions tbody tr td:nth-child(2)').allTextContents()).toEqual(['Replaced', 'Created']);
    expect(await page.locator('article.rule .description').first().textContent()).toBe(words.replace(/^Deny/, 'Audit'));
    expect(errors).toEqual([]);
    await page.close();
  });

  test('a SecurityAdmin exempts a CVE until a day (a blank value named first), removes the exemption, and deletes the rule', async () => {
    const admin = (await api<{ token: string }>('POST', '/api/v1/tokens', { role: 'SecurityAdmin', name: 'sue' })).token;
    await api('POST', '/api/v1/rules', { name: 'deny-log4shell', action: 'Deny', conditions: { cves: ['CVE-2021-44228'] } });
    const { page } = await signedIn(admin, '#/rules/deny-log4shell');
    await page.getByRole('button', { name: 'Add exemption' }).click();
    const form = page.getByRole('form', { name: 'New exemption' });
    await form.getByLabel('Value').fill('   ');
    await form.getByRole('button', { name: 'Add exemption' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toContain('body.value');
    await form.getByLabel('Value').fill('CVE-2021-44228');
    await form.getByLabel('Until (the last day it holds)').fill('2099-03-31');
    await form.getByLabel('Reason').fill('patched by the vendor');
    await form.getByRole('button', { name: 'Add exemption' }).click();
    const exemptions = page.locator('table.exemptions tbody tr');
    await expect.poll(() => exemptions.allTextContents()).toEqual(['CVE Equals CVE-2021-442282099-03-31patched by the vendorActiveRemove']);
    expect(await page.locator('article.rule .description').first().textContent()).toContain('exempt CVE-2021-44228 until 2099-03-31');

    await exemptions.getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => exemptions.count()).toBe(0);
    expect(await page.locator('table.versions tbody tr td:nth-child(2)').allTextContents()).toEqual(['ExemptionRemoved', 'ExemptionAdded', 'Created']);

    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Delete the rule' }).click();
    await page.waitForURL(/#\/rules$/);
    await expect.poll(() => page.locator('table.rules tbody tr td:first-child').allTextContents()).not.toContain('deny-log4shell');
    await page.close();
  });

  test('a reload keeps the session; signing out forgets the token', async () => {
    const { page } = await signedIn(readerToken, '#/rules');
    await page.reload();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    await page.reload();
    expect(await page.getByLabel('API token').count()).toBe(1);
    expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length)).toBe(0);
    await page.close();
  });

  // Last: it adds events that the tests above do not expect.
  test('Refresh shows events recorded since; a long list comes 50 at a time, the older ones on request', async () => {
    const { page } = await signedIn(readerToken, '#/events?namespace=bulk');
    await expect.poll(() => page.locator('p.empty').textContent()).toBe('No admission events match these filters.');
    const names = Array.from({ length: 55 }, (_, i) => `app-${i}`);
    const objects = names.map((name) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'bulk' },
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: FLUENTD }] } } },
    }));
    await api('POST', '/api/v1/evaluate', { objects });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => rows(page).count()).toBe(50);
    await page.getByRole('button', { name: 'Older events' }).click();
    await expect.poll(() => rows(page).count()).toBe(55);
    const shown = await rows(page).locator('td:nth-child(5) a').allTextContents();
    expect(new Set(shown)).toEqual(new Set(names.map((name) => `Deployment ${name}`)));
    expect(await page.getByRole('button', { name: 'Older events' }).count()).toBe(0);
    await page.close();
  });
});
