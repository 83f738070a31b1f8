// Registry authentication as Docker clients do it: try anonymously, learn the scheme from the
// 401 challenge, then send Basic credentials or fetch a bearer token from the challenge's realm
// (with Basic credentials when configured). What a host asked for is remembered, and tokens are
// cached per repository until shortly before they expire, so a warm lookup is one request.
// Credentials are those configured for the host, else those a cloud's credential helper issues
// for it (ECR's, Google's, ACR's), asked for only once the registry wants them.

import { parseChallenges, type Challenge } from './challenge.js';
import type { CredentialHelper } from './credential-helper.js';
import { RegistryError, fromFetchFailure } from './errors.js';
import { normalizeHost, type RegistryCredential } from './hosts.js';

export interface RegistryAuthOptions {
  /** Normalized by host (see indexCredentials). */
  readonly credentials: ReadonlyMap<string, RegistryCredential>;
  /** For hosts without configured credentials: the first that handles the host issues them. */
  readonly helpers?: readonly CredentialHelper[];
  /** Hosts a token realm may be reached on over plain http. */
  readonly isInsecure: (host: string) => boolean;
  readonly now: () => number;
  readonly fetch: typeof fetch;
  readonly userAgent: string;
}

type HostScheme = { readonly scheme: 'basic' } | { readonly scheme: 'bearer'; readonly realm: string; readonly service?: string };

interface CachedToken {
  readonly value: string;
  /** When to stop using it (a little before the server says it expires). */
  readonly refreshAt: number;
}

/** The spec's default lifetime when a token server leaves `expires_in` out (GHCR does). */
const DEFAULT_TOKEN_SECONDS = 60;
const MAX_CACHED_TOKENS = 1_000;

export class RegistryAuth {
  private readonly schemes = new Map<string, HostScheme>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pendingTokens = new Map<string, Promise<string>>();

  constructor(private readonly options: RegistryAuthOptions) {}

  /** The Authorization header to send up front, from what earlier challenges of `registry` taught. */
  async initialAuthorization(registry: string, repository: string, signal: AbortSignal): Promise<string | undefined> {
    const configured = this.configuredFor(registry);
    if (configured?.token !== undefined) return `Bearer ${configured.token}`;
    const known = this.schemes.get(normalizeHost(registry));
    if (known === undefined) return undefined;
    if (known.scheme === 'basic') {
      const credential = await this.credentialFor(registry, signal);
      return credential === undefined ? undefined : basic(credential);
    }
    return `Bearer ${await this.token(registry, repository, known, undefined, signal)}`;
  }

  /**
   * The Authorization header to retry with after a 401 that carried `challengeHeader`, having
   * sent `sent`. Throws an `unauthorized` RegistryError when there is nothing (else) to try.
   */
  async answerChallenge(
    registry: string,
    repository: string,
    challengeHeader: string | null,
    sent: string | undefined,
    signal: AbortSignal,
  ): Promise<string> {
    const host = normalizeHost(registry);
    const challenges = parseChallenges(challengeHeader ?? '');
    const bearer = challenges.find((challenge) => challenge.scheme === 'bearer' && challenge.params.realm);
    const refused = `${registry} answered 401 Unauthorized for ${repository}`;

    if (this.configuredFor(registry)?.token !== undefined) {
      throw new RegistryError('unauthorized', `${refused}: it refused the token configured for ${host}`, registry);
    }
    if (bearer?.params.realm !== undefined) {
      const scheme: HostScheme = { scheme: 'bearer', realm: bearer.params.realm, ...(bearer.params.service !== undefined && { service: bearer.params.service }) };
      this.schemes.set(host, scheme);
      const key = tokenKey(registry, repository);
      const cached = this.tokens.get(key);
      if (cached !== undefined && sent === `Bearer ${cached.value}`) this.tokens.delete(key);
      return `Bearer ${await this.token(registry, repository, scheme, bearer, signal)}`;
    }
    if (challenges.some((challenge) => challenge.scheme === 'basic')) {
      this.schemes.set(host, { scheme: 'basic' });
      const credential = await this.credentialFor(registry, signal);
      if (credential === undefined) {
        throw new RegistryError('unauthorized', `${refused}: it needs a username and password, and none are configured for ${host}`, registry);
      }
      const header = basic(credential);
      if (sent === header) {
        throw new RegistryError('unauthorized', `${refused}: it refused the username and password ${this.whose(host)}`, registry);
      }
      return header;
    }
    const shown = challengeHeader === null ? 'no WWW-Authenticate challenge' : `an unsupported challenge '${challengeHeader}'`;
    throw new RegistryError('unauthorized', `${refused} with ${shown}`, registry);
  }

  /** Says why a request that already carried `sent` got a 401 again (the retry budget is spent). */
  refusedAgain(registry: string, repository: string, sent: string, challengeHeader: string | null): RegistryError {
    const host = normalizeHost(registry);
    const detail = challengeHeader === null ? undefined : parseChallenges(challengeHeader).find((challenge) => challenge.params.error)?.params.error;
    const what = sent.startsWith('Basic ')
      ? `it refused the username and password ${this.whose(host)}`
      : this.configuredFor(registry) === undefined && this.helperFor(host) === undefined
        ? `the repository does not exist or is private, and no credentials are configured for ${host}`
        : `the repository does not exist or the credentials ${this.whose(host)} cannot pull it`;
    return new RegistryError(
      'unauthorized',
      `${registry} answered 401 Unauthorized for ${repository}: ${what}${detail === undefined ? '' : ` (${detail})`}`,
      registry,
    );
  }

  /** The credentials configured for the registry (a Docker config file), if any. */
  private configuredFor(registry: string): RegistryCredential | undefined {
    return this.options.credentials.get(normalizeHost(registry));
  }

  private helperFor(host: string): CredentialHelper | undefined {
    return this.options.helpers?.find((helper) => helper.handles(host));
  }

  /** Those configured, else those a credential helper issues (fetched now, or kept from before). */
  private async credentialFor(registry: string, signal: AbortSignal): Promise<RegistryCredential | undefined> {
    const configured = this.configuredFor(registry);
    if (configured !== undefined) return configured;
    const host = normalizeHost(registry);
    return this.helperFor(host)?.credential(host, signal);
  }

  /** Where the host's credentials come from, for messages: `configured for ghcr.io`. */
  private whose(host: string): string {
    const helper = this.configuredFor(host) === undefined ? this.helperFor(host) : undefined;
    return helper === undefined ? `configured for ${host}` : `the ${helper.name} credential helper issued for ${host}`;
  }

  /** A pull token for `repository`, from the cache or the realm; concurrent askers share one fetch. */
  private token(registry: string, repository: string, scheme: HostScheme & { scheme: 'bearer' }, challenge: Challenge | undefined, signal: AbortSignal): Promise<string> {
    const key = tokenKey(registry, repository);
    const cached = this.tokens.get(key);
    if (cached !== undefined && cached.refreshAt > this.options.now()) return Promise.resolve(cached.value);
    const pending = this.pendingTokens.get(key);
    if (pending !== undefined) return pending;
    const scope = challenge?.params.scope ?? `repository:${repository}:pull`;
    const fetching = this.fetchToken(registry, scheme, scope, signal)
      .then((token) => {
        this.remember(key, token);
        return token.value;
      })
      .finally(() => this.pendingTokens.delete(key));
    this.pendingTokens.set(key, fetching);
    return fetching;
  }

  private remember(key: string, token: CachedToken): void {
    this.tokens.delete(key);
    this.tokens.set(key, token);
    for (const oldest of this.tokens.keys()) {
      if (this.tokens.size <= MAX_CACHED_TOKENS) break;
      this.tokens.delete(oldest);
    }
  }

  private async fetchToken(registry: string, scheme: HostScheme & { scheme: 'bearer' }, scope: string, signal: AbortSignal): Promise<CachedToken> {
    const host = normalizeHost(registry);
    const realm = parseRealm(scheme.realm, registry);
    if (realm.protocol === 'http:' && !this.options.isInsecure(realm.host) && !this.options.isInsecure(registry)) {
      throw new RegistryError('config', `${registry} sent its token realm ${scheme.realm} over plain http; add ${realm.host} to the insecure hosts to allow it`, registry);
    }
    const credential = await this.credentialFor(registry, signal);
    if (scheme.service !== undefined) realm.searchParams.set('service', scheme.service);
    realm.searchParams.set('scope', scope);
    if (credential?.username !== undefined) realm.searchParams.set('account', credential.username);

    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': this.options.userAgent };
    if (credential?.username !== undefined) headers.Authorization = basic(credential);
    let response: Response;
    try {
      response = await this.options.fetch(realm, { headers, signal });
    } catch (error) {
      throw fromFetchFailure(error, realm.host, signal);
    }
    const body = await response.text().catch((error: unknown) => {
      throw fromFetchFailure(error, realm.host, signal);
    });
    if (response.status === 401 || response.status === 403) {
      const why = credential === undefined ? `it needs credentials, and none are configured for ${host}` : `it refused the username and password ${this.whose(host)}`;
      throw new RegistryError('unauthorized', `the token server ${realm.host} for ${registry} answered ${response.status} for ${scope}: ${why}${errorDetail(body)}`, realm.host);
    }
    if (!response.ok) {
      throw new RegistryError('bad-response', `the token server ${realm.host} for ${registry} answered ${response.status}${errorDetail(body)}`, realm.host);
    }
    const token = tokenFrom(body);
    if (token === undefined) {
      throw new RegistryError('bad-response', `the token server ${realm.host} for ${registry} answered without a token`, realm.host);
    }
    const lifetimeMs = token.expiresIn * 1_000;
    return { value: token.value, refreshAt: this.options.now() + lifetimeMs * 0.9 };
  }
}

function tokenKey(registry: string, repository: string): string {
  return `${normalizeHost(registry)}/${repository}`;
}

function basic(credential: RegistryCredential): string {
  return `Basic ${Buffer.from(`${credential.username ?? ''}:${credential.password ?? ''}`).toString('base64')}`;
}

function parseRealm(realm: string, registry: string): URL {
  try {
    const url = new URL(realm);
    if (url.protocol === 'https:' || url.protocol === 'http:') return url;
  } catch {
    // reported below
  }
  throw new RegistryError('bad-response', `${registry} named a token realm that is not an http(s) URL: '${realm}'`, registry);
}

/** `token` (Docker Hub, GHCR, distribution) or `access_token` (OAuth 2 servers), and its lifetime. */
function tokenFrom(body: string): { value: string; expiresIn: number } | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const record = json as Record<string, unknown>;
  const value = [record.token, record.access_token].find((candidate): candidate is string => typeof candidate === 'string' && candidate !== '');
  if (value === undefined) return undefined;
  const expiresIn = typeof record.expires_in === 'number' && record.expires_in > 0 ? record.expires_in : DEFAULT_TOKEN_SECONDS;
  return { value, expiresIn };
}

/** `: <message>` from a distribution-style `{"errors":[{"message":…}]}` or an OAuth `error_description`. */
export function errorDetail(body: string): string {
  try {
    const json = JSON.parse(body) as { errors?: { code?: unknown; message?: unknown }[]; error_description?: unknown; details?: unknown };
    const first = json.errors?.[0];
    const message = first?.message ?? json.error_description ?? json.details;
    if (typeof message === 'string' && message !== '') return `: ${message}`;
  } catch {
    // not JSON
  }
  const text = body.trim().replace(/\s+/g, ' ');
  return text === '' ? '' : `: ${text.slice(0, 200)}`;
}
