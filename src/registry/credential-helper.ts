// Credentials a cloud registry issues for a while (ECR's last 12 hours), fetched from the cloud's
// own API with the identity the webhook runs as (an IAM role for its service account, a pod
// identity), instead of a password written into a Docker config file that would expire.

import { AcrCredentials } from './acr-credentials.js';
import { EcrCredentials } from './ecr-credentials.js';
import { fromFetchFailure } from './errors.js';
import { GoogleCredentials } from './google-credentials.js';
import type { RegistryCredential } from './hosts.js';

export interface CredentialHelper {
  /** What `--registry-credential-helpers` calls it (`ecr`). */
  readonly name: string;
  /** Whether it issues credentials for this registry host (normalized: lowercase host[:port]). */
  handles(host: string): boolean;
  /**
   * Credentials for the host, cached until shortly before they expire, one fetch however many
   * lookups ask at once. Throws a RegistryError saying why none could be had.
   */
  credential(host: string, signal: AbortSignal): Promise<RegistryCredential>;
}

export const CREDENTIAL_HELPERS = ['ecr', 'gar', 'acr'] as const;
export type CredentialHelperName = (typeof CREDENTIAL_HELPERS)[number];

/** The helper a name stands for, with the cloud's default configuration (its SDK finds the identity and the endpoint). */
export function credentialHelper(name: CredentialHelperName): CredentialHelper {
  switch (name) {
    case 'ecr':
      return new EcrCredentials();
    case 'gar':
      return new GoogleCredentials();
    case 'acr':
      return new AcrCredentials();
  }
}

/** Credentials a cloud issued, and when to ask for new ones. */
export interface Issued {
  readonly credential: RegistryCredential;
  /** Milliseconds since the epoch: at nine tenths of its lifetime. */
  readonly refreshAt: number;
}

/** When to ask again for credentials issued now for `lifetimeMs`. */
export function refreshAt(now: number, lifetimeMs: number): number {
  return now + Math.max(0, lifetimeMs) * 0.9;
}

/**
 * Issued credentials by key (a region, an identity), each fetched once however many lookups ask
 * at once, kept until their refreshAt; a fetch that fails is not kept. A fetch goes on when the
 * lookup that started it gives up (its deadline): the next lookups use what it brings.
 */
export class IssuedCredentials {
  private readonly issued = new Map<string, Issued>();
  private readonly fetching = new Map<string, Promise<Issued>>();

  constructor(private readonly now: () => number) {}

  async get(key: string, fetch: () => Promise<Issued>, host: string, signal: AbortSignal): Promise<RegistryCredential> {
    const issued = this.issued.get(key);
    if (issued !== undefined && issued.refreshAt > this.now()) return issued.credential;
    let fetching = this.fetching.get(key);
    if (fetching === undefined) {
      fetching = fetch().finally(() => this.fetching.delete(key));
      this.fetching.set(key, fetching);
      fetching.then(
        (fetched) => this.issued.set(key, fetched),
        () => undefined,
      );
    }
    return (await untilAborted(fetching, signal, host)).credential;
  }
}

/** The shared fetch, given up on by this lookup alone when its own signal aborts. */
function untilAborted<T>(shared: Promise<T>, signal: AbortSignal, host: string): Promise<T> {
  if (signal.aborted) return Promise.reject(fromFetchFailure(signal.reason, host, signal));
  return new Promise<T>((resolve, reject) => {
    const abandon = () => reject(fromFetchFailure(signal.reason, host, signal));
    signal.addEventListener('abort', abandon, { once: true });
    shared.then(resolve, reject).finally(() => signal.removeEventListener('abort', abandon));
  });
}
