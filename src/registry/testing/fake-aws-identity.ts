// The two ways EKS gives a pod an AWS identity, as far as the AWS SDK's default chain asks them:
// - An IAM role for a service account (IRSA): the SDK reads the projected token named by
//   AWS_WEB_IDENTITY_TOKEN_FILE and posts it to STS's AssumeRoleWithWebIdentity (the awsQuery
//   protocol: a form body, an XML answer; here reached through AWS_ENDPOINT_URL_STS). The answer is
//   the shape of STS's API reference example; the error is STS's `ErrorResponse`.
// - EKS Pod Identity: the SDK GETs AWS_CONTAINER_CREDENTIALS_FULL_URI (the node's agent, at
//   http://169.254.170.23/v1/credentials; loopback here) with the token of
//   AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE as its Authorization header, and the agent answers
//   `{AccessKeyId, SecretAccessKey, Token, AccountId, Expiration}` (aws/eks-pod-identity-agent,
//   pkg/credentials/model.go).
// Neither STS nor the agent can run here; the SDK is the real one.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The temporary credentials both hand out: an ECR request signed with them names this key. */
export const TEMPORARY_KEY_ID = 'ASIAIOSFODNN7EXAMPLE';
export const SESSION_TOKEN = 'AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';

export interface FakeIdentityRequest {
  readonly method: string | undefined;
  readonly path: string;
  readonly authorization: string | undefined;
  /** Form fields of an STS request. */
  readonly form: Readonly<Record<string, string>>;
}

export interface FakeAwsIdentity {
  readonly url: string;
  readonly requests: FakeIdentityRequest[];
  /** While set, every request is refused: STS with this error code and message, the agent with a 400 and the message. */
  refusal: { readonly code: string; readonly status: number; readonly message: string } | undefined;
  stop(): Promise<void>;
}

/** STS, answering AssumeRoleWithWebIdentity for the role and token given. */
export function startFakeSts(expected: { readonly roleArn: string; readonly token: string }): Promise<FakeAwsIdentity> {
  return start((request, fake) => {
    const { form } = request;
    if (fake.refusal) return { status: fake.refusal.status, type: 'text/xml', body: stsError(fake.refusal.code, fake.refusal.message) };
    if (form.Action !== 'AssumeRoleWithWebIdentity') return { status: 400, type: 'text/xml', body: stsError('InvalidAction', `Could not find operation ${form.Action ?? ''} for version ${form.Version ?? ''}`) };
    if (form.WebIdentityToken !== expected.token) return { status: 400, type: 'text/xml', body: stsError('InvalidIdentityToken', 'Incorrect token audience') };
    if (form.RoleArn !== expected.roleArn) return { status: 403, type: 'text/xml', body: stsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity') };
    return { status: 200, type: 'text/xml', body: assumedRole(form.RoleArn, form.RoleSessionName ?? '') };
  });
}

/** The EKS Pod Identity agent, handing credentials to whoever shows the token given. */
export function startFakePodIdentityAgent(token: string): Promise<FakeAwsIdentity> {
  return start((request, fake) => {
    if (fake.refusal) return { status: 400, type: 'text/plain', body: fake.refusal.message };
    if (request.path !== '/v1/credentials') return { status: 404, type: 'text/plain', body: '404 page not found' };
    if (request.authorization !== token) return { status: 400, type: 'text/plain', body: 'Service account token cannot be empty' };
    const credentials = { AccessKeyId: TEMPORARY_KEY_ID, SecretAccessKey: SECRET_KEY, Token: SESSION_TOKEN, AccountId: '123456789012', Expiration: inAnHour() };
    return { status: 200, type: 'application/json', body: JSON.stringify(credentials) };
  });
}

interface Answer {
  readonly status: number;
  readonly type: string;
  readonly body: string;
}

async function start(answer: (request: FakeIdentityRequest, fake: FakeAwsIdentity) => Answer): Promise<FakeAwsIdentity> {
  const requests: FakeIdentityRequest[] = [];
  const server: Server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const request = { method: incoming.method, path: new URL(incoming.url ?? '/', 'http://aws').pathname, authorization: incoming.headers.authorization, form };
      requests.push(request);
      const { status, type, body } = answer(request, fake);
      response.writeHead(status, { 'content-type': type, 'x-amzn-requestid': 'ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE' });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: FakeAwsIdentity = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    refusal: undefined,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return fake;
}

function assumedRole(roleArn: string, session: string): string {
  const role = roleArn.split('/').at(-1) ?? '';
  return `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:portcullis:portcullis-webhook</SubjectFromWebIdentityToken>
    <Audience>sts.amazonaws.com</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/${role}/${session}</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:${session}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>${SESSION_TOKEN}</SessionToken>
      <SecretAccessKey>${SECRET_KEY}</SecretAccessKey>
      <Expiration>${inAnHour()}</Expiration>
      <AccessKeyId>${TEMPORARY_KEY_ID}</AccessKeyId>
    </Credentials>
    <Provider>arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`;
}

function stsError(code: string, message: string): string {
  return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>${code}</Code>
    <Message>${message}</Message>
  </Error>
  <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>
</ErrorResponse>`;
}

function inAnHour(): string {
  return new Date(Date.now() + 3_600_000).toISOString();
}
