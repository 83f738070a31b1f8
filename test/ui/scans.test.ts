// Scans in the web UI: reports posted by hand, several at once, each answered for itself (a file
// that is not JSON or not a report named, the others stored); an image found by reference.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium, signedIn } from '../support/browser.js';
import { startUiServer, type UiServer } from '../support/ui-server.js';

const FIXTURES = join(import.meta.dirname, '../fixtures');
const TRIVY = join(FIXTURES, 'trivy/fluentd-debian-os-and-gems-image.json');
const GRYPE = join(FIXTURES, 'grype/debian10-image-defectdojo.json');
const FLUENTD = 'ghcr.io/aquasecurity/trivy-test-images:fluentd-multiple-lockfiles';

let server: UiServer;
let browser: Browser;
let scratch: string;

beforeAll(async () => {
  server = await startUiServer();
  browser = await launchChromium();
  scratch = mkdtempSync(join(tmpdir(), 'portcullis-ui-scans-'));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const token = async (role: string, name: string) => (await server.api<{ token: string }>('POST', '/api/v1/tokens', { role, name })).token;

describe('scans in the web UI', () => {
  test('a SecurityAdmin posts four files at once: two reports stored, a file that is not JSON and one that is no report each refused with its reason', async () => {
    const notJson = join(scratch, 'truncated.json');
    writeFileSync(notJson, '{"SchemaVersion": 2, "Results": [');
    const notReport = join(scratch, 'package.json');
    writeFileSync(notReport, '{"name": "not-a-scan"}');
    const { page, errors } = await signedIn(browser, server.url, await token('SecurityAdmin', 'sam'), '#/scans');
    await page.getByLabel('Trivy or Grype JSON reports, or the native format').setInputFiles([TRIVY, notJson, GRYPE, notReport]);
    const rows = page.locator('table.posted tbody tr');
    await expect.poll(() => rows.count()).toBe(4);
    await expect.poll(() => page.locator('p.loading').count()).toBe(0);
    expect(await rows.nth(0).textContent()).toMatch(/^fluentd-debian-os-and-gems-image\.jsonstored \(trivy\)/);
    expect(await rows.nth(0).locator('td:nth-child(4)').textContent()).toBe('1 Critical1 High');
    expect(await rows.nth(1).getByRole('alert').textContent()).toMatch(/^truncated\.json is not JSON: /);
    expect(await rows.nth(2).textContent()).toMatch(/^debian10-image-defectdojo\.jsonstored \(grype\)/);
    expect(await rows.nth(3).getByRole('alert').textContent()).toMatch(/^400: .*Trivy JSON report/);

    // The same report again changes nothing, and says so.
    await page.getByLabel('Trivy or Grype JSON reports, or the native format').setInputFiles([TRIVY]);
    await expect.poll(() => rows.first().locator('td:nth-child(2)').textContent()).toBe('already stored (trivy)');

    // From the stored scan to its image.
    await rows.first().locator('td:nth-child(3) a').first().click();
    await expect.poll(() => page.locator('article.image-page table.findings tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('article.image-page table.findings').textContent()).toContain('CVE-2019-18224');
    expect(errors.filter((error) => !error.includes('400'))).toEqual([]);
    await page.close();
  });

  test('a SecurityReader finds an image by the reference a spec writes, and is offered no upload', async () => {
    const { page } = await signedIn(browser, server.url, await token('SecurityReader', 'rita'), '#/scans');
    expect(await page.getByLabel('Trivy or Grype JSON reports, or the native format').count()).toBe(0);
    expect(await page.locator('section p.muted').textContent()).toContain('portcullis scans import');
    await page.getByLabel('Image', { exact: true }).fill(FLUENTD);
    await page.getByRole('button', { name: 'Show its scans' }).click();
    await expect.poll(() => page.locator('article.image-page h1').textContent()).toBe(FLUENTD);
    expect(await page.locator('article.image-page dl.facts').textContent()).toMatch(/ScanScanned /);
    await page.goto(`${server.url}/#/images/${encodeURIComponent('registry.example.com/never/scanned:1.0')}`);
    await expect.poll(() => page.locator('article.image-page dl.facts').textContent()).toContain('No scan covers this image');
    await page.close();
  });
});
