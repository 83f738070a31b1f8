// DigestResolver + OciClient against a real registry (Debian's docker-registry), with a
// counting proxy in front of it so the tests see every request the registry gets.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseImageReference } from '../images/reference.js';
import {
  basicAuthorization,
  pushImage,
  startCountingProxy,
  startRegistry,
  startSilentServer,
  unusedPort,
  type CountingProxy,
  type PushedImage,
  type TestRegistry,
} from '../../test/support/registry.js';
import { OciClient } from './oci-client.js';
import { DigestResolver } from './resolver.js';

describe('through a counting proxy in front of docker-registry', () => {
  let registry: TestRegistry;
  let proxy: CountingProxy;
  let multi: PushedImage;

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startCountingProxy(registry.url);
    multi = await pushImage(registry, 'team/multi', '1.0', { platforms: ['linux/amd64', 'linux/arm64'] });
    await pushImage(registry, 'team/app', '1.0');
  });
  afterAll(async () => {
    await proxy.stop();
    await registry.stop();
  });

  const resolverFor = (options: { now?: () => number; ttlMs?: number } = {}) =>
    new DigestResolver({ lookup: new OciClient({ insecure: ['127.0.0.1'] }), ...options });

  test('1,000 concurrent resolves of one tag make one lookup: a HEAD, and a GET of the index', async () => {
    const resolver = resolverFor();
    const before = proxy.requests.length;
    const answers = await Promise.all(Array.from({ length: 1_000 }, () => resolver.resolve(parseImageReference(`${proxy.host}/team/multi:1.0`), { timeoutMs: 10_000 })));
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(answers[0]).toEqual({ status: 'Resolved', digest: multi.digest, indexDigest: multi.digest, platformDigest: multi.manifests[0]?.digest });
    expect(proxy.requests.slice(before).map((request) => `${request.method} ${request.path}`)).toEqual([
      'HEAD /v2/team/multi/manifests/1.0',
      `GET /v2/team/multi/manifests/${multi.digest}`,
    ]);
    expect(resolver.stats()).toMatchObject({ misses: 1, coalesced: 999, failures: 0, inFlight: 0 });
  });

  test('an answer is reused for the TTL, then looked up again and a moved tag is seen (clock injected)', async () => {
    let now = Date.now();
    const resolver = resolverFor({ now: () => now });
    const ref = parseImageReference(`${proxy.host}/team/moving:latest`);
    const first = await pushImage(registry, 'team/moving', 'latest', { revision: '1' });
    const before = proxy.manifestRequests();

    expect(await resolver.resolve(ref)).toEqual({ status: 'Resolved', digest: first.digest });
    const moved = await pushImage(registry, 'team/moving', 'latest', { revision: '2' });
    expect(moved.digest).not.toBe(first.digest);
    now += 5 * 60_000 - 1;
    expect(await resolver.resolve(ref)).toEqual({ status: 'Resolved', digest: first.digest });
    expect(proxy.manifestRequests() - before).toBe(1);

    now += 1; // the default TTL (5 minutes) has passed
    expect(await resolver.resolve(ref)).toEqual({ status: 'Resolved', digest: moved.digest });
    expect(proxy.manifestRequests() - before).toBe(2);
  });

  test('a digest-pinned reference makes no request', async () => {
    const before = proxy.requests.length;
    expect(await resolverFor().resolve(parseImageReference(`${proxy.host}/team/app:1.0@${multi.digest}`))).toEqual({ status: 'Resolved', digest: multi.digest });
    expect(proxy.requests.length).toBe(before);
  });

  test('an unknown tag is Unresolved(not-found), and not cached', async () => {
    const resolver = resolverFor();
    const ref = parseImageReference(`${proxy.host}/team/app:missing`);
    const before = proxy.manifestRequests();
    expect(await resolver.resolve(ref)).toEqual({ status: 'Unresolved', code: 'not-found', reason: `${proxy.host}/team/app:missing was not found (404)` });
    await pushImage(registry, 'team/app', 'missing');
    expect(await resolver.resolve(ref)).toMatchObject({ status: 'Resolved' });
    expect(proxy.manifestRequests() - before).toBe(2);
  });
});

test('a registry that needs a password: resolved with it, Unresolved naming the 401 without it', async () => {
  const user = { username: 'ci', password: 'pw' };
  const registry = await startRegistry({ auth: { htpasswd: user } });
  try {
    const image = await pushImage({ url: registry.url, authorization: basicAuthorization(user.username, user.password) }, 'private/app', '1.0');
    const ref = parseImageReference(`${registry.host}/private/app:1.0`);
    const withPassword = new DigestResolver({ lookup: new OciClient({ insecure: [registry.host], credentials: { [registry.host]: user } }) });
    expect(await withPassword.resolve(ref)).toEqual({ status: 'Resolved', digest: image.digest });
    const anonymous = new DigestResolver({ lookup: new OciClient({ insecure: [registry.host] }) });
    expect(await anonymous.resolve(ref)).toEqual({
      status: 'Unresolved',
      code: 'unauthorized',
      reason: `${registry.host} answered 401 Unauthorized for private/app: it needs a username and password, and none are configured for ${registry.host}`,
    });
  } finally {
    await registry.stop();
  }
});

test('a registry that is down is Unresolved at once, and the next resolve tries again', async () => {
  const host = `127.0.0.1:${await unusedPort()}`;
  const resolver = new DigestResolver({ lookup: new OciClient({ insecure: [host] }) });
  const ref = parseImageReference(`${host}/team/app:1.0`);
  const started = performance.now();
  expect(await resolver.resolve(ref, { timeoutMs: 2_000 })).toEqual({
    status: 'Unresolved',
    code: 'unreachable',
    reason: `${host}/team/app:1.0: cannot reach ${host}: ECONNREFUSED`,
  });
  expect(performance.now() - started).toBeLessThan(1_000);
  await resolver.resolve(ref, { timeoutMs: 2_000 });
  expect(resolver.stats()).toMatchObject({ misses: 2, failures: 2, cached: 0 });
});

test('a registry that never answers: Unresolved within the caller deadline; the failed lookup is not cached', async () => {
  const silent = await startSilentServer();
  try {
    const resolver = new DigestResolver({ lookup: new OciClient({ insecure: [silent.host] }), lookupTimeoutMs: 1_000 });
    const ref = parseImageReference(`${silent.host}/team/app:1.0`);

    const started = performance.now();
    const first = resolver.resolve(ref, { timeoutMs: 150 });
    const joined = resolver.resolve(ref); // waits for the lookup itself
    expect(await first).toMatchObject({ status: 'Unresolved', code: 'deadline' });
    expect(performance.now() - started).toBeLessThan(900); // well before the lookup's own timeout
    expect(await joined).toEqual({ status: 'Unresolved', code: 'timeout', reason: `${silent.host}/team/app:1.0: ${silent.host} did not answer within 1000 ms` });
    expect(silent.requests()).toBe(1);

    expect(await resolver.resolve(ref, { timeoutMs: 150 })).toMatchObject({ status: 'Unresolved', code: 'deadline' });
    expect(silent.requests()).toBe(2);
    expect(resolver.stats()).toMatchObject({ misses: 2, coalesced: 1, abandoned: 2 });
  } finally {
    await silent.stop();
  }
});
