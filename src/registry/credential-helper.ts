// Credentials a cloud's registries take for a while (ECR's password 12 hours, Google's access
// token one, ACR's refresh token three), fetched through the cloud's own SDK with the identity the
// webhook runs as (an IAM role for its service account, GKE or AKS Workload Identity, a managed
// identity), instead of a password written into a Docker config file that would expire.

import { AcrCredentials } from './acr-credentials.js';
import { EcrCredentials } from './ecr-credentials.js';
import { GoogleCredentials } from './google-credentials.js';
import type { RegistryCredential } from './hosts.js';
import type { FetchOutcome } from './issued-credentials.js';

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

/**
 * The helpers a comma-separated list names (`--registry-credential-helpers ecr,gar`), each once,
 * case and blanks aside; an empty item is skipped (a list a template joined with a trailing
 * comma). Throws an Error that says what is wrong for a name that is none of them, or no name.
 */
export function parseCredentialHelpers(list: string): CredentialHelperName[] {
  const names = list.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  const unknown = names.filter((name) => !(CREDENTIAL_HELPERS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`'${unknown.join(',')}' is not one of ${CREDENTIAL_HELPERS.join(', ')}`);
  if (names.length === 0) throw new Error(`names none of ${CREDENTIAL_HELPERS.join(', ')}`);
  return [...new Set(names as CredentialHelperName[])];
}

/**
 * The helper a name stands for, with the cloud's default configuration (its SDK finds the
 * identity and the endpoint); `onFetch` is told how each fetch from the cloud ended.
 */
export function credentialHelper(name: CredentialHelperName, onFetch?: (outcome: FetchOutcome) => void): CredentialHelper {
  const options = onFetch && { onFetch };
  switch (name) {
    case 'ecr':
      return new EcrCredentials(options);
    case 'gar':
      return new GoogleCredentials(options);
    case 'acr':
      return new AcrCredentials(options);
  }
}
