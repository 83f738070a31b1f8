// Platforms (`linux/amd64`, `linux/arm64/v8`) and the choice of a platform manifest from a
// multi-arch index, matching the way containerd picks one for a node.

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** What an OCI index / Docker manifest list entry carries. */
export interface ManifestDescriptor {
  readonly mediaType?: string;
  readonly digest: string;
  readonly size?: number;
  readonly platform?: { readonly os?: string; readonly architecture?: string; readonly variant?: string };
}

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

const ARCHITECTURE_ALIASES: Readonly<Record<string, string>> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', i386: '386' };

/** Parses `os/arch[/variant]`; throws on anything else. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  const [os, architecture, variant] = parts;
  if (parts.length < 2 || parts.length > 3 || !os || !architecture || variant === '') {
    throw new Error(`'${text}' is not a platform: want os/architecture[/variant], e.g. linux/amd64 or linux/arm64/v8`);
  }
  return normalizePlatform({ os, architecture, ...(variant !== undefined && { variant }) });
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/**
 * The manifest of `manifests` that runs on `wanted`. An unset variant prefers the architecture's
 * default (v8 for arm64, v7 for arm) and otherwise takes the first entry for os/architecture.
 * Entries without a platform and attestation manifests (`unknown/unknown`) never match.
 */
export function selectPlatformManifest(manifests: readonly ManifestDescriptor[], wanted: Platform): ManifestDescriptor | undefined {
  const want = normalizePlatform(wanted);
  const candidates = manifests.filter((manifest) => {
    const platform = manifest.platform;
    if (platform?.os === undefined || platform.architecture === undefined) return false;
    const have = normalizePlatform({ os: platform.os, architecture: platform.architecture, ...(platform.variant && { variant: platform.variant }) });
    return have.os === want.os && have.architecture === want.architecture;
  });
  const variantOf = (manifest: ManifestDescriptor): string | undefined =>
    normalizeVariant(want.architecture, manifest.platform?.variant?.toLowerCase());
  const exact = candidates.find((manifest) => variantOf(manifest) === want.variant);
  const explicit = wanted.variant !== undefined && wanted.variant !== '';
  return explicit ? exact : (exact ?? candidates[0]);
}

function normalizePlatform(platform: Platform): Platform {
  const os = platform.os.toLowerCase();
  const lower = platform.architecture.toLowerCase();
  const architecture = ARCHITECTURE_ALIASES[lower] ?? lower;
  const variant = normalizeVariant(architecture, platform.variant?.toLowerCase());
  return { os, architecture, ...(variant !== undefined && { variant }) };
}

/** arm64 without a variant is v8; arm without one is v7 (what containerd assumes). */
function normalizeVariant(architecture: string, variant: string | undefined): string | undefined {
  if (variant === undefined || variant === '') return defaultVariant(architecture);
  if (architecture === 'arm64' && (variant === '8' || variant === 'v8')) return 'v8';
  if (architecture === 'arm' && /^\d$/.test(variant)) return `v${variant}`;
  return variant;
}

function defaultVariant(architecture: string): string | undefined {
  if (architecture === 'arm64') return 'v8';
  if (architecture === 'arm') return 'v7';
  return undefined;
}
