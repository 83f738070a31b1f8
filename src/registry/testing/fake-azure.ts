// Two Azure endpoints in one local server, in their own wire formats. A managed identity's token
// endpoint (App Service's, reached by Azure's identity library through IDENTITY_ENDPOINT and
// IDENTITY_HEADER): GET /msi/token?api-version=2019-08-01&resource=… with X-IDENTITY-HEADER,
// answering {access_token, expires_on, resource, token_type, client_id} as App Service's
// documentation shows it. And a registry's POST /oauth2/exchange, form-encoded
// grant_type=access_token&service=…&access_token=…, answering {"refresh_token": …} or ACR's
// {"errors": [{code, message}]}. Neither can run here; the identity library is the real one.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const IDENTITY_HEADER = 'portcullis-test-identity-header';

export interface FakeAzure {
  readonly url: string;
  /** The managed identity's requests: the resource asked for, and whether the header was right. */
  readonly identityRequests: { readonly resource: string | null; readonly headerOk: boolean }[];
  /** The exchanges: the form sent. */
  readonly exchanges: URLSearchParams[];
  /** While set, the exchange answers this status with ACR's error shape. */
  exchangeFailure: { readonly status: number; readonly code: string; readonly message: string } | undefined;
  stop(): Promise<void>;
}

/** `refreshToken(accessToken)`: what the exchange gives for an access token. */
export async function startFakeAzure(accessToken: string, refreshToken: string): Promise<FakeAzure> {
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://azure');
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const json = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify(body));
      };
      if (request.method === 'GET' && url.pathname === '/msi/token') {
        const headerOk = request.headers['x-identity-header'] === IDENTITY_HEADER;
        fake.identityRequests.push({ resource: url.searchParams.get('resource'), headerOk });
        if (!headerOk) return json(400, { statusCode: 400, message: 'Unable to load the proper Managed Identity.' });
        return json(200, {
          access_token: accessToken,
          expires_on: String(Math.floor(Date.now() / 1000) + 86_399),
          resource: url.searchParams.get('resource'),
          token_type: 'Bearer',
          client_id: '5E29463D-71DA-4FE0-8E69-999B57DB23B0',
        });
      }
      if (request.method === 'POST' && url.pathname === '/oauth2/exchange') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        fake.exchanges.push(form);
        const failure = fake.exchangeFailure;
        if (failure !== undefined) return json(failure.status, { errors: [{ code: failure.code, message: failure.message }] });
        if (form.get('grant_type') !== 'access_token' || form.get('access_token') !== accessToken) {
          return json(401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required, visit https://aka.ms/acr/authorization for more information.' }] });
        }
        return json(200, { refresh_token: refreshToken });
      }
      json(404, { errors: [{ code: 'NOT_FOUND', message: `${request.method} ${url.pathname}` }] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: FakeAzure = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    identityRequests: [],
    exchanges: [],
    exchangeFailure: undefined,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return fake;
}
