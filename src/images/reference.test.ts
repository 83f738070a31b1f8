import { describe, expect, test } from 'vitest';
import { formatImageReference, parseImageReference } from './reference.js';

const sha = `sha256:${'a'.repeat(64)}`;

describe('parseImageReference normalizes the Docker grammar', () => {
  test.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.25', 'docker.io/library/nginx:1.25'],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/library/nginx:1', 'docker.io/library/nginx:1'],
    ['ghcr.io/org/app:v1.2.3', 'ghcr.io/org/app:v1.2.3'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/team/app:dev', 'localhost:5000/team/app:dev'],
    ['registry.example.com:443/a/b/c', 'registry.example.com:443/a/b/c:latest'],
    [`nginx@${sha}`, `docker.io/library/nginx@${sha}`],
    [`nginx:1.25@${sha}`, `docker.io/library/nginx:1.25@${sha}`],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1', '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1'],
  ])('%s is %s', (input, expected) => {
    expect(formatImageReference(parseImageReference(input))).toBe(expected);
  });

  test('a digest-only reference has no tag', () => {
    expect(parseImageReference(`alpine@${sha}`)).toEqual({ registry: 'docker.io', repository: 'library/alpine', digest: sha });
  });

  test.each([
    ['', 'empty'],
    ['Nginx', 'lowercase'],
    ['nginx:', 'not a valid tag'],
    ['nginx@sha256:abc', 'not a digest'],
    ['ghcr.io//app', 'empty path component'],
    ['nginx:bad tag', 'not a valid tag'],
  ])('%j is rejected naming the problem', (input, reason) => {
    expect(() => parseImageReference(input)).toThrow(reason);
  });
});
