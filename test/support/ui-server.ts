// `portcullis serve` as a real process for the web UI's tests, with a known admin token, and the
// API called as a script would call it (to set up what the pages then show).
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callApi } from '../../src/api/testing/call-api.js';
import { spawnPortcullis } from '../../src/webhook/testing/process.js';

const ROOT = join(import.meta.dirname, '../..');

export const ADMIN_TOKEN = 'pcl_web-ui-test-admin-token-0123456789';

export interface UiServer {
  readonly url: string;
  /** Calls the API as `token` (the admin by default); a refusal throws with the API's answer. */
  api<T>(method: string, path: string, body?: unknown, token?: string): Promise<T>;
  stop(): Promise<unknown>;
}

export async function startUiServer(): Promise<UiServer> {
  if (!existsSync(join(ROOT, 'dist/ui/index.html'))) throw new Error('The UI is not built (dist/ui/index.html): run `npm run build` first, as `npm test` does.');
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-ui-'));
  const server = spawnPortcullis(['serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0', '--webhook-port', '0', '--no-resolve-tags'], { PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN });
  const [, url = ''] = await server.waitFor(/Portcullis serve listening on (http:\/\/\S+)/);
  return {
    url,
    api: async <T>(method: string, path: string, body?: unknown, token = ADMIN_TOKEN) => (await callApi(url, token, method, path, body)) as T,
    stop: () => server.stop(),
  };
}
