// The ecr credential helper as `--registry-credential-helpers ecr` makes it (credentialHelper,
// no options), in a pod that EKS gave an AWS identity, with nothing but the variables EKS sets:
// the SDK's default chain finds the identity, and ECR's GetAuthorizationToken is signed with the
// temporary credentials it yields. STS, the Pod Identity agent and ECR are local endpoints that
// answer as the real ones do (testing/fake-aws-identity.ts, testing/fake-ecr.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { credentialHelper } from './credential-helper.js';
import { RegistryError } from './errors.js';
import { SESSION_TOKEN, TEMPORARY_KEY_ID, startFakePodIdentityAgent, startFakeSts, type FakeAwsIdentity } from './testing/fake-aws-identity.js';
import { ECR_ACCOUNT, startFakeEcr, type FakeEcr } from './testing/fake-ecr.js';
import { failure } from './testing/failure.js';

const HOST = `${ECR_ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`;
const ROLE_ARN = 'arn:aws:iam::123456789012:role/portcullis-webhook';
/** What the kubelet projects into the pod: a service account token for the audience AWS asks for. */
const PROJECTED_TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImV4YW1wbGUifQ.eyJhdWQiOlsic3RzLmFtYXpvbmF3cy5jb20iXX0.c2lnbmF0dXJl';
const signal = () => AbortSignal.timeout(5_000);

let dir: string;
let tokenFile: string;
let ecr: FakeEcr;
const saved = { ...process.env };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-aws-identity-'));
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, PROJECTED_TOKEN);
  ecr = await startFakeEcr('ecr-password');
});
afterAll(async () => {
  await ecr.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The pod's environment: only what EKS sets (and the local endpoints), no keys, no config files. */
function podEnvironment(variables: Record<string, string>): void {
  for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
  Object.assign(process.env, {
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_ENDPOINT_URL_ECR: ecr.url,
    // No instance metadata here: were the chain to reach it, it would wait on an address nobody answers.
    AWS_EC2_METADATA_DISABLED: 'true',
    ...variables,
  });
}
afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
});

describe('an IAM role for the service account (IRSA)', () => {
  let sts: FakeAwsIdentity;
  beforeAll(async () => {
    sts = await startFakeSts({ roleArn: ROLE_ARN, token: PROJECTED_TOKEN });
  });
  afterAll(() => sts.stop());
  /** As EKS's pod identity webhook sets them for a service account annotated eks.amazonaws.com/role-arn. */
  const irsa = () =>
    podEnvironment({
      AWS_ROLE_ARN: ROLE_ARN,
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_STS_REGIONAL_ENDPOINTS: 'regional',
      AWS_DEFAULT_REGION: 'us-west-2',
      AWS_REGION: 'us-west-2',
      AWS_ENDPOINT_URL_STS: sts.url,
    });

  test('the projected token is exchanged at STS for the role, and ECR is asked with the role’s temporary credentials', async () => {
    irsa();
    const [stsBefore, ecrBefore] = [sts.requests.length, ecr.requests.length];
    expect(await credentialHelper('ecr').credential(HOST, signal())).toEqual({ username: 'AWS', password: 'ecr-password' });
    const exchange = sts.requests.slice(stsBefore);
    expect(exchange.map((r) => [r.form.Action, r.form.RoleArn, r.form.WebIdentityToken])).toEqual([['AssumeRoleWithWebIdentity', ROLE_ARN, PROJECTED_TOKEN]]);
    // AssumeRoleWithWebIdentity is not signed: the token is the proof.
    expect(exchange[0]?.authorization).toBeUndefined();
    const [asked] = ecr.requests.slice(ecrBefore);
    expect(asked?.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${TEMPORARY_KEY_ID}/\\d{8}/us-west-2/ecr/aws4_request, `));
    expect(asked?.securityToken).toBe(SESSION_TOKEN);
  });

  test('a role STS will not give the pod: the registry’s reason says AWS refused the identity (not ECR the token), and the next lookup asks again', async () => {
    irsa();
    sts.refusal = { code: 'InvalidIdentityToken', status: 400, message: 'No OpenIDConnect provider found in your account for https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE' };
    const helper = credentialHelper('ecr');
    const before = sts.requests.length;
    try {
      const error = await failure(helper.credential(HOST, signal()));
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as RegistryError).code).toBe('unauthorized');
      expect(error.message).toBe(
        `Amazon ECR (us-west-2) issued no token for ${HOST}: AWS did not give the webhook its identity: InvalidIdentityTokenException (400): No OpenIDConnect provider found in your account for https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`,
      );
    } finally {
      sts.refusal = undefined;
    }
    expect((await helper.credential(HOST, signal())).password).toBe('ecr-password');
    expect(sts.requests.length - before).toBeGreaterThanOrEqual(2);
  });
});

describe('an IAM role for the service account, set up wrong or out of reach', () => {
  test('STS out of reach (no route to the regional endpoint): the reason says the identity could not be had, and why', async () => {
    const closed = await startFakeSts({ roleArn: ROLE_ARN, token: PROJECTED_TOKEN });
    await closed.stop();
    podEnvironment({ AWS_ROLE_ARN: ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_REGION: 'us-west-2', AWS_ENDPOINT_URL_STS: closed.url });
    const error = await failure(credentialHelper('ecr').credential(HOST, signal()));
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.message).toMatch(new RegExp(`^Amazon ECR \\(us-west-2\\) issued no token for ${HOST.replaceAll('.', '\\.')}: AWS did not give the webhook its identity: cannot reach AWS's identity endpoint: ECONNREFUSED`));
  });

  test('a token file the pod does not have (the projected volume missing): the reason names the file', async () => {
    const missing = join(dir, 'no-token');
    podEnvironment({ AWS_ROLE_ARN: ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE: missing, AWS_REGION: 'us-west-2', AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9' });
    const error = await failure(credentialHelper('ecr').credential(HOST, signal()));
    expect((error as RegistryError).code).toBe('config');
    expect(error.message).toBe(`Amazon ECR (us-west-2) issued no token for ${HOST}: AWS did not give the webhook its identity: cannot read ${missing} (ENOENT)`);
  });

  test('a token file but no role (AWS_ROLE_ARN unset): the reason names what IRSA was given', async () => {
    podEnvironment({ AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_REGION: 'us-west-2' });
    const error = await failure(credentialHelper('ecr').credential(HOST, signal()));
    expect((error as RegistryError).code).toBe('config');
    expect(error.message).toContain(`issued no token for ${HOST}: the IAM role for its service account (AWS_ROLE_ARN unset, token ${tokenFile}) gave no credentials: `);
  });
});

describe('EKS Pod Identity', () => {
  let agent: FakeAwsIdentity;
  beforeAll(async () => {
    agent = await startFakePodIdentityAgent(PROJECTED_TOKEN);
  });
  afterAll(() => agent.stop());
  /** As EKS's pod identity webhook sets them for a service account with a pod identity association. */
  const podIdentity = () =>
    podEnvironment({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${agent.url}/v1/credentials`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      AWS_STS_REGIONAL_ENDPOINTS: 'regional',
      AWS_DEFAULT_REGION: 'us-west-2',
      AWS_REGION: 'us-west-2',
    });

  test('the node’s agent hands credentials for the token, and ECR is asked with them', async () => {
    podIdentity();
    const [agentBefore, ecrBefore] = [agent.requests.length, ecr.requests.length];
    expect(await credentialHelper('ecr').credential(HOST, signal())).toEqual({ username: 'AWS', password: 'ecr-password' });
    expect(agent.requests.slice(agentBefore).map((r) => [r.method, r.path, r.authorization])).toEqual([['GET', '/v1/credentials', PROJECTED_TOKEN]]);
    const [asked] = ecr.requests.slice(ecrBefore);
    expect(asked?.authorization).toContain(`Credential=${TEMPORARY_KEY_ID}/`);
    expect(asked?.securityToken).toBe(SESSION_TOKEN);
  });

  test('an agent that refuses: the registry’s reason names the agent it asked', async () => {
    podIdentity();
    agent.refusal = { code: '', status: 400, message: 'Service account token cannot be empty' };
    try {
      // The SDK asks the agent three times, a second apart, before it gives up: 3 s on an idle
      // machine, so more room than the other lookups' 5 s.
      const error = await failure(credentialHelper('ecr').credential(HOST, AbortSignal.timeout(15_000)));
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as RegistryError).code).toBe('config');
      expect(error.message).toContain(`Amazon ECR (us-west-2) issued no token for ${HOST}: EKS Pod Identity's agent (${agent.url}/v1/credentials) gave no credentials: `);
      // The agent's own reason, which the SDK drops: asked once more, as the SDK asks it.
      expect(error.message).toMatch(/\(the agent answered 400: Service account token cannot be empty\)$/);
      expect(agent.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/credentials', authorization: PROJECTED_TOKEN });
    } finally {
      agent.refusal = undefined;
    }
  });
});
