// Amazon ECR's API, as far as GetAuthorizationToken: the AWS JSON 1.1 protocol the SDK speaks
// (POST /, X-Amz-Target, a SigV4-signed request), answered with the shape ECR answers with (the
// AWS CLI's example output: `authorizationToken` base64 of `AWS:<password>`, `expiresAt` in epoch
// seconds, `proxyEndpoint`), or with ECR's error shape (`__type` and `message`, and the error
// type in X-Amzn-ErrorType). ECR itself cannot run here; the SDK is the real one.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeEcrRequest {
  readonly target: string | undefined;
  readonly authorization: string | undefined;
  /** X-Amz-Security-Token: the session token of temporary credentials (an assumed role's). */
  readonly securityToken: string | undefined;
  readonly body: string;
}

export type FakeEcrAnswer =
  | { readonly password: string; readonly expiresInSeconds?: number }
  | { readonly error: string; readonly status: number; readonly message: string };

export interface FakeEcr {
  readonly url: string;
  readonly requests: FakeEcrRequest[];
  /** What the next GetAuthorizationToken gets; then the default (a token for `password`). */
  answerNext(answer: FakeEcrAnswer): void;
  /** Each answer waits this long first. */
  delayMs: number;
  stop(): Promise<void>;
}

export const ECR_ACCOUNT = '123456789012';

export async function startFakeEcr(password: string): Promise<FakeEcr> {
  const requests: FakeEcrRequest[] = [];
  const next: FakeEcrAnswer[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ target: header(request.headers, 'x-amz-target'), authorization: header(request.headers, 'authorization'), securityToken: header(request.headers, 'x-amz-security-token'), body: Buffer.concat(chunks).toString('utf8') });
      const answer = next.shift() ?? { password };
      setTimeout(() => {
        if ('error' in answer) {
          response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': answer.error, 'x-amzn-requestid': 'b0f2c4a6-0000-4000-8000-000000000001' });
          response.end(JSON.stringify({ __type: answer.error, message: answer.message }));
          return;
        }
        const expiresAt = Date.now() / 1000 + (answer.expiresInSeconds ?? 12 * 3600);
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'b0f2c4a6-0000-4000-8000-000000000002' });
        response.end(
          JSON.stringify({
            authorizationData: [
              { authorizationToken: Buffer.from(`AWS:${answer.password}`).toString('base64'), expiresAt, proxyEndpoint: `https://${ECR_ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com` },
            ],
          }),
        );
      }, fake.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: FakeEcr = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    answerNext: (answer) => void next.push(answer),
    delayMs: 0,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return fake;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
