// The cloud accounts' switches in the product's words (the seeds' plan extensions), and where a
// cluster's account and an account's clusters are found. What turning a switch off means is the
// API's own text (src/api/meanings.ts, which its OpenAPI document says too).
import { ACCOUNT_SWITCH_MEANINGS } from '../../src/api/meanings.js';
import type { CloudProvider } from '../../src/policy/rule.js';
import type { AccountSwitch, AccountView, ClusterView } from './api.js';
import { formatTime } from './format.js';

export interface SwitchWords {
  readonly key: AccountSwitch;
  /** The plan extension's name, as the seeds' Environment Settings calls it. */
  readonly name: string;
  readonly whenOff: string;
}

export const ACCOUNT_SWITCHES: readonly SwitchWords[] = [
  { key: 'gating', name: 'Security Gating', whenOff: ACCOUNT_SWITCH_MEANINGS.gating },
  { key: 'registryAccess', name: 'Registry Access', whenOff: ACCOUNT_SWITCH_MEANINGS.registryAccess },
  { key: 'securityFindings', name: 'Security Findings', whenOff: ACCOUNT_SWITCH_MEANINGS.securityFindings },
];

export const PROVIDER_NAMES: Readonly<Record<CloudProvider, string>> = { azure: 'Azure', aws: 'AWS', gcp: 'GCP' };

/** What each provider calls the account a cluster runs in. */
export const ACCOUNT_KINDS: Readonly<Record<CloudProvider, string>> = { azure: 'Azure subscription', aws: 'AWS account', gcp: 'GCP project' };

/** `AWS account 123456789012`. */
export function accountTitle(account: { readonly provider: CloudProvider; readonly account: string }): string {
  return `${ACCOUNT_KINDS[account.provider]} ${account.account}`;
}

/** The account's own address in the API; an account id is free text, so it is encoded. */
export function accountPath(account: { readonly provider: CloudProvider; readonly account: string }): string {
  return `/api/v1/accounts/${encodeURIComponent(account.provider)}/${encodeURIComponent(account.account)}`;
}

/** The account a cluster runs in, as listed; undefined for a cluster registered without one. */
export function accountOf(cluster: ClusterView, accounts: readonly AccountView[]): AccountView | undefined {
  if (cluster.provider === undefined || cluster.account === undefined) return undefined;
  return accounts.find((account) => sameAccount(account, cluster));
}

/** A cloud account is its provider and its id: a cluster names one, an account is one. */
function sameAccount(a: { readonly provider?: CloudProvider; readonly account?: string }, b: { readonly provider?: CloudProvider; readonly account?: string }): boolean {
  return a.provider === b.provider && a.account === b.account;
}

/** The registered clusters that run in an account, by name. */
export function clustersIn(account: AccountView, clusters: readonly ClusterView[]): string[] {
  return clusters.filter((cluster) => sameAccount(cluster, account)).map((cluster) => cluster.name);
}

/**
 * Each switch as it applies to a cluster: its account's, or on when the cluster has no account
 * (or one the list does not hold), as the webhook and /evaluate apply them.
 */
export function switchesOf(account: AccountView | undefined): { readonly name: string; readonly on: boolean }[] {
  return ACCOUNT_SWITCHES.map(({ key, name }) => ({ name, on: account === undefined || account[key] }));
}

/** The same account (provider and id) replaced by the API's answer for it; the others kept. */
export function withAccount(accounts: readonly AccountView[], answered: AccountView): AccountView[] {
  return accounts.map((account) => (sameAccount(account, answered) ? answered : account));
}

/** Who changed an account's switches when; the API keeps no author for switches never set. */
export function changedText(account: AccountView): string {
  if (account.updatedAt === undefined) return 'Never changed: every switch is on, as in a new environment.';
  return `Changed ${formatTime(account.updatedAt)}${account.updatedBy === undefined ? '' : ` by ${account.updatedBy}`}`;
}
