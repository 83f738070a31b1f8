import { describe, expect, test } from 'vitest';
import { parseChallenges } from './challenge.js';

describe('parseChallenges reads WWW-Authenticate as registries send it', () => {
  test.each([
    [
      'Docker Hub',
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } }],
    ],
    [
      'GHCR',
      'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:user/image:pull' } }],
    ],
    [
      'a scope with several actions (a comma inside quotes) and an error',
      'Bearer realm="https://r.example/token",service="r.example",scope="repository:a/b:pull,push",error="insufficient_scope"',
      [{ scheme: 'bearer', params: { realm: 'https://r.example/token', service: 'r.example', scope: 'repository:a/b:pull,push', error: 'insufficient_scope' } }],
    ],
    ['distribution htpasswd', 'Basic realm="portcullis-test"', [{ scheme: 'basic', params: { realm: 'portcullis-test' } }]],
    [
      'two challenges, spaces around separators, unquoted values',
      'Basic realm="a b" , Bearer realm=https://t.example/token, service = svc',
      [
        { scheme: 'basic', params: { realm: 'a b' } },
        { scheme: 'bearer', params: { realm: 'https://t.example/token', service: 'svc' } },
      ],
    ],
    ['an escaped quote', 'Basic realm="say \\"hi\\""', [{ scheme: 'basic', params: { realm: 'say "hi"' } }]],
    ['a scheme alone', 'Negotiate', [{ scheme: 'negotiate', params: {} }]],
    ['nothing', '', []],
  ])('%s', (_name, header, expected) => {
    expect(parseChallenges(header)).toEqual(expected);
  });
});
