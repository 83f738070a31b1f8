// The gar credential helper with Google's own auth library, finding the webhook's identity as on
// GKE with Workload Identity: through the metadata server (testing/fake-gce-metadata.ts, reached
// through GCE_METADATA_HOST as the library allows). Which hosts are Google's, the token as the
// password of oauth2accesstoken, kept until near its end, one fetch for many askers, failures
// not kept and named.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GOOGLE_TOKEN_USERNAME, GoogleCredentials, isGoogleRegistry } from './google-credentials.js';
import { startFakeGceMetadata, type FakeGceMetadata } from './testing/fake-gce-metadata.js';
import { failure } from './testing/failure.js';
import { googleIdentityAt } from './testing/google-environment.js';

const HOST = 'europe-west1-docker.pkg.dev';
const TOKEN = 'ya29.c.b0AXv0zTPortcullisTestToken';
const signal = () => AbortSignal.timeout(5_000);

let metadata: FakeGceMetadata;
let restoreEnvironment: () => Promise<void>;
beforeAll(async () => {
  metadata = await startFakeGceMetadata(TOKEN);
  restoreEnvironment = await googleIdentityAt(metadata.host);
});
afterAll(async () => {
  await restoreEnvironment();
  await metadata.stop();
});

const tokenRequests = () => metadata.requests.filter((r) => r.path.endsWith('/service-accounts/default/token')).length;

describe("which hosts are Google's registries", () => {
  test.each(['us-docker.pkg.dev', HOST, 'gcr.io', 'eu.gcr.io', 'asia.gcr.io:443'])('%s', (host) => {
    expect(isGoogleRegistry(host)).toBe(true);
  });
  test.each(['docker.io', 'pkg.dev', 'gcr.io.evil.example', 'europe-west1-npm.pkg.dev', 'ghcr.io'])('not %s', (host) => {
    expect(isGoogleRegistry(host)).toBe(false);
    expect(new GoogleCredentials().handles(host)).toBe(false);
  });
});

describe('the access token from the metadata server', () => {
  test('asked for with Metadata-Flavor: Google; the password of oauth2accesstoken', async () => {
    const before = tokenRequests();
    expect(await new GoogleCredentials().credential(HOST, signal())).toEqual({ username: GOOGLE_TOKEN_USERNAME, password: TOKEN });
    expect(tokenRequests() - before).toBe(1);
    expect(metadata.requests.every((r) => r.flavor === 'Google')).toBe(true);
  });

  test('one token for every Google registry, fetched once however many ask at once', async () => {
    const helper = new GoogleCredentials();
    const before = tokenRequests();
    const all = await Promise.all([HOST, 'us-docker.pkg.dev', 'gcr.io', HOST, 'eu.gcr.io'].map((host) => helper.credential(host, signal())));
    expect(new Set(all.map((c) => c.password))).toEqual(new Set([TOKEN]));
    expect(tokenRequests() - before).toBe(1);
  });

  test('refused (the pod has no Google service account bound): unauthorized, with what the server said; not kept', async () => {
    const helper = new GoogleCredentials();
    metadata.failure = { status: 403, body: 'The Kubernetes service account portcullis/portcullis-webhook is not bound to a Google service account.' };
    try {
      const error = await failure(helper.credential(HOST, AbortSignal.timeout(15_000)));
      expect(error.code).toBe('unauthorized');
      expect(error.message).toContain(`Google issued no access token for ${HOST}:`);
      expect(error.message).toContain('403');
    } finally {
      metadata.failure = undefined;
    }
    expect((await helper.credential(HOST, signal())).password).toBe(TOKEN);
  });

  test('no Google identity at all: a configuration error saying where one comes from', async () => {
    process.env.METADATA_SERVER_DETECTION = 'none';
    try {
      const error = await failure(new GoogleCredentials().credential(HOST, signal()));
      expect(error.code).toBe('config');
      expect(error.message).toContain('the webhook has no Google identity (GKE Workload Identity, or GOOGLE_APPLICATION_CREDENTIALS)');
    } finally {
      delete process.env.METADATA_SERVER_DETECTION;
    }
  });
});
