// Where a registry named in an image reference is reached, whether over plain http, and with
// which credentials. Image references say `docker.io`; its API lives at registry-1.docker.io.

import { DOCKER_HUB } from '../images/reference.js';

/** A username and password (sent as Basic, or to a token realm), or a ready bearer token. */
export type RegistryCredential =
  | { readonly username: string; readonly password: string; readonly token?: never }
  | { readonly token: string; readonly username?: never; readonly password?: never };

/**
 * Credentials by registry host as image references name it (`ghcr.io`, `localhost:5000`,
 * `docker.io`). Keys are normalized, so Docker config spellings also work:
 * `https://index.docker.io/v1/`, `registry-1.docker.io` and `index.docker.io` all mean `docker.io`.
 */
export type RegistryCredentials = Readonly<Record<string, RegistryCredential>> | ReadonlyMap<string, RegistryCredential>;

const DOCKER_HUB_API = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB, DOCKER_HUB_API, 'index.docker.io', 'registry.hub.docker.com']);

/** `docker.io` → `registry-1.docker.io`; every other registry is its own API host. */
export function apiHost(registry: string): string {
  return normalizeHost(registry) === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/** Lowercase host[:port], without scheme or path; Docker Hub's aliases become `docker.io`. */
export function normalizeHost(value: string): string {
  const withoutScheme = value.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const host = withoutScheme.split('/')[0]?.toLowerCase() ?? '';
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}

/** The credentials map with normalized keys; a later spelling of the same host wins. */
export function indexCredentials(credentials: RegistryCredentials | undefined): ReadonlyMap<string, RegistryCredential> {
  const entries = credentials === undefined ? [] : credentials instanceof Map ? [...credentials] : Object.entries(credentials);
  return new Map(entries.map(([host, credential]: [string, RegistryCredential]) => [normalizeHost(host), credential]));
}

/**
 * Matches hosts that are reached over plain http. An entry with a port (`localhost:5000`)
 * matches that port only; an entry without one (`127.0.0.1`) matches the host on any port.
 */
export function insecureMatcher(insecure: readonly string[] | undefined): (host: string) => boolean {
  const entries = new Set((insecure ?? []).map(normalizeHost));
  return (host) => {
    const normalized = normalizeHost(host);
    return entries.has(normalized) || entries.has(hostWithoutPort(normalized));
  };
}

function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
