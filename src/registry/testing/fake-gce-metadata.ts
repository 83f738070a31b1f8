// Google's metadata server, as far as a workload's access token: what GKE Workload Identity's
// metadata server answers a pod (and Compute Engine a VM), reached by Google's own auth library
// through GCE_METADATA_HOST. `GET /computeMetadata/v1/instance/service-accounts/default/token`
// with `Metadata-Flavor: Google` answers `{access_token, expires_in, token_type}` and the same
// header back (the library refuses an answer without it); `/computeMetadata/v1/instance` is the
// library's check that a metadata server is there. The metadata server cannot run here.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeMetadataRequest {
  readonly path: string;
  readonly flavor: string | undefined;
}

export interface FakeGceMetadata {
  /** host:port, as GCE_METADATA_HOST takes it. */
  readonly host: string;
  readonly requests: FakeMetadataRequest[];
  /** The token the next token request gets (then `token` again). */
  answerNext(answer: { readonly token: string; readonly expiresIn?: number }): void;
  /** While set, every token request fails with this (the library tries again a few times). */
  failure: { readonly status: number; readonly body: string } | undefined;
  stop(): Promise<void>;
}

const TOKEN_PATH = '/computeMetadata/v1/instance/service-accounts/default/token';

export async function startFakeGceMetadata(token: string): Promise<FakeGceMetadata> {
  const requests: FakeMetadataRequest[] = [];
  const next: Parameters<FakeGceMetadata['answerNext']>[0][] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://metadata');
    const flavor = request.headers['metadata-flavor'];
    requests.push({ path: url.pathname, flavor: Array.isArray(flavor) ? flavor[0] : flavor });
    const headers = { 'metadata-flavor': 'Google', 'content-type': 'application/json' };
    if (flavor !== 'Google') {
      response.writeHead(403, { 'content-type': 'text/html' });
      response.end('Missing Metadata-Flavor:Google header.');
    } else if (url.pathname === TOKEN_PATH) {
      const answer = next.shift() ?? { token };
      const failure = fake.failure;
      if (failure !== undefined) {
        response.writeHead(failure.status, headers);
        response.end(failure.body);
      } else {
        response.writeHead(200, headers);
        response.end(JSON.stringify({ access_token: answer.token, expires_in: answer.expiresIn ?? 3599, token_type: 'Bearer' }));
      }
    } else if (url.pathname === '/computeMetadata/v1/instance' || url.pathname === '/computeMetadata/v1/instance/') {
      response.writeHead(200, headers);
      response.end('{}');
    } else {
      response.writeHead(404, headers);
      response.end('Not Found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: FakeGceMetadata = {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    answerNext: (answer) => void next.push(answer),
    failure: undefined,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return fake;
}
