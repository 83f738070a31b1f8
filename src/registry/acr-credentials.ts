// Azure Container Registry takes the username 00000000-0000-0000-0000-000000000000 and, as its
// password, a refresh token the registry itself issues (POST /oauth2/exchange) for a Microsoft
// Entra access token: here the webhook's own, from Azure's identity library (AKS Workload
// Identity's federated token, else its default chain: a managed identity, AZURE_* variables), as
// `az acr login` and Kubernetes' Azure credential provider do. Refresh tokens are per registry;
// each is fetched once, renewed at nine tenths of its lifetime (its `exp`, about 3 hours), and a
// fetch that fails is not kept.

import type { TokenCredential } from '@azure/identity';
import { access, constants } from 'node:fs/promises';
import { errorDetail } from './auth.js';
import type { CredentialHelper } from './credential-helper.js';
import { RegistryError, fromFetchFailure } from './errors.js';
import type { RegistryCredential } from './hosts.js';
import { IssuedCredentials, type FetchOutcome, type Issued } from './issued-credentials.js';

/** The username ACR takes beside a refresh token. */
export const ACR_TOKEN_USERNAME = '00000000-0000-0000-0000-000000000000';
/** Registries of Azure's public, China and US Government clouds, and the Entra scope of each cloud's Resource Manager, which ACR exchanges. */
const ACR_CLOUDS = [
  { suffix: '.azurecr.io', scope: 'https://management.azure.com/.default' },
  { suffix: '.azurecr.cn', scope: 'https://management.chinacloudapi.cn/.default' },
  { suffix: '.azurecr.us', scope: 'https://management.usgovcloudapi.net/.default' },
] as const;
const REGISTRY_NAME = /^[a-z0-9]{5,50}(?:-[a-z0-9]{6,})?$/;
/** Used when the refresh token says nothing of its expiry. */
const DEFAULT_TOKEN_MS = 60 * 60_000;
const FETCH_TIMEOUT_MS = 10_000;

/** The Entra scope whose access token the registry exchanges; undefined for a host that is not ACR's. */
export function acrScopeOf(host: string): string | undefined {
  const name = host.split(':')[0] ?? '';
  const cloud = ACR_CLOUDS.find(({ suffix }) => name.endsWith(suffix) && REGISTRY_NAME.test(name.slice(0, -suffix.length)));
  return cloud?.scope;
}

export interface AcrCredentialsOptions {
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
  /** Told how each fetch from the cloud ended (a metric). */
  readonly onFetch?: (outcome: FetchOutcome) => void;
  /** The Entra scope for a host, undefined for hosts it does not serve; default acrScopeOf. */
  readonly scopeOf?: (host: string) => string | undefined;
  /** Where the host exchanges tokens; default `https://<host>/oauth2/exchange`. */
  readonly exchangeUrl?: (host: string) => string;
}

export class AcrCredentials implements CredentialHelper {
  readonly name = 'acr';
  private readonly issued: IssuedCredentials;
  private readonly now: () => number;
  private credentialMade: Promise<TokenCredential> | undefined;

  constructor(private readonly options: AcrCredentialsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.issued = new IssuedCredentials(this.now, options.onFetch);
  }

  handles(host: string): boolean {
    return (this.options.scopeOf ?? acrScopeOf)(host) !== undefined;
  }

  credential(host: string, signal: AbortSignal): Promise<RegistryCredential> {
    return this.issued.get(host, () => this.fetch(host), host, signal);
  }

  private async fetch(host: string): Promise<Issued> {
    const scope = (this.options.scopeOf ?? acrScopeOf)(host);
    if (scope === undefined) throw new RegistryError('config', `${host} is not an Azure Container Registry`, host);
    const timeout = AbortSignal.timeout(FETCH_TIMEOUT_MS);
    let accessToken: string;
    try {
      await readableTokenFile();
      this.credentialMade ??= azureIdentity();
      const token = await (await this.credentialMade).getToken(scope, { abortSignal: timeout });
      if (token === null || token.token === '') throw new Error('the credential gave no token');
      accessToken = token.token;
    } catch (error) {
      throw entraFailure(error, host, timeout);
    }
    const refreshToken = await this.exchange(host, accessToken, timeout);
    const now = this.now();
    const expiresAt = expiryOf(refreshToken);
    return { credential: { username: ACR_TOKEN_USERNAME, password: refreshToken }, lifetimeMs: expiresAt === undefined ? DEFAULT_TOKEN_MS : expiresAt - now };
  }

  /** The registry's refresh token for the Entra access token. */
  private async exchange(host: string, accessToken: string, signal: AbortSignal): Promise<string> {
    const url = this.options.exchangeUrl?.(host) ?? `https://${host}/oauth2/exchange`;
    const what = `${host} issued no refresh token`;
    let response: Response;
    let body: string;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'access_token', service: host, access_token: accessToken }).toString(),
        signal,
      });
      body = await response.text();
    } catch (error) {
      const failure = fromFetchFailure(error, host, signal);
      throw new RegistryError(failure.code, `${what}: ${failure.message}`, host, { cause: error });
    }
    if (!response.ok) {
      const code = response.status === 401 || response.status === 403 ? 'unauthorized' : response.status === 429 ? 'rate-limited' : 'bad-response';
      throw new RegistryError(code, `${what}: POST /oauth2/exchange answered ${response.status}${errorDetail(body)}`, host);
    }
    let token: unknown;
    try {
      token = (JSON.parse(body) as { refresh_token?: unknown }).refresh_token;
    } catch {
      // reported below
    }
    if (typeof token !== 'string' || token === '') throw new RegistryError('bad-response', `${what}: POST /oauth2/exchange answered without a refresh_token`, host);
    return token;
  }
}

/**
 * The webhook's Azure identity. In a pod of AKS Workload Identity (its webhook sets
 * AZURE_FEDERATED_TOKEN_FILE), that one alone: were Entra to refuse it, DefaultAzureCredential
 * would go on to other sources and the developer tools (seconds, and processes started), and
 * bury Entra's reason in its list of everything it tried. Without instance discovery, as the
 * library's own AKS path (ManagedIdentityCredential's token exchange) makes it: the authority
 * AKS names is Entra's, and a private cloud's could not be discovered at Microsoft's anyway.
 * Elsewhere the default chain: AZURE_* variables, a managed identity, a developer's `az login`.
 */
async function azureIdentity(): Promise<TokenCredential> {
  const { DefaultAzureCredential, WorkloadIdentityCredential } = await import('@azure/identity');
  return process.env.AZURE_FEDERATED_TOKEN_FILE ? new WorkloadIdentityCredential({ disableInstanceDiscovery: true }) : new DefaultAzureCredential();
}

/**
 * AKS Workload Identity's token file, when the pod is told of one, can be read: Azure's library
 * would report a missing file as Entra refusing the identity. Checked at each fetch (every few
 * hours): the kubelet rewrites the file, and a volume can come late.
 */
async function readableTokenFile(): Promise<void> {
  const file = process.env.AZURE_FEDERATED_TOKEN_FILE;
  if (file) await access(file, constants.R_OK);
}

/** The `exp` of a JWT, in milliseconds; undefined when the token is not one. */
function expiryOf(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Why Entra gave no access token, as a RegistryError the webhook's Unresolved reason and log can show. */
function entraFailure(error: unknown, host: string, timeout: AbortSignal): RegistryError {
  if (error instanceof RegistryError) return error;
  const what = `Microsoft Entra issued no access token for ${host}`;
  const { name, message, path, code } = error as { name?: string; message?: string; path?: unknown; code?: unknown };
  // The federated token file the pod was told of and cannot read (its projected volume missing).
  if (typeof path === 'string' && typeof code === 'string') {
    return new RegistryError('config', `${what}: cannot read AKS Workload Identity's token file ${path} (${code}), named by AZURE_FEDERATED_TOKEN_FILE`, host, { cause: error });
  }
  if (name === 'CredentialUnavailableError' || name === 'AggregateAuthenticationError') {
    return new RegistryError('config', `${what}: the webhook has no Azure identity (AKS Workload Identity, a managed identity, or AZURE_* variables): ${message}`, host, { cause: error });
  }
  // Entra refused the identity (AuthenticationRequiredError is how MSAL's refusals of a client assertion arrive).
  if (name === 'AuthenticationError' || name === 'AuthenticationRequiredError') return new RegistryError('unauthorized', `${what}: ${message}`, host, { cause: error });
  const failure = fromFetchFailure(error, 'Microsoft Entra', timeout);
  return new RegistryError(failure.code, `${what}: ${failure.code === 'unreachable' ? message : failure.message}`, host, { cause: error });
}
