import { describe, expect, test } from 'vitest';
import { parsePlatform, selectPlatformManifest, type ManifestDescriptor } from './platform.js';

const digest = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;

// The shape of a buildx-built index: platform images, arm variants, and attestation manifests.
const index: ManifestDescriptor[] = [
  { digest: digest(1), platform: { os: 'linux', architecture: 'amd64' } },
  { digest: digest(2), platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
  { digest: digest(3), platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
  { digest: digest(4), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
  { digest: digest(5), platform: { os: 'windows', architecture: 'amd64' } },
  { digest: digest(6), platform: { os: 'unknown', architecture: 'unknown' } },
  { digest: digest(7) },
];

describe('selectPlatformManifest picks what a node of that platform would run', () => {
  test.each([
    ['linux/amd64', digest(1)],
    ['linux/x86_64', digest(1)],
    ['linux/arm64', digest(4)],
    ['linux/aarch64', digest(4)],
    ['linux/arm64/v8', digest(4)],
    ['linux/arm', digest(3)],
    ['linux/arm/v6', digest(2)],
    ['windows/amd64', digest(5)],
    ['linux/s390x', undefined],
    ['linux/arm/v5', undefined],
  ])('%s → %s', (platform, expected) => {
    expect(selectPlatformManifest(index, parsePlatform(platform))?.digest).toBe(expected);
  });

  test('an arm64 entry without a variant is v8', () => {
    const plain = [{ digest: digest(8), platform: { os: 'linux', architecture: 'arm64' } }];
    expect(selectPlatformManifest(plain, parsePlatform('linux/arm64/v8'))?.digest).toBe(digest(8));
  });

  test('without a wanted variant, the first entry for os/architecture is taken when none has the default', () => {
    const amd64 = [
      { digest: digest(1), platform: { os: 'linux', architecture: 'amd64', variant: 'v3' } },
      { digest: digest(2), platform: { os: 'linux', architecture: 'amd64', variant: 'v2' } },
    ];
    expect(selectPlatformManifest(amd64, parsePlatform('linux/amd64'))?.digest).toBe(digest(1));
  });
});

test.each(['linux', 'linux/', '/amd64', 'linux/arm/v7/x'])('parsePlatform refuses %j', (text) => {
  expect(() => parsePlatform(text)).toThrow(/is not a platform/);
});
