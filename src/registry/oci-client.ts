// OCI distribution API client for one question: which digest does a tag name, and, when that is
// a multi-arch index, which platform manifest in it runs on our platform. A HEAD of the manifest
// answers most lookups in one request (and does not count against Docker Hub's pull limit); the
// manifest is only read when it is an index or the registry leaves Docker-Content-Digest out.

import { createHash } from 'node:crypto';
import { isDigest, type ImageReference } from '../images/reference.js';
import { RegistryAuth, errorDetail } from './auth.js';
import { RegistryError, fromFetchFailure } from './errors.js';
import type { CredentialHelper } from './credential-helper.js';
import { apiHost, indexCredentials, insecureMatcher, type RegistryCredentials } from './hosts.js';
import { DEFAULT_PLATFORM, parsePlatform, selectPlatformManifest, type ManifestDescriptor, type Platform } from './platform.js';

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

/** Indexes first: a registry that cannot offer one answers with the platform manifest instead. */
export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest].join(', ');

const INDEX_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList]);
const IMAGE_MANIFEST_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);
/** The distribution spec's limit on a manifest's size. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Indexes of indexes exist (rarely); this bounds following them. */
const MAX_INDEX_DEPTH = 3;

export interface OciClientOptions {
  /** By registry host as references name it (`docker.io`, `ghcr.io`, `localhost:5000`). */
  readonly credentials?: RegistryCredentials;
  /** Issue credentials for hosts without configured ones (ECR's, from the webhook's AWS identity). */
  readonly credentialHelpers?: readonly CredentialHelper[];
  /** Hosts reached over plain http (`localhost:5000`; without a port: any port of that host). */
  readonly insecure?: readonly string[];
  /** The platform whose manifest an index is followed to: `linux/arm64/v8` or a Platform. Default linux/amd64. */
  readonly platform?: Platform | string;
  /** Milliseconds since the epoch; used for token lifetimes. */
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
  readonly userAgent?: string;
}

/** What a tag (or digest) names in the registry. */
export interface ManifestDigests {
  /** The digest the reference names: the index itself for a multi-arch image. */
  readonly digest: string;
  readonly mediaType: string;
  /** Set when `digest` is an OCI index or Docker manifest list (and then equal to it). */
  readonly indexDigest?: string;
  /** The index's manifest for the client's platform; absent when the index has none for it. */
  readonly platformDigest?: string;
}

/** The registry lookup the resolver needs; OciClient is the real one. */
export interface ManifestLookup {
  manifestDigests(ref: ImageReference, signal: AbortSignal): Promise<ManifestDigests>;
}

export class OciClient implements ManifestLookup {
  readonly platform: Platform;
  private readonly auth: RegistryAuth;
  private readonly fetch: typeof fetch;
  private readonly isInsecure: (host: string) => boolean;
  private readonly userAgent: string;

  constructor(options: OciClientOptions = {}) {
    this.platform = typeof options.platform === 'string' ? parsePlatform(options.platform) : (options.platform ?? DEFAULT_PLATFORM);
    this.fetch = options.fetch ?? globalThis.fetch;
    this.isInsecure = insecureMatcher(options.insecure);
    this.userAgent = options.userAgent ?? 'portcullis';
    this.auth = new RegistryAuth({
      credentials: indexCredentials(options.credentials),
      ...(options.credentialHelpers && { helpers: options.credentialHelpers }),
      isInsecure: this.isInsecure,
      now: options.now ?? Date.now,
      fetch: this.fetch,
      userAgent: this.userAgent,
    });
  }

  /** Throws RegistryError; `signal` bounds the whole lookup (all of its requests). */
  async manifestDigests(ref: ImageReference, signal: AbortSignal): Promise<ManifestDigests> {
    const reference = ref.digest ?? ref.tag;
    if (reference === undefined) throw new RegistryError('config', `${ref.registry}/${ref.repository} names neither a tag nor a digest`, ref.registry);

    const head = await this.send('HEAD', ref, reference, signal);
    await discard(head);
    if (head.status === 405 || head.status === 501) return this.readManifest(ref, reference, undefined, signal);
    this.check(head, ref, reference, '');
    const digest = head.headers.get('docker-content-digest') ?? undefined;
    const mediaType = mediaTypeOf(head.headers.get('content-type'));
    const knownDigest = digest !== undefined && isDigest(digest) ? digest : undefined;
    if (knownDigest !== undefined && IMAGE_MANIFEST_TYPES.has(mediaType)) return { digest: knownDigest, mediaType };
    // An index (to follow), a content type we cannot trust, or no digest: read the manifest.
    // By digest when we have one, so the index read is the one the HEAD named.
    return this.readManifest(ref, knownDigest ?? reference, knownDigest, signal);
  }

  private async readManifest(ref: ImageReference, reference: string, expected: string | undefined, signal: AbortSignal): Promise<ManifestDigests> {
    const top = await this.getManifest(ref, reference, expected, signal);
    if (!top.isIndex) return { digest: top.digest, mediaType: top.mediaType };

    let index = top;
    for (let depth = 1; ; depth++) {
      const chosen = selectPlatformManifest(index.manifests, this.platform);
      if (chosen === undefined) return { digest: top.digest, mediaType: top.mediaType, indexDigest: top.digest };
      if (chosen.mediaType === undefined || !INDEX_TYPES.has(chosen.mediaType)) {
        return { digest: top.digest, mediaType: top.mediaType, indexDigest: top.digest, platformDigest: chosen.digest };
      }
      if (depth >= MAX_INDEX_DEPTH) {
        throw new RegistryError('bad-response', `${describe(ref, reference)}: indexes nest deeper than ${MAX_INDEX_DEPTH} levels`, ref.registry);
      }
      index = await this.getManifest(ref, chosen.digest, chosen.digest, signal);
    }
  }

  private async getManifest(ref: ImageReference, reference: string, expected: string | undefined, signal: AbortSignal): Promise<ParsedManifest> {
    const response = await this.send('GET', ref, reference, signal);
    const body = await readBody(response, ref.registry, signal);
    this.check(response, ref, reference, body.toString('utf8'));

    const header = response.headers.get('docker-content-digest') ?? undefined;
    const digest = expected ?? (header !== undefined && isDigest(header) ? header : `sha256:${hash('sha256', body)}`);
    const algorithm = digest.slice(0, digest.indexOf(':'));
    if (['sha256', 'sha384', 'sha512'].includes(algorithm) && digest !== `${algorithm}:${hash(algorithm, body)}`) {
      throw new RegistryError('bad-response', `${describe(ref, reference)}: the manifest's bytes do not match its digest ${digest}`, ref.registry);
    }
    return parseManifest(body, mediaTypeOf(response.headers.get('content-type')), digest, describe(ref, reference), ref.registry);
  }

  /** One request, answering a 401 challenge once (Basic, or a bearer token from the realm). */
  private async send(method: 'HEAD' | 'GET', ref: ImageReference, reference: string, signal: AbortSignal): Promise<Response> {
    const host = apiHost(ref.registry);
    const scheme = this.isInsecure(ref.registry) || this.isInsecure(host) ? 'http' : 'https';
    const url = `${scheme}://${host}/v2/${ref.repository}/manifests/${reference}`;

    let authorization = await this.auth.initialAuthorization(ref.registry, ref.repository, signal);
    let response = await this.fetchOnce(method, url, ref.registry, authorization, signal);
    if (response.status !== 401) return response;
    await discard(response);
    authorization = await this.auth.answerChallenge(ref.registry, ref.repository, response.headers.get('www-authenticate'), authorization, signal);
    response = await this.fetchOnce(method, url, ref.registry, authorization, signal);
    if (response.status !== 401) return response;
    await discard(response);
    throw this.auth.refusedAgain(ref.registry, ref.repository, authorization, response.headers.get('www-authenticate'));
  }

  private async fetchOnce(method: string, url: string, registry: string, authorization: string | undefined, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { Accept: MANIFEST_ACCEPT, 'User-Agent': this.userAgent };
    if (authorization !== undefined) headers.Authorization = authorization;
    try {
      return await this.fetch(url, { method, headers, signal });
    } catch (error) {
      throw fromFetchFailure(error, registry, signal);
    }
  }

  /** Throws for anything but 200, naming the status (and the registry's message when there is a body). */
  private check(response: Response, ref: ImageReference, reference: string, body: string): void {
    if (response.status === 200) return;
    const what = describe(ref, reference);
    const detail = errorDetail(body);
    switch (response.status) {
      case 404:
        throw new RegistryError('not-found', `${what} was not found (404)${detail}`, ref.registry);
      case 403:
        throw new RegistryError('denied', `${ref.registry} answered 403 Forbidden for ${what}${detail}`, ref.registry);
      case 429:
        throw new RegistryError('rate-limited', `${ref.registry} answered 429 Too Many Requests for ${what}${detail}`, ref.registry);
      default:
        throw new RegistryError('bad-response', `${ref.registry} answered ${response.status} for ${what}${detail}`, ref.registry);
    }
  }
}

interface ParsedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly isIndex: boolean;
  readonly manifests: readonly ManifestDescriptor[];
}

function parseManifest(body: Buffer, contentType: string, digest: string, what: string, registry: string): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new RegistryError('bad-response', `${what}: the manifest is not JSON`, registry);
  }
  if (typeof json !== 'object' || json === null) throw new RegistryError('bad-response', `${what}: the manifest is not a JSON object`, registry);
  const document = json as { mediaType?: unknown; manifests?: unknown };
  const declared = typeof document.mediaType === 'string' ? document.mediaType : undefined;
  const mediaType = INDEX_TYPES.has(contentType) || IMAGE_MANIFEST_TYPES.has(contentType) ? contentType : (declared ?? contentType);
  const isIndex = INDEX_TYPES.has(mediaType) || (declared === undefined && Array.isArray(document.manifests));
  if (!isIndex) return { digest, mediaType, isIndex, manifests: [] };
  if (!Array.isArray(document.manifests)) throw new RegistryError('bad-response', `${what}: the index has no manifests list`, registry);
  const manifests = document.manifests.filter(
    (entry: unknown): entry is ManifestDescriptor =>
      typeof entry === 'object' && entry !== null && 'digest' in entry && typeof entry.digest === 'string' && isDigest(entry.digest),
  );
  return { digest, mediaType: INDEX_TYPES.has(mediaType) ? mediaType : MEDIA_TYPES.ociIndex, isIndex, manifests };
}

function describe(ref: ImageReference, reference: string): string {
  return `${ref.registry}/${ref.repository}${isDigest(reference) ? '@' : ':'}${reference}`;
}

function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function hash(algorithm: string, body: Buffer): string {
  return createHash(algorithm).update(body).digest('hex');
}

/** Frees the connection of a response whose body we do not read. */
async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

async function readBody(response: Response, registry: string, signal: AbortSignal): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_MANIFEST_BYTES) {
    await discard(response);
    throw new RegistryError('bad-response', `${registry} sent a manifest of ${declared} bytes, more than the ${MAX_MANIFEST_BYTES} a manifest may have`, registry);
  }
  if (response.body === null) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_MANIFEST_BYTES) {
        await reader.cancel();
        throw new RegistryError('bad-response', `${registry} sent a manifest of more than ${MAX_MANIFEST_BYTES} bytes`, registry);
      }
      chunks.push(value);
    }
  } catch (error) {
    throw fromFetchFailure(error, registry, signal);
  }
  return Buffer.concat(chunks);
}
