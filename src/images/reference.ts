// Image references in the Docker grammar (distribution/reference), normalized:
// `nginx` is `docker.io/library/nginx:latest`; digests are kept.

export interface ImageReference {
  /** `docker.io`, `ghcr.io`, `localhost:5000`, … (Docker Hub is always `docker.io`). */
  readonly registry: string;
  /** `library/nginx`, `org/app`. */
  readonly repository: string;
  /** Absent only when the reference names a digest and no tag. */
  readonly tag?: string;
  /** `sha256:…` (or another registered algorithm) when the reference pins one. */
  readonly digest?: string;
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:.]+\](?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;

export class ImageReferenceError extends Error {
  constructor(
    readonly reference: string,
    readonly reason: string,
  ) {
    super(`'${reference}' is not a valid image reference: ${reason}`);
    this.name = 'ImageReferenceError';
  }
}

/** True for a well-formed digest (`sha256:` + 64 lowercase hex, or another algorithm's form). */
export function isDigest(value: string): boolean {
  return value.startsWith('sha256:') ? SHA256.test(value) : DIGEST.test(value);
}

/** Parses and normalizes a reference; throws ImageReferenceError naming what is wrong. */
export function parseImageReference(input: string): ImageReference {
  const text = input.trim();
  if (text === '') throw new ImageReferenceError(input, 'it is empty');

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw new ImageReferenceError(input, `'${digest}' is not a digest (want sha256: and 64 hex digits)`);
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new ImageReferenceError(input, `'${tag}' is not a valid tag`);
  }

  const { registry, path } = splitRegistry(rest);
  if (!DOMAIN.test(registry)) throw new ImageReferenceError(input, `'${registry}' is not a valid registry host`);
  const components = path.split('/');
  for (const component of components) {
    if (!PATH_COMPONENT.test(component)) {
      const why = component === '' ? 'an empty path component' : `'${component}' must be lowercase letters, digits and separators`;
      throw new ImageReferenceError(input, `the repository has ${why}`);
    }
  }
  const repository = registry === DOCKER_HUB && components.length === 1 ? `library/${path}` : path;
  if (registry.length + 1 + repository.length > 255) throw new ImageReferenceError(input, 'the name is longer than 255 characters');

  if (tag === undefined && digest === undefined) tag = 'latest';
  return { registry, repository, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/** Like parseImageReference, but answers undefined instead of throwing. */
export function tryParseImageReference(input: string): ImageReference | undefined {
  try {
    return parseImageReference(input);
  } catch {
    return undefined;
  }
}

function splitRegistry(name: string): { registry: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const isRegistry = slash !== -1 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  if (!isRegistry) return { registry: DOCKER_HUB, path: name };
  const registry = DOCKER_HUB_ALIASES.has(first) ? DOCKER_HUB : first;
  return { registry, path: name.slice(slash + 1) };
}

/** `registry/repository` */
export function repositoryName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The full normalized form: `registry/repository[:tag][@digest]`. */
export function formatImageReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** `registry/repository:tag`, or undefined when the reference has no tag. */
export function taggedName(ref: ImageReference): string | undefined {
  return ref.tag === undefined ? undefined : `${repositoryName(ref)}:${ref.tag}`;
}

/** `registry/repository@digest`, or undefined when the reference has no digest. */
export function digestName(ref: ImageReference): string | undefined {
  return ref.digest === undefined ? undefined : `${repositoryName(ref)}@${ref.digest}`;
}

/** The same reference pinned to a digest (the tag is kept for readers). */
export function withDigest(ref: ImageReference, digest: string): ImageReference {
  return { ...ref, digest };
}
