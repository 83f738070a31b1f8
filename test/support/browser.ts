// A real browser for the UI's tests: Debian's Chromium (`apt-get install chromium`), driven by
// playwright-core. PORTCULLIS_CHROMIUM names another Chromium or Chrome binary.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.PORTCULLIS_CHROMIUM ?? DEBIAN_CHROMIUM;
  if (!existsSync(executablePath)) {
    throw new Error(`No Chromium at ${executablePath}: install Debian's (apt-get install chromium), or set PORTCULLIS_CHROMIUM to a Chromium or Chrome binary.`);
  }
  // Chromium refuses to sandbox itself as root, which is how CI runs.
  const asRoot = process.getuid?.() === 0;
  return chromium.launch({ executablePath, headless: true, args: asRoot ? ['--no-sandbox'] : [] });
}

export interface SignedIn {
  readonly page: Page;
  /** Console errors and uncaught exceptions of the page (a CSP refusal is one). */
  readonly errors: string[];
  /** Every alert, confirm or prompt the page opened (each dismissed). */
  readonly dialogs: string[];
}

/** A new tab of the UI at `url` + `hash`, signed in with `token`. */
export async function signedIn(browser: Browser, url: string, token: string, hash = ''): Promise<SignedIn> {
  const page = await browser.newPage();
  // A missing element fails its step within the test's own time, naming what was looked for.
  page.setDefaultTimeout(5_000);
  const errors: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(`${url}/${hash}`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return { page, errors, dialogs };
}
