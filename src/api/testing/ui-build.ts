// A stand-in for Vite's build of the web UI, in a temporary directory: an index.html that loads
// one content-hashed script under assets/, as dist/ui holds them. Tests need no build.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The content of a file beside the UI directory: no answer may ever contain it. */
export const OUTSIDE_THE_UI = 'outside-the-ui-directory';

export interface UiBuild {
  /** The directory to pass as `uiDirectory`. */
  readonly directory: string;
  readonly indexHtml: string;
  /** The script's URL path, as the page names it. */
  readonly assetUrl: string;
  readonly assetJs: string;
  remove(): void;
}

export function makeUiBuild(): UiBuild {
  const parent = mkdtempSync(join(tmpdir(), 'portcullis-ui-build-'));
  const directory = join(parent, 'ui');
  const assetUrl = '/assets/app-abc123.js';
  const assetJs = 'document.title = "Portcullis";\n';
  const indexHtml = `<!doctype html>\n<html><head><title>Portcullis</title><script type="module" src="${assetUrl}"></script></head><body><div id="root"></div></body></html>\n`;
  mkdirSync(join(directory, 'assets'), { recursive: true });
  writeFileSync(join(directory, 'index.html'), indexHtml);
  writeFileSync(join(directory, assetUrl), assetJs);
  // Beside the UI, not in it: what /assets/../../package.json would reach if it climbed out.
  writeFileSync(join(parent, 'package.json'), `${JSON.stringify({ name: OUTSIDE_THE_UI })}\n`);
  return { directory, indexHtml, assetUrl, assetJs, remove: () => rmSync(parent, { recursive: true, force: true }) };
}
