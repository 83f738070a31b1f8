// Google's registries (Artifact Registry's `<location>-docker.pkg.dev`, Container Registry's
// `gcr.io` and its regional hosts) take the username `oauth2accesstoken` and an OAuth access
// token as its password, as Docker's gcloud credential helper sends them. The token is the
// webhook's own, from Google's auth library and its Application Default Credentials: GKE Workload
// Identity's metadata server, a service account key file (GOOGLE_APPLICATION_CREDENTIALS), or
// workload identity federation from another cloud. It is fetched once, renewed at nine tenths
// of its lifetime (an hour), and a fetch that fails is not kept.

import type { CredentialHelper } from './credential-helper.js';
import { RegistryError, fromFetchFailure } from './errors.js';
import type { RegistryCredential } from './hosts.js';
import { IssuedCredentials, type FetchOutcome, type Issued } from './issued-credentials.js';

const GOOGLE_HOST = /^(?:(?:[a-z0-9-]+\.)?gcr\.io|[a-z0-9-]+-docker\.pkg\.dev)$/;
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
/** What Google's registries take as the username beside an access token. */
export const GOOGLE_TOKEN_USERNAME = 'oauth2accesstoken';
/** Used when the library does not say when the token expires. */
const DEFAULT_TOKEN_MS = 30 * 60_000;
/** A fetch may take this long, whoever is waiting for it: the metadata server or token endpoint may hang. */
const FETCH_TIMEOUT_MS = 10_000;

/** Whether the host is one of Google's registries. */
export function isGoogleRegistry(host: string): boolean {
  return GOOGLE_HOST.test(host.split(':')[0] ?? '');
}

export interface GoogleCredentialsOptions {
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
  /** Told how each fetch from the cloud ended (a metric). */
  readonly onFetch?: (outcome: FetchOutcome) => void;
  /** Which hosts it issues for; default Google's registries (isGoogleRegistry). */
  readonly handles?: (host: string) => boolean;
}

export class GoogleCredentials implements CredentialHelper {
  readonly name = 'gar';
  private readonly issued: IssuedCredentials;
  private readonly now: () => number;
  private client: Promise<{ getAccessToken(): Promise<{ token?: string | null }>; credentials: { expiry_date?: number | null } }> | undefined;

  constructor(private readonly options: GoogleCredentialsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.issued = new IssuedCredentials(this.now, options.onFetch);
  }

  handles(host: string): boolean {
    return (this.options.handles ?? isGoogleRegistry)(host);
  }

  credential(host: string, signal: AbortSignal): Promise<RegistryCredential> {
    // One identity, one token, for every Google registry.
    return this.issued.get('token', () => this.fetch(host), host, signal);
  }

  private async fetch(host: string): Promise<Issued> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RegistryError('timeout', `Google issued no access token for ${host} within ${FETCH_TIMEOUT_MS / 1000} s`, host)), FETCH_TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.fetchToken(host), timeout]);
    } catch (error) {
      // The library is made again: one that could not find credentials keeps failing otherwise.
      this.client = undefined;
      throw googleFailure(error, host);
    } finally {
      clearTimeout(timer);
    }
  }

  private async fetchToken(host: string): Promise<Issued> {
    this.client ??= import('google-auth-library').then(({ GoogleAuth }) => new GoogleAuth({ scopes: [CLOUD_PLATFORM] }).getClient());
    const client = await this.client;
    const { token } = await client.getAccessToken();
    if (typeof token !== 'string' || token === '') throw new RegistryError('bad-response', `Google issued an empty access token for ${host}`, host);
    const now = this.now();
    const expiry = client.credentials.expiry_date;
    const lifetimeMs = typeof expiry === 'number' ? expiry - now : DEFAULT_TOKEN_MS;
    return { credential: { username: GOOGLE_TOKEN_USERNAME, password: token }, lifetimeMs };
  }
}

/** Why Google issued no token, as a RegistryError the webhook's Unresolved reason and log can show. */
function googleFailure(error: unknown, host: string): RegistryError {
  if (error instanceof RegistryError) return error;
  const what = `Google issued no access token for ${host}`;
  const { message, response } = error as { message?: string; response?: { status?: number; data?: unknown } };
  if (/Could not load the default credentials/i.test(message ?? '')) {
    return new RegistryError('config', `${what}: the webhook has no Google identity (GKE Workload Identity, or GOOGLE_APPLICATION_CREDENTIALS): ${message}`, host, { cause: error });
  }
  const status = response?.status;
  if (status !== undefined) {
    const data = response?.data as { error?: unknown; error_description?: unknown } | undefined;
    const said = [data?.error, data?.error_description].filter((part) => typeof part === 'string' && part !== '').join(': ') || message;
    const code = status === 400 || status === 401 || status === 403 ? 'unauthorized' : status === 429 ? 'rate-limited' : 'bad-response';
    return new RegistryError(code, `${what}: the token endpoint answered ${status}: ${said}`, host, { cause: error });
  }
  const failure = fromFetchFailure(error, 'Google', undefined);
  return new RegistryError(failure.code, `${what}: ${failure.message}`, host, { cause: error });
}
