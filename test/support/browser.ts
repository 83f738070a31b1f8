// A real browser for the UI's tests: Debian's Chromium (`apt-get install chromium`), driven by
// playwright-core. PORTCULLIS_CHROMIUM names another Chromium or Chrome binary.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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
