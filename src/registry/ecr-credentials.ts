// Amazon ECR's registries take a username and password that ECR's GetAuthorizationToken issues
// for 12 hours, to whatever AWS identity asks: here the webhook's own, found by the AWS SDK's
// default chain (an IAM role for its service account, EKS Pod Identity, the node's instance
// profile, AWS_* variables), as Kubernetes' own ECR credential provider and Docker's
// amazon-ecr-credential-helper do. One token of a region serves every registry of that region
// the identity may pull from, so it is fetched once per region and renewed at nine tenths of its
// lifetime; a fetch that fails is not kept, so the next lookup tries again.

import type { ECRClientConfig } from '@aws-sdk/client-ecr';
import { readFile } from 'node:fs/promises';
import type { CredentialHelper } from './credential-helper.js';
import { RegistryError, fromFetchFailure } from './errors.js';
import type { RegistryCredential } from './hosts.js';
import { IssuedCredentials, untilAborted, type FetchOutcome, type Issued } from './issued-credentials.js';

/** `<account>.dkr.ecr[-fips].<region>.<partition domain>` and the dual-stack `<account>.dkr-ecr[-fips].<region>.on.aws`, as amazon-ecr-credential-helper reads them. */
const ECR_HOST = /^(\d{12})\.dkr[.-]ecr(-fips)?\.([a-z0-9][a-z0-9-_]*)\.(amazonaws\.com(?:\.cn)?|on\.(?:aws|amazonwebservices\.com\.cn)|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$/;

/** Used when ECR does not say when its token expires (it always has: 12 hours). */
const DEFAULT_TOKEN_MS = 60 * 60_000;
/** What a failure to reach STS or the Pod Identity agent calls it. */
const IDENTITY_ENDPOINT = "AWS's identity endpoint";
/** A fetch of the token may take this long, whoever is waiting for it: the next lookups use it. */
const FETCH_TIMEOUT_MS = 10_000;

export interface EcrRegion {
  readonly region: string;
  readonly fips: boolean;
}

/** The region (and FIPS endpoint) an ECR registry host names; undefined for any other host. */
export function ecrRegionOf(host: string): EcrRegion | undefined {
  const match = ECR_HOST.exec(host.split(':')[0] ?? '');
  return match === null ? undefined : { region: match[3] ?? '', fips: match[2] !== undefined };
}

export interface EcrCredentialsOptions {
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
  /** Told how each fetch from the cloud ended (a metric). */
  readonly onFetch?: (outcome: FetchOutcome) => void;
  /** Which hosts are ECR registries, and of which region; default: by their names (ecrRegionOf). */
  readonly regionOf?: (host: string) => EcrRegion | undefined;
  /** Passed to every region's ECRClient: an `endpoint` (a VPC endpoint, a local one in tests), `credentials`. */
  readonly client?: Omit<ECRClientConfig, 'region' | 'useFipsEndpoint'>;
}

export class EcrCredentials implements CredentialHelper {
  readonly name = 'ecr';
  private readonly issued: IssuedCredentials;
  private readonly now: () => number;
  private readonly regionOf: (host: string) => EcrRegion | undefined;

  constructor(private readonly options: EcrCredentialsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.issued = new IssuedCredentials(this.now, options.onFetch);
    this.regionOf = options.regionOf ?? ecrRegionOf;
  }

  handles(host: string): boolean {
    return this.regionOf(host) !== undefined;
  }

  async credential(host: string, signal: AbortSignal): Promise<RegistryCredential> {
    const region = this.regionOf(host);
    if (region === undefined) throw new RegistryError('config', `${host} is not an Amazon ECR registry`, host);
    return this.issued.get(`${region.region}${region.fips ? '/fips' : ''}`, () => this.fetch(host, region), host, signal);
  }

  private async fetch(host: string, { region, fips }: EcrRegion): Promise<Issued> {
    const timeout = AbortSignal.timeout(FETCH_TIMEOUT_MS);
    let client: { destroy(): void } | undefined;
    try {
      const { ECRClient, GetAuthorizationTokenCommand } = await import('@aws-sdk/client-ecr');
      const ecr = new ECRClient({ ...this.options.client, region, useFipsEndpoint: fips });
      client = ecr;
      // The identity first, on its own: so that STS refusing the pod's role is told apart from
      // ECR refusing the token (the request then reuses what this resolved).
      await identityOf(ecr, host, region, timeout);
      const answer = await ecr.send(new GetAuthorizationTokenCommand({}), { abortSignal: timeout });
      const data = answer.authorizationData?.[0];
      const decoded = Buffer.from(data?.authorizationToken ?? '', 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) throw new RegistryError('bad-response', `Amazon ECR (${region}) answered GetAuthorizationToken without a token for ${host}`, host);
      const now = this.now();
      const lifetimeMs = data?.expiresAt === undefined ? DEFAULT_TOKEN_MS : Math.max(0, data.expiresAt.getTime() - now);
      const credential: RegistryCredential = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
      return { credential, lifetimeMs };
    } catch (error) {
      throw ecrFailure(error, host, region, timeout);
    } finally {
      client?.destroy();
    }
  }
}

/**
 * The webhook's AWS identity as the client's credential chain finds it: static keys, an IAM role
 * for its service account (the projected token exchanged at STS), EKS Pod Identity (the node's
 * agent), the instance profile. Throws a RegistryError that says which step failed.
 */
async function identityOf(ecr: { config: { credentials: () => Promise<unknown> } }, host: string, region: string, timeout: AbortSignal): Promise<void> {
  try {
    await untilAborted(ecr.config.credentials(), timeout, IDENTITY_ENDPOINT);
  } catch (error) {
    const what = `Amazon ECR (${region}) issued no token for ${host}`;
    // None found says so itself; one found but refused (STS, the Pod Identity agent) is named.
    const failure = awsFailure(error, isNoIdentity(error) ? what : `${what}: AWS did not give the webhook its identity`, IDENTITY_ENDPOINT, host, timeout);
    const agentSaid = isNoIdentity(error) ? await podIdentityAgentAnswer(timeout) : undefined;
    throw agentSaid === undefined ? failure : new RegistryError(failure.code, `${failure.message} (the agent answered ${agentSaid})`, host, { cause: error });
  }
}

/** How long the agent is given to say again why it refused; its first answer came within the SDK's 1 s timeout. */
const AGENT_ASK_MS = 1_000;
const AGENT_ANSWER_CHARS = 300;

/**
 * In an EKS Pod Identity pod whose agent gave no credentials, what the agent says when asked
 * once more as the SDK asked it (its URL, the projected token): the SDK keeps only "Server
 * responded with status: 400", and its chain then drops even that. Undefined elsewhere, or when
 * the agent cannot be asked (the chain's message and identitySetUp already say where to look).
 */
async function podIdentityAgentAnswer(signal: AbortSignal): Promise<string | undefined> {
  const { AWS_CONTAINER_CREDENTIALS_FULL_URI: agent, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile, AWS_WEB_IDENTITY_TOKEN_FILE: irsa } = process.env;
  if (!agent || !tokenFile || irsa) return undefined;
  try {
    const token = (await readFile(tokenFile, 'utf8')).trim();
    const response = await fetch(agent, { headers: { authorization: token }, signal: AbortSignal.any([signal, AbortSignal.timeout(AGENT_ASK_MS)]) });
    const body = (await response.text()).trim().replace(/\s+/g, ' ');
    if (response.ok) return undefined;
    return `${response.status}${body === '' ? '' : `: ${body.slice(0, AGENT_ANSWER_CHARS)}`}`;
  } catch {
    return undefined;
  }
}

/**
 * The identity the pod's environment was set up with, when the SDK's chain found none: the
 * chain's own message ("Could not load credentials from any providers") drops each source's
 * reason, so this names where to look.
 */
function identitySetUp(): string | undefined {
  const { AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: role, AWS_CONTAINER_CREDENTIALS_FULL_URI: agent } = process.env;
  if (tokenFile) return `the IAM role for its service account (${role ?? 'AWS_ROLE_ARN unset'}, token ${tokenFile}) gave no credentials`;
  if (agent) return `EKS Pod Identity's agent (${agent}) gave no credentials`;
  return undefined;
}

function isNoIdentity(error: unknown): boolean {
  return (error as { name?: string }).name === 'CredentialsProviderError';
}

/** Why ECR issued no token, as a RegistryError the webhook's Unresolved reason and log can show. */
function ecrFailure(error: unknown, host: string, region: string, timeout: AbortSignal): RegistryError {
  if (error instanceof RegistryError) return error;
  return awsFailure(error, `Amazon ECR (${region}) issued no token for ${host}`, `Amazon ECR (${region})`, host, timeout);
}

/** No AWS identity; an AWS service's error (its name, status and message); or why it could not be reached. */
function awsFailure(error: unknown, what: string, service: string, host: string, timeout: AbortSignal): RegistryError {
  const { name, message, $metadata } = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  if (isNoIdentity(error)) {
    return new RegistryError('config', `${what}: ${identitySetUp() ?? 'the webhook has no AWS identity (an IAM role for its service account, EKS Pod Identity, an instance profile, or AWS_* variables)'}: ${message}`, host, { cause: error });
  }
  const status = $metadata?.httpStatusCode;
  if (status !== undefined) {
    const code = status === 401 || status === 403 || (status === 400 && /denied|unrecognized|token|signature|idp/i.test(name ?? '')) ? 'unauthorized' : status === 429 ? 'rate-limited' : 'bad-response';
    return new RegistryError(code, `${what}: ${name ?? 'error'} (${status}): ${message}`, host, { cause: error });
  }
  const { path, code } = error as { path?: unknown; code?: unknown };
  // A file of the identity the pod cannot read (IRSA's or Pod Identity's token: its volume missing).
  if (typeof path === 'string' && typeof code === 'string') return new RegistryError('config', `${what}: cannot read ${path} (${code})`, host, { cause: error });
  const failure = fromFetchFailure(error, service, timeout);
  return new RegistryError(failure.code, `${what}: ${failure.message}`, host, { cause: error });
}
