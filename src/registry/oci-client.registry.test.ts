// OciClient against a real registry: Debian's docker-registry (distribution v2.8), started by
// test/support/registry.ts, with images pushed through the distribution API. The token realm is
// ours (test/support/registry-token.ts) but the registry checks every token it issues.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseImageReference } from '../images/reference.js';
import { basicAuthorization, pushImage, startRegistry, startSilentServer, unusedPort, type PushedImage, type TestRegistry } from '../../test/support/registry.js';
import { startTokenServer, type TokenServer } from '../../test/support/registry-token.js';
import { ACR_TOKEN_USERNAME, AcrCredentials } from './acr-credentials.js';
import { EcrCredentials } from './ecr-credentials.js';
import { GOOGLE_TOKEN_USERNAME, GoogleCredentials } from './google-credentials.js';
import { IDENTITY_HEADER, startFakeAzure, type FakeAzure } from './testing/fake-azure.js';
import { startFakeEcr, type FakeEcr } from './testing/fake-ecr.js';
import { startFakeGceMetadata, type FakeGceMetadata } from './testing/fake-gce-metadata.js';
import { setEnvironment } from './testing/environment.js';
import { failure } from './testing/failure.js';
import { googleIdentityAt } from './testing/google-environment.js';
import { MEDIA_TYPES, OciClient, type OciClientOptions } from './oci-client.js';

const LOOKUP_MS = 5_000;
const lookup = (client: OciClient, reference: string, timeoutMs = LOOKUP_MS) =>
  client.manifestDigests(parseImageReference(reference), AbortSignal.timeout(timeoutMs));

describe('an anonymous registry', () => {
  let registry: TestRegistry;
  let client: OciClient;
  let single: PushedImage;
  let multi: PushedImage;
  let dockerList: PushedImage;

  beforeAll(async () => {
    registry = await startRegistry();
    single = await pushImage(registry, 'team/app', '1.0');
    multi = await pushImage(registry, 'team/multi', '2.0', { platforms: ['linux/amd64', 'linux/arm64/v8'] });
    dockerList = await pushImage(registry, 'team/legacy', '3.0', { platforms: ['linux/amd64', 'linux/arm64/v8'], format: 'docker' });
    client = new OciClient({ insecure: [registry.host] });
  });
  afterAll(() => registry.stop());

  test('a tag naming one manifest resolves to its digest', async () => {
    expect(await lookup(client, `${registry.host}/team/app:1.0`)).toEqual({ digest: single.digest, mediaType: MEDIA_TYPES.ociManifest });
  });

  test('a tag naming an OCI index gives the index digest and the linux/amd64 manifest in it', async () => {
    expect(await lookup(client, `${registry.host}/team/multi:2.0`)).toEqual({
      digest: multi.digest,
      mediaType: MEDIA_TYPES.ociIndex,
      indexDigest: multi.digest,
      platformDigest: multi.manifests[0]?.digest,
    });
  });

  test('the platform is configurable: linux/arm64 gets the arm64 manifest', async () => {
    const arm = new OciClient({ insecure: [registry.host], platform: 'linux/arm64' });
    expect(await lookup(arm, `${registry.host}/team/multi:2.0`)).toMatchObject({ indexDigest: multi.digest, platformDigest: multi.manifests[1]?.digest });
  });

  test('a Docker manifest list is followed the same way (the registry would otherwise hand out only its amd64 manifest)', async () => {
    const arm = new OciClient({ insecure: [registry.host], platform: 'linux/arm64/v8' });
    expect(await lookup(arm, `${registry.host}/team/legacy:3.0`)).toEqual({
      digest: dockerList.digest,
      mediaType: MEDIA_TYPES.dockerManifestList,
      indexDigest: dockerList.digest,
      platformDigest: dockerList.manifests[1]?.digest,
    });
  });

  test('an index without the platform answers with the index alone', async () => {
    const s390x = new OciClient({ insecure: [registry.host], platform: 'linux/s390x' });
    expect(await lookup(s390x, `${registry.host}/team/multi:2.0`)).toEqual({ digest: multi.digest, mediaType: MEDIA_TYPES.ociIndex, indexDigest: multi.digest });
  });

  test('a digest reference to an index is followed to the platform manifest', async () => {
    expect(await lookup(client, `${registry.host}/team/multi@${multi.digest}`)).toMatchObject({ platformDigest: multi.manifests[0]?.digest });
  });

  test('an unknown tag is not-found (404), naming the image', async () => {
    const error = await failure(lookup(client, `${registry.host}/team/app:nope`));
    expect(error.code).toBe('not-found');
    expect(error.message).toBe(`${registry.host}/team/app:nope was not found (404)`);
  });

  test('without the host in the insecure list the client speaks https, and fails fast on a plain-http registry', async () => {
    const error = await failure(lookup(new OciClient(), `${registry.host}/team/app:1.0`));
    expect(error.code).toBe('unreachable');
  });

  test('the digests agree with skopeo (an independent client of the same registry)', async () => {
    const source = `docker://${registry.host}/team/multi:2.0`;
    const tagDigest = await skopeo(['inspect', '--tls-verify=false', '--format', '{{.Digest}}', source]);
    // skopeo copy picks the platform manifest from the index the way container runtimes do.
    const directory = await mkdtemp(join(tmpdir(), 'portcullis-skopeo-'));
    try {
      await skopeo(['copy', '--quiet', '--src-tls-verify=false', '--override-os', 'linux', '--override-arch', 'arm64', source, `dir:${directory}`]);
      const platformManifest = await readFile(join(directory, 'manifest.json'));
      const arm = new OciClient({ insecure: [registry.host], platform: 'linux/arm64' });
      expect(await lookup(arm, `${registry.host}/team/multi:2.0`)).toMatchObject({
        digest: tagDigest.trim(),
        platformDigest: `sha256:${createHash('sha256').update(platformManifest).digest('hex')}`,
      });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('a registry behind a password (htpasswd, Basic)', () => {
  const user = { username: 'ci', password: 'correct horse battery staple' };
  let registry: TestRegistry;
  let image: PushedImage;

  beforeAll(async () => {
    registry = await startRegistry({ auth: { htpasswd: user } });
    image = await pushImage({ url: registry.url, authorization: basicAuthorization(user.username, user.password) }, 'private/app', '1.0');
  });
  afterAll(() => registry.stop());

  test('resolves with the credentials configured for its host', async () => {
    const client = new OciClient({ insecure: [registry.host], credentials: { [registry.host]: user } });
    expect((await lookup(client, `${registry.host}/private/app:1.0`)).digest).toBe(image.digest);
    // The second lookup sends the credentials up front: no second 401 round trip.
    expect((await lookup(client, `${registry.host}/private/app:1.0`)).digest).toBe(image.digest);
  });

  test('without credentials the reason names the 401 and the missing credentials', async () => {
    const error = await failure(lookup(new OciClient({ insecure: [registry.host] }), `${registry.host}/private/app:1.0`));
    expect(error.code).toBe('unauthorized');
    expect(error.message).toBe(
      `${registry.host} answered 401 Unauthorized for private/app: it needs a username and password, and none are configured for ${registry.host}`,
    );
  });

  test('with a wrong password the reason names the 401 and the refused credentials', async () => {
    const client = new OciClient({ insecure: [registry.host], credentials: { [`http://${registry.host}/`]: { username: 'ci', password: 'wrong' } } });
    const error = await failure(lookup(client, `${registry.host}/private/app:1.0`));
    expect(error.code).toBe('unauthorized');
    expect(error.message).toMatch(/answered 401 Unauthorized for private\/app: it refused the username and password configured for 127\.0\.0\.1:\d+$/);
  });
});

describe('an ECR registry: Basic, with the password ECR issues (the ecr credential helper)', () => {
  // ECR answers 401 with a Basic challenge and takes `AWS` and the password GetAuthorizationToken
  // issued: here a real registry behind that password, and ECR's API replayed (testing/fake-ecr.ts).
  const issued = 'eyJwYXlsb2FkIjoiZWNyLXBhc3N3b3JkIn0';
  let registry: TestRegistry;
  let ecr: FakeEcr;
  let image: PushedImage;
  const ecrHelper = () =>
    new EcrCredentials({
      // The test registry's host stands for an ECR registry of us-west-2.
      regionOf: (host) => (host === registry.host ? { region: 'us-west-2', fips: false } : undefined),
      client: { endpoint: ecr.url, credentials: { accessKeyId: 'AKIDPORTCULLISTEST', secretAccessKey: 'portcullis-test-secret' }, maxAttempts: 1 },
    });

  beforeAll(async () => {
    [registry, ecr] = await Promise.all([startRegistry({ auth: { htpasswd: { username: 'AWS', password: issued } } }), startFakeEcr(issued)]);
    image = await pushImage({ url: registry.url, authorization: basicAuthorization('AWS', issued) }, 'private/app', '1.0');
  });
  afterAll(async () => {
    await registry.stop();
    await ecr.stop();
  });

  test('resolves with the password ECR issued, asked for once for both lookups', async () => {
    const client = new OciClient({ insecure: [registry.host], credentialHelpers: [ecrHelper()] });
    const before = ecr.requests.length;
    expect((await lookup(client, `${registry.host}/private/app:1.0`)).digest).toBe(image.digest);
    expect((await lookup(client, `${registry.host}/private/app:1.0`)).digest).toBe(image.digest);
    expect(ecr.requests.length - before).toBe(1);
  });

  test('credentials configured for the host win over the helper', async () => {
    const client = new OciClient({ insecure: [registry.host], credentials: { [registry.host]: { username: 'AWS', password: 'stale' } }, credentialHelpers: [ecrHelper()] });
    const before = ecr.requests.length;
    const error = await failure(lookup(client, `${registry.host}/private/app:1.0`));
    expect(error.message).toMatch(/it refused the username and password configured for 127\.0\.0\.1:\d+$/);
    expect(ecr.requests.length - before).toBe(0);
  });

  test('a password the registry refuses: the reason names the helper', async () => {
    ecr.answerNext({ password: 'revoked' });
    const error = await failure(lookup(new OciClient({ insecure: [registry.host], credentialHelpers: [ecrHelper()] }), `${registry.host}/private/app:1.0`));
    expect(error.code).toBe('unauthorized');
    expect(error.message).toMatch(/it refused the username and password the ecr credential helper issued for 127\.0\.0\.1:\d+$/);
  });

  test('ECR refusing to issue one: the lookup fails with what ECR said', async () => {
    ecr.answerNext({ error: 'AccessDeniedException', status: 400, message: 'not authorized to perform: ecr:GetAuthorizationToken' });
    const error = await failure(lookup(new OciClient({ insecure: [registry.host], credentialHelpers: [ecrHelper()] }), `${registry.host}/private/app:1.0`));
    expect(error.code).toBe('unauthorized');
    expect(error.message).toContain('issued no token for 127.0.0.1:');
    expect(error.message).toContain('AccessDeniedException (400): not authorized to perform: ecr:GetAuthorizationToken');
  });
});

describe("a Google registry: oauth2accesstoken and the workload's access token (the gar credential helper)", () => {
  // The token comes from the metadata server, as on GKE with Workload Identity (replayed by
  // testing/fake-gce-metadata.ts); here a real registry takes it as the password.
  const token = 'ya29.c.b0AXv0zTPortcullisRegistryTest';
  let registry: TestRegistry;
  let metadata: FakeGceMetadata;
  let image: PushedImage;
  let restoreEnvironment: () => Promise<void>;

  beforeAll(async () => {
    [registry, metadata] = await Promise.all([startRegistry({ auth: { htpasswd: { username: GOOGLE_TOKEN_USERNAME, password: token } } }), startFakeGceMetadata(token)]);
    restoreEnvironment = await googleIdentityAt(metadata.host);
    image = await pushImage({ url: registry.url, authorization: basicAuthorization(GOOGLE_TOKEN_USERNAME, token) }, 'project/repo/app', '1.0');
  });
  afterAll(async () => {
    await restoreEnvironment();
    await registry.stop();
    await metadata.stop();
  });

  test('resolves with the access token, asked for once for both lookups', async () => {
    // The test registry's host stands for one of Google's.
    const client = new OciClient({ insecure: [registry.host], credentialHelpers: [new GoogleCredentials({ handles: (host) => host === registry.host })] });
    const tokens = () => metadata.requests.filter((r) => r.path.endsWith('/token')).length;
    const before = tokens();
    expect((await lookup(client, `${registry.host}/project/repo/app:1.0`)).digest).toBe(image.digest);
    expect((await lookup(client, `${registry.host}/project/repo/app:1.0`)).digest).toBe(image.digest);
    expect(tokens() - before).toBe(1);
  });
});

describe("an Azure registry: 00000000-… and the registry's refresh token for the workload's Entra token (the acr credential helper)", () => {
  // Azure's identity library finds a managed identity (IDENTITY_ENDPOINT); its token is exchanged
  // at the registry's /oauth2/exchange (both replayed by testing/fake-azure.ts); a real registry
  // takes the refresh token as the password.
  const refresh = 'eyJhbGciOiJSUzI1NiJ9.eyJncmFudF90eXBlIjoicmVmcmVzaF90b2tlbiJ9.portcullis';
  let registry: TestRegistry;
  let azure: FakeAzure;
  let image: PushedImage;
  let restoreEnvironment: () => void;

  beforeAll(async () => {
    [registry, azure] = await Promise.all([startRegistry({ auth: { htpasswd: { username: ACR_TOKEN_USERNAME, password: refresh } } }), startFakeAzure('entra-access-token', refresh)]);
    restoreEnvironment = setEnvironment({ IDENTITY_ENDPOINT: `${azure.url}/msi/token`, IDENTITY_HEADER });
    image = await pushImage({ url: registry.url, authorization: basicAuthorization(ACR_TOKEN_USERNAME, refresh) }, 'team/app', '1.0');
  });
  afterAll(async () => {
    restoreEnvironment();
    await registry.stop();
    await azure.stop();
  });

  test('resolves with the refresh token, exchanged once for both lookups', async () => {
    // The test registry's host stands for an ACR registry of Azure's public cloud.
    const acr = new AcrCredentials({
      scopeOf: (host) => (host === registry.host ? 'https://management.azure.com/.default' : undefined),
      exchangeUrl: () => `${azure.url}/oauth2/exchange`,
    });
    const client = new OciClient({ insecure: [registry.host], credentialHelpers: [acr] });
    expect((await lookup(client, `${registry.host}/team/app:1.0`, 15_000)).digest).toBe(image.digest);
    expect((await lookup(client, `${registry.host}/team/app:1.0`)).digest).toBe(image.digest);
    expect(azure.exchanges.map((form) => form.get('service'))).toEqual([registry.host]);
  });
});

describe('a registry with token auth (bearer flow)', () => {
  const user = { username: 'robot', password: 's3cret' };
  let tokens: TokenServer;
  let registry: TestRegistry;
  let image: PushedImage;
  let other: PushedImage;

  const clientWith = (options: Partial<OciClientOptions> = {}): OciClient =>
    new OciClient({ insecure: [registry.host, tokens.realm.replace(/^http:\/\/|\/token$/g, '')], ...options });

  beforeAll(async () => {
    tokens = await startTokenServer({ users: { [user.username]: user.password } });
    registry = await startRegistry({ auth: { token: tokens } });
    const push = (repository: string) => `Bearer ${tokens.issue([{ type: 'repository', name: repository, actions: ['pull', 'push'] }])}`;
    image = await pushImage({ url: registry.url, authorization: push('hub/app') }, 'hub/app', '1.0', { platforms: ['linux/amd64', 'linux/arm64'] });
    other = await pushImage({ url: registry.url, authorization: push('hub/other') }, 'hub/other', '1.0');
  });
  afterAll(async () => {
    await registry.stop();
    await tokens.stop();
  });

  test('an anonymous pull token is fetched from the realm named in the challenge, then cached per repository', async () => {
    const client = clientWith();
    const before = tokens.requests.length;
    expect(await lookup(client, `${registry.host}/hub/app:1.0`)).toMatchObject({ indexDigest: image.digest, platformDigest: image.manifests[0]?.digest });
    expect(tokens.requests.slice(before)).toEqual([{ service: tokens.service, scopes: ['repository:hub/app:pull'], account: undefined, username: undefined }]);
    await lookup(client, `${registry.host}/hub/app:1.0`);
    expect(tokens.requests.length - before).toBe(1);
    // Another repository needs its own token; the host's realm is remembered, so no 401 first.
    expect((await lookup(client, `${registry.host}/hub/other:1.0`)).digest).toBe(other.digest);
    expect(tokens.requests.length - before).toBe(2);
  });

  test('a cached token is used until just before it expires (clock injected)', async () => {
    let now = Date.now();
    const client = clientWith({ now: () => now });
    const before = tokens.requests.length;
    await lookup(client, `${registry.host}/hub/app:1.0`);
    now += 260_000; // expires_in is 300 s
    await lookup(client, `${registry.host}/hub/app:1.0`);
    expect(tokens.requests.length - before).toBe(1);
    now += 20_000; // within the last tenth of its life: fetch a new one
    await lookup(client, `${registry.host}/hub/app:1.0`);
    expect(tokens.requests.length - before).toBe(2);
  });

  test('configured credentials go to the realm as Basic (with the account), not to the registry', async () => {
    const client = clientWith({ credentials: { [registry.host]: user } });
    const before = tokens.requests.length;
    expect((await lookup(client, `${registry.host}/hub/other:1.0`)).digest).toBe(other.digest);
    expect(tokens.requests.slice(before)).toEqual([{ service: tokens.service, scopes: ['repository:hub/other:pull'], account: 'robot', username: 'robot' }]);
  });

  test('a realm that refuses the credentials: the reason names the token server and the 401', async () => {
    const client = clientWith({ credentials: { [registry.host]: { username: 'robot', password: 'nope' } } });
    const error = await failure(lookup(client, `${registry.host}/hub/app:1.0`));
    expect(error.code).toBe('unauthorized');
    expect(error.message).toMatch(/^the token server 127\.0\.0\.1:\d+ for 127\.0\.0\.1:\d+ answered 401 for repository:hub\/app:pull: it refused the username and password configured for 127\.0\.0\.1:\d+: incorrect username or password$/);
  });

  test('an unknown repository is not-found once the token is accepted', async () => {
    const error = await failure(lookup(clientWith(), `${registry.host}/hub/missing:1.0`));
    expect(error.code).toBe('not-found');
    expect(error.message).toBe(`${registry.host}/hub/missing:1.0 was not found (404)`);
  });
});

test('GHCR-shaped token answers (only `token`, no expiry) are accepted and live 60 s', async () => {
  const tokens = await startTokenServer({ shape: 'ghcr' });
  const registry = await startRegistry({ auth: { token: tokens } });
  try {
    const push = `Bearer ${tokens.issue([{ type: 'repository', name: 'org/app', actions: ['pull', 'push'] }])}`;
    const image = await pushImage({ url: registry.url, authorization: push }, 'org/app', 'v1');
    let now = Date.now();
    const client = new OciClient({ insecure: ['127.0.0.1'], now: () => now });
    expect((await lookup(client, `${registry.host}/org/app:v1`)).digest).toBe(image.digest);
    now += 50_000;
    await lookup(client, `${registry.host}/org/app:v1`);
    expect(tokens.requests).toHaveLength(1);
    now += 10_000;
    await lookup(client, `${registry.host}/org/app:v1`);
    expect(tokens.requests).toHaveLength(2);
  } finally {
    await registry.stop();
    await tokens.stop();
  }
});

test('a registry that is down is unreachable at once, naming the refused connection', async () => {
  const host = `127.0.0.1:${await unusedPort()}`;
  const started = performance.now();
  const error = await failure(lookup(new OciClient({ insecure: [host] }), `${host}/app:1`));
  expect(performance.now() - started).toBeLessThan(1_000);
  expect(error.code).toBe('unreachable');
  expect(error.message).toBe(`cannot reach ${host}: ECONNREFUSED`);
});

test('a registry that accepts and never answers times out when the signal says so', async () => {
  const silent = await startSilentServer();
  try {
    const started = performance.now();
    const error = await failure(lookup(new OciClient({ insecure: [silent.host] }), `${silent.host}/app:1`, 200));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error.code).toBe('timeout');
    expect(silent.requests()).toBe(1);
  } finally {
    await silent.stop();
  }
});

async function skopeo(args: string[]): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('skopeo', args, { timeout: 15_000 });
    return stdout;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error("'skopeo' is not installed: install Debian's package skopeo");
    throw error;
  }
}
