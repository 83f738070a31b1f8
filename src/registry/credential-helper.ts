// Credentials a cloud's registries take for a while (ECR's password 12 hours, Google's access
// token one, ACR's refresh token three), fetched through the cloud's own SDK with the identity the
// webhook runs as (an IAM role for its service account, GKE or AKS Workload Identity, a managed
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

/** Credentials a cloud issued, and for how long from now they hold. */
export interface Issued {
  readonly credential: RegistryCredential;
  readonly lifetimeMs: number;
}

interface Kept {
  readonly credential: RegistryCredential;
  /** Milliseconds since the epoch: at nine tenths of the lifetime, new ones are fetched… */
  readonly refreshAt: number;
  /** …while these still serve, until they expire. */
  readonly expiresAt: number;
}

/**
 * Issued credentials by key (a region, a registry, an identity), each fetched once however many
 * lookups ask at once; a fetch that fails is not kept. At nine tenths of their lifetime new ones
 * are fetched in the background while the old still serve, so no admission waits on the cloud
 * for a renewal; only the first lookup, or one after they expired, does. A fetch goes on when the
 * lookup that started it gives up (its deadline): the next lookups use what it brings.
 */
export class IssuedCredentials {
  private readonly kept = new Map<string, Kept>();
  private readonly fetching = new Map<string, Promise<Issued>>();

  constructor(private readonly now: () => number) {}

  async get(key: string, fetch: () => Promise<Issued>, host: string, signal: AbortSignal): Promise<RegistryCredential> {
    const kept = this.kept.get(key);
    const now = this.now();
    if (kept !== undefined && now < kept.refreshAt) return kept.credential;
    const fetching = this.fetching.get(key) ?? this.start(key, fetch);
    if (kept !== undefined && now < kept.expiresAt) {
      // Renewing: a failure is retried by the next lookup, and said once these expire.
      fetching.catch(() => undefined);
      return kept.credential;
    }
    return (await untilAborted(fetching, signal, host)).credential;
  }

  private start(key: string, fetch: () => Promise<Issued>): Promise<Issued> {
    const fetching = fetch().finally(() => this.fetching.delete(key));
    this.fetching.set(key, fetching);
    fetching.then(
      ({ credential, lifetimeMs }) => {
        const at = this.now();
        const lifetime = Math.max(0, lifetimeMs);
        this.kept.set(key, { credential, refreshAt: at + lifetime * 0.9, expiresAt: at + lifetime });
      },
      () => undefined,
    );
    return fetching;
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
