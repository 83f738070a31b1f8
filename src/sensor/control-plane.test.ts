// The request function's bearer token from a file: read again when the file changes (a rotated
// Secret), and kept when the file is gone or blank for a moment.
import { mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestControlPlane } from './control-plane.js';

let server: Server;
let url: string;
const seen: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'portcullis-token-'));

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(request.headers.authorization ?? '');
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** Writes the file as a Secret's update does: new content, a new modification time. */
function writeToken(file: string, content: string, secondsLater: number): void {
  writeFileSync(file, content);
  const at = new Date(Date.now() + secondsLater * 1000);
  utimesSync(file, at, at);
}

test('a token file is read again when it changes; gone or blank, the last token stays', async () => {
  const file = join(dir, 'token');
  writeToken(file, 'first-token\n', 0);
  const connection = { url, token: 'first-token', tokenFile: file };
  const ask = () => requestControlPlane(connection, 'GET', '/api/v1/sync/settings');

  await ask();
  writeToken(file, 'rotated-token\n', 10);
  await ask();
  await ask();
  unlinkSync(file);
  await ask();
  writeToken(file, '  \n', 20);
  await ask();
  writeToken(file, 'again-rotated', 30);
  await ask();

  expect(seen.splice(0)).toEqual(['first-token', 'rotated-token', 'rotated-token', 'rotated-token', 'rotated-token', 'again-rotated'].map((token) => `Bearer ${token}`));
});

test('without a file, the token given is sent', async () => {
  await requestControlPlane({ url, token: 'plain-token' }, 'GET', '/api/v1/sync/settings');
  expect(seen.splice(0)).toEqual(['Bearer plain-token']);
});
