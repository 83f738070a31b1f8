// OciClient against replayed Docker Hub wire format (no network): the parts a local registry
// cannot show — Docker Hub's hosts, an https registry, registries that leave headers out.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { parseImageReference } from '../images/reference.js';
import { failure } from './testing/failure.js';
import { MANIFEST_ACCEPT, MEDIA_TYPES, OciClient, type OciClientOptions } from './oci-client.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
}
type Route = (request: Seen) => Response | undefined;

/** A fetch that answers from `routes` (first that answers wins) and records every request. */
function replay(...routes: Route[]): { fetch: typeof fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const fake = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const request = { method: init?.method ?? 'GET', url: String(input), headers };
    seen.push(request);
    for (const route of routes) {
      const response = route(request);
      if (response !== undefined) return Promise.resolve(response);
    }
    return Promise.resolve(new Response('no route', { status: 599 }));
  };
  return { fetch: fake as typeof fetch, seen };
}

const sha = (body: string): string => `sha256:${createHash('sha256').update(body).digest('hex')}`;
const amd64 = JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: {}, layers: [] });
const arm64 = JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { arm: true }, layers: [] });
const index = JSON.stringify({
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.ociIndex,
  manifests: [
    { mediaType: MEDIA_TYPES.ociManifest, digest: sha(amd64), size: amd64.length, platform: { architecture: 'amd64', os: 'linux' } },
    { mediaType: MEDIA_TYPES.ociManifest, digest: sha(arm64), size: arm64.length, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
    { mediaType: MEDIA_TYPES.ociManifest, digest: sha('attestation'), size: 1, platform: { architecture: 'unknown', os: 'unknown' } },
  ],
});

const HUB_CHALLENGE = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"';
const HUB_UNAUTHORIZED = JSON.stringify({
  errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: [{ Type: 'repository', Class: '', Name: 'library/nginx', Action: 'pull' }] }],
});

/** registry-1.docker.io and auth.docker.io as they answer an anonymous or authenticated pull. */
function dockerHub(options: { tokenBody?: object } = {}): Route[] {
  const token = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.hub.token';
  return [
    (request) => {
      if (!request.url.startsWith('https://auth.docker.io/token')) return undefined;
      const body = options.tokenBody ?? { token, access_token: token, expires_in: 300, issued_at: '2026-01-05T10:00:00.000000000Z' };
      return Response.json(body);
    },
    (request) => {
      if (!request.url.startsWith('https://registry-1.docker.io/v2/library/nginx/manifests/')) return undefined;
      if (request.headers.authorization !== `Bearer ${token}`) {
        return new Response(request.method === 'HEAD' ? null : HUB_UNAUTHORIZED, { status: 401, headers: { 'www-authenticate': HUB_CHALLENGE } });
      }
      const reference = request.url.slice(request.url.lastIndexOf('/') + 1);
      const body = reference === sha(amd64) ? amd64 : index;
      const headers = { 'content-type': JSON.parse(body).mediaType as string, 'docker-content-digest': sha(body), 'content-length': String(body.length) };
      return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers });
    },
  ];
}

const lookup = (options: OciClientOptions, reference: string) =>
  new OciClient(options).manifestDigests(parseImageReference(reference), AbortSignal.timeout(2_000));

describe('Docker Hub', () => {
  test('docker.io is reached at registry-1.docker.io over https; the token comes from auth.docker.io; an index is read by digest', async () => {
    const hub = replay(...dockerHub());
    expect(await lookup({ fetch: hub.fetch }, 'nginx:1.27')).toEqual({
      digest: sha(index),
      mediaType: MEDIA_TYPES.ociIndex,
      indexDigest: sha(index),
      platformDigest: sha(amd64),
    });
    expect(hub.seen.map((request) => `${request.method} ${request.url}`)).toEqual([
      'HEAD https://registry-1.docker.io/v2/library/nginx/manifests/1.27',
      'GET https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fnginx%3Apull',
      'HEAD https://registry-1.docker.io/v2/library/nginx/manifests/1.27',
      `GET https://registry-1.docker.io/v2/library/nginx/manifests/${sha(index)}`,
    ]);
    expect(hub.seen[0]?.headers.accept).toBe(MANIFEST_ACCEPT);
    expect(MANIFEST_ACCEPT.split(', ').sort()).toEqual([
      'application/vnd.docker.distribution.manifest.list.v2+json',
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.oci.image.manifest.v1+json',
    ]);
  });

  test('credentials under a Docker config key (https://index.docker.io/v1/) go to the realm as Basic, with the account', async () => {
    const hub = replay(...dockerHub());
    await lookup({ fetch: hub.fetch, credentials: { 'https://index.docker.io/v1/': { username: 'me', password: 'pat' } } }, 'docker.io/library/nginx:1.27');
    const tokenRequest = hub.seen.find((request) => request.url.startsWith('https://auth.docker.io/'));
    expect(tokenRequest?.url).toContain('account=me');
    expect(tokenRequest?.headers.authorization).toBe(`Basic ${Buffer.from('me:pat').toString('base64')}`);
    expect(hub.seen.filter((request) => request.url.startsWith('https://registry-1')).every((request) => !request.headers.authorization?.startsWith('Basic'))).toBe(true);
  });

  test('an OAuth-style answer with only access_token is accepted', async () => {
    const hub = replay(...dockerHub({ tokenBody: { access_token: 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.hub.token', expires_in: 300 } }));
    expect((await lookup({ fetch: hub.fetch }, 'nginx:1.27')).digest).toBe(sha(index));
  });

  test('a token that still gets 401 (a private or missing repository) is unauthorized, with the registry error', async () => {
    const hub = replay((request) =>
      request.url.startsWith('https://auth.docker.io/')
        ? Response.json({ token: 't', expires_in: 300 })
        : new Response(null, { status: 401, headers: { 'www-authenticate': `${HUB_CHALLENGE.replace('nginx', 'nope')},error="insufficient_scope"` } }),
    );
    const error = await failure(lookup({ fetch: hub.fetch }, 'nope:1'));
    expect(error.code).toBe('unauthorized');
    expect(error.message).toBe(
      'docker.io answered 401 Unauthorized for library/nope: the repository does not exist or is private, and no credentials are configured for docker.io (insufficient_scope)',
    );
  });

  test('the pull rate limit (429) is rate-limited', async () => {
    const hub = replay(() =>
      Response.json(
        { errors: [{ code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit' }] },
        { status: 429 },
      ),
    );
    const error = await failure(lookup({ fetch: hub.fetch }, 'nginx:1.27'));
    expect(error.code).toBe('rate-limited');
    expect(error.message).toBe('docker.io answered 429 Too Many Requests for docker.io/library/nginx:1.27');
  });
});

describe('registries that answer differently', () => {
  const manifestAt = (headers: Record<string, string>, body = amd64): Route =>
    (request) => new Response(request.method === 'HEAD' ? null : body, { status: 200, headers });

  test('no Docker-Content-Digest on HEAD: the manifest is read and its digest computed', async () => {
    const registry = replay(manifestAt({ 'content-type': MEDIA_TYPES.ociManifest }));
    expect(await lookup({ fetch: registry.fetch }, 'registry.example/app:1')).toEqual({ digest: sha(amd64), mediaType: MEDIA_TYPES.ociManifest });
    expect(registry.seen.map((request) => request.method)).toEqual(['HEAD', 'GET']);
  });

  test('a HEAD the registry does not allow (405) falls back to GET', async () => {
    const registry = replay(
      (request) => (request.method === 'HEAD' ? new Response(null, { status: 405 }) : undefined),
      manifestAt({ 'content-type': MEDIA_TYPES.dockerManifest, 'docker-content-digest': sha(amd64) }),
    );
    expect((await lookup({ fetch: registry.fetch }, 'registry.example/app:1')).digest).toBe(sha(amd64));
  });

  test('a manifest whose bytes do not match the digest header is refused', async () => {
    const registry = replay(manifestAt({ 'content-type': 'application/json', 'docker-content-digest': sha('something else') }));
    const error = await failure(lookup({ fetch: registry.fetch }, 'registry.example/app:1'));
    expect(error.code).toBe('bad-response');
    expect(error.message).toMatch(/the manifest's bytes do not match its digest/);
  });

  test('a configured token is sent as is', async () => {
    const registry = replay(manifestAt({ 'content-type': MEDIA_TYPES.ociManifest, 'docker-content-digest': sha(amd64) }));
    await lookup({ fetch: registry.fetch, credentials: { 'registry.example': { token: 'abc' } } }, 'registry.example/app:1');
    expect(registry.seen[0]?.headers.authorization).toBe('Bearer abc');
  });

  test('an https registry may not send clients to a token realm over plain http', async () => {
    const registry = replay(() => new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer realm="http://auth.example/token",service="x"' } }));
    const error = await failure(lookup({ fetch: registry.fetch }, 'registry.example/app:1'));
    expect(error.code).toBe('config');
    expect(error.message).toBe('registry.example sent its token realm http://auth.example/token over plain http; add auth.example to the insecure hosts to allow it');
    expect(registry.seen).toHaveLength(1);
  });
});
