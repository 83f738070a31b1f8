import { describe, expect, test } from 'vitest';
import type { AccountView, ClusterView } from './api.js';
import { accountOf, accountPath, accountTitle, changedText, clustersIn, switchesOf, withAccount } from './cloud-accounts.js';

const account = (provider: AccountView['provider'], id: string, switches: Partial<AccountView> = {}): AccountView => ({
  provider,
  account: id,
  gating: true,
  registryAccess: true,
  securityFindings: true,
  ...switches,
});
const cluster = (name: string, provider?: ClusterView['provider'], id?: string): ClusterView => ({
  name,
  registeredAt: '2026-03-01T00:00:00.000Z',
  ...(provider !== undefined && { provider }),
  ...(id !== undefined && { account: id }),
});

describe('cloud accounts as the Environment settings page shows them', () => {
  test('an account is named as its provider calls it', () => {
    expect(accountTitle(account('aws', '123456789012'))).toBe('AWS account 123456789012');
    expect(accountTitle(account('azure', 'sub-1'))).toBe('Azure subscription sub-1');
    expect(accountTitle(account('gcp', 'my-project'))).toBe('GCP project my-project');
  });

  test("an account's address encodes its id, which is free text", () => {
    expect(accountPath(account('aws', '123456789012'))).toBe('/api/v1/accounts/aws/123456789012');
    expect(accountPath(account('gcp', 'a/b?c#d%'))).toBe('/api/v1/accounts/gcp/a%2Fb%3Fc%23d%25');
  });

  test("a cluster's account is the one with the same provider and id; a cluster without one has none", () => {
    const accounts = [account('aws', '1'), account('gcp', '1', { gating: false })];
    expect(accountOf(cluster('eks', 'aws', '1'), accounts)).toBe(accounts[0]);
    expect(accountOf(cluster('gke', 'gcp', '1'), accounts)).toBe(accounts[1]);
    expect(accountOf(cluster('aks', 'azure', '1'), accounts)).toBeUndefined();
    expect(accountOf(cluster('kind'), accounts)).toBeUndefined();
  });

  test("an account's clusters are those registered in it, by name", () => {
    const clusters = [cluster('eks-a', 'aws', '1'), cluster('gke', 'gcp', '1'), cluster('eks-b', 'aws', '1'), cluster('kind')];
    expect(clustersIn(account('aws', '1'), clusters)).toEqual(['eks-a', 'eks-b']);
    expect(clustersIn(account('aws', '2'), clusters)).toEqual([]);
  });

  test("a cluster's switches are its account's; without an account every switch is on", () => {
    expect(switchesOf(account('aws', '1', { gating: false, securityFindings: false }))).toEqual([
      { name: 'Security Gating', on: false },
      { name: 'Registry Access', on: true },
      { name: 'Security Findings', on: false },
    ]);
    expect(switchesOf(undefined).every((state) => state.on)).toBe(true);
  });

  test("the API's answer replaces only the account it is for", () => {
    const accounts = [account('aws', '1'), account('gcp', '1')];
    const answered = account('gcp', '1', { gating: false, updatedAt: '2026-03-02T00:00:00.000Z', updatedBy: 'admin' });
    expect(withAccount(accounts, answered)).toEqual([accounts[0], answered]);
  });

  test('who changed the switches when, or that none was ever changed', () => {
    expect(changedText(account('aws', '1', { gating: false, updatedAt: '2026-03-02T10:00:00.000Z', updatedBy: 'alice' }))).toBe('Changed 2026-03-02 10:00:00 UTC by alice');
    expect(changedText(account('aws', '1'))).toBe('Never changed: every switch is on, as in a new environment.');
  });
});
