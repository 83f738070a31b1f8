// The ECR credential helper with AWS's own SDK, against a local endpoint that answers
// GetAuthorizationToken as ECR does (testing/fake-ecr.ts): which hosts are ECR's, the token
// decoded into a username and password, kept per region until near its end, one fetch for many
// askers, failures not kept and named.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { until } from '../../test/support/until.js';
import { EcrCredentials, ecrRegionOf } from './ecr-credentials.js';
import { ECR_ACCOUNT, startFakeEcr, type FakeEcr } from './testing/fake-ecr.js';
import { failure } from './testing/failure.js';

const HOST = `${ECR_ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`;
const AWS_CREDENTIALS = { accessKeyId: 'AKIDPORTCULLISTEST', secretAccessKey: 'portcullis-test-secret' };
const signal = () => AbortSignal.timeout(5_000);

let ecr: FakeEcr;
beforeAll(async () => {
  ecr = await startFakeEcr('ecr-password');
});
afterAll(() => ecr.stop());

function helper(now: () => number = Date.now) {
  return new EcrCredentials({ now, client: { endpoint: ecr.url, credentials: AWS_CREDENTIALS, maxAttempts: 1 } });
}

describe('which hosts are ECR registries', () => {
  test.each([
    [HOST, { region: 'us-west-2', fips: false }],
    [`${ECR_ACCOUNT}.dkr.ecr-fips.us-gov-west-1.amazonaws.com`, { region: 'us-gov-west-1', fips: true }],
    [`${ECR_ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn`, { region: 'cn-north-1', fips: false }],
    [`${ECR_ACCOUNT}.dkr-ecr.eu-central-1.on.aws`, { region: 'eu-central-1', fips: false }],
    [`${HOST}:443`, { region: 'us-west-2', fips: false }],
  ])('%s', (host, region) => {
    expect(ecrRegionOf(host)).toEqual(region);
  });

  test.each(['public.ecr.aws', 'ghcr.io', `${ECR_ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com.evil.example`, '12345.dkr.ecr.us-west-2.amazonaws.com'])('not %s', (host) => {
    expect(ecrRegionOf(host)).toBeUndefined();
    expect(helper().handles(host)).toBe(false);
  });
});

describe('GetAuthorizationToken', () => {
  test('a signed request of the region; the token is AWS and its password', async () => {
    const before = ecr.requests.length;
    expect(await helper().credential(HOST, signal())).toEqual({ username: 'AWS', password: 'ecr-password' });
    const request = ecr.requests[before];
    expect(request?.target).toBe('AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken');
    expect(request?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDPORTCULLISTEST\/\d{8}\/us-west-2\/ecr\/aws4_request, /);
  });

  test('kept for the region: concurrent and later askers, another registry of the region, share one fetch; another region fetches its own', async () => {
    const ecrHelper = helper();
    const before = ecr.requests.length;
    ecr.delayMs = 100;
    try {
      const all = await Promise.all(Array.from({ length: 20 }, () => ecrHelper.credential(HOST, signal())));
      expect(new Set(all.map((c) => c.password))).toEqual(new Set(['ecr-password']));
      await ecrHelper.credential(`999999999999.dkr.ecr.us-west-2.amazonaws.com`, signal());
      expect(ecr.requests.length - before).toBe(1);
      await ecrHelper.credential(`${ECR_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`, signal());
      expect(ecr.requests.length - before).toBe(2);
      expect(ecr.requests.at(-1)?.authorization).toContain('/eu-west-1/ecr/aws4_request');
    } finally {
      ecr.delayMs = 0;
    }
  });

  test('renewed at nine tenths of its lifetime (by its expiresAt), the old one serving meanwhile', async () => {
    let now = Date.now();
    const ecrHelper = helper(() => now);
    ecr.answerNext({ password: 'first', expiresInSeconds: 1000 });
    expect((await ecrHelper.credential(HOST, signal())).password).toBe('first');
    const before = ecr.requests.length;
    now += 850_000;
    ecr.answerNext({ password: 'second' });
    expect((await ecrHelper.credential(HOST, signal())).password).toBe('first');
    expect(ecr.requests.length).toBe(before);
    now += 60_000;
    expect((await ecrHelper.credential(HOST, signal())).password).toBe('first');
    await until(async () => (await ecrHelper.credential(HOST, signal())).password === 'second', 'the renewed password');
    expect(ecr.requests.length - before).toBe(1);
  });

  test('refused (no permission): unauthorized, with what ECR said; not kept, so the next asker fetches again; each fetch told', async () => {
    const outcomes: string[] = [];
    const ecrHelper = new EcrCredentials({ onFetch: (outcome) => outcomes.push(outcome), client: { endpoint: ecr.url, credentials: AWS_CREDENTIALS, maxAttempts: 1 } });
    ecr.answerNext({
      error: 'AccessDeniedException',
      status: 400,
      message: `User: arn:aws:sts::${ECR_ACCOUNT}:assumed-role/portcullis-webhook/i-0 is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action`,
    });
    const error = await failure(ecrHelper.credential(HOST, signal()));
    expect(error.code).toBe('unauthorized');
    expect(error.message).toBe(
      `Amazon ECR (us-west-2) issued no token for ${HOST}: AccessDeniedException (400): User: arn:aws:sts::${ECR_ACCOUNT}:assumed-role/portcullis-webhook/i-0 is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action`,
    );
    expect((await ecrHelper.credential(HOST, signal())).password).toBe('ecr-password');
    expect(outcomes).toEqual(['unauthorized', 'issued']);
  });

  test('no AWS identity: a configuration error saying where one comes from', async () => {
    const noIdentity = new EcrCredentials({
      client: {
        endpoint: ecr.url,
        maxAttempts: 1,
        credentials: () => Promise.reject(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })),
      },
    });
    const error = await failure(noIdentity.credential(HOST, signal()));
    expect(error.code).toBe('config');
    expect(error.message).toContain('the webhook has no AWS identity (an IAM role for its service account, EKS Pod Identity');
    expect(error.message).toContain('Could not load credentials from any providers');
  });

  test('ECR unreachable: unreachable, naming it', async () => {
    const down = new EcrCredentials({ client: { endpoint: 'http://127.0.0.1:9', credentials: AWS_CREDENTIALS, maxAttempts: 1 } });
    const error = await failure(down.credential(HOST, signal()));
    expect(error.code).toBe('unreachable');
    expect(error.message).toMatch(/^Amazon ECR \(us-west-2\) issued no token for .*: cannot reach Amazon ECR \(us-west-2\): ECONNREFUSED/);
  });

  test('a lookup that gives up does not abandon the fetch: the next one gets its token', async () => {
    const ecrHelper = helper();
    const before = ecr.requests.length;
    ecr.delayMs = 300;
    try {
      const error = await failure(ecrHelper.credential(HOST, AbortSignal.timeout(50)));
      expect(error.code).toBe('timeout');
      expect((await ecrHelper.credential(HOST, signal())).password).toBe('ecr-password');
      expect(ecr.requests.length - before).toBe(1);
    } finally {
      ecr.delayMs = 0;
    }
  });
});
