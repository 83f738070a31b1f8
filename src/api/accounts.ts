// /api/v1/accounts: the extension switches of each cloud account (the seeds' Environment
// Settings). A switch never set is on, as in a new environment.
import { z } from 'zod';
import { CLOUD_PROVIDERS, type CloudProvider } from '../policy/rule.js';
import type { AccountSettings, Store } from '../store/store.js';
import { ACCESS } from './access.js';
import { ACCOUNT_SWITCH_MEANINGS } from './meanings.js';
import { defineRoute, type Route } from './route.js';
import { InstantSchema, listOf } from './schemas.js';

const Gating = z.boolean().describe(ACCOUNT_SWITCH_MEANINGS.gating);
const RegistryAccess = z.boolean().describe(ACCOUNT_SWITCH_MEANINGS.registryAccess);
const SecurityFindings = z.boolean().describe(ACCOUNT_SWITCH_MEANINGS.securityFindings);

const AccountSchema = z
  .object({
    provider: z.enum(CLOUD_PROVIDERS),
    account: z.string(),
    gating: Gating,
    registryAccess: RegistryAccess,
    securityFindings: SecurityFindings,
    updatedAt: InstantSchema.optional().describe('Absent while every switch has its default.'),
    updatedBy: z.string().optional(),
  })
  .meta({ id: 'Account' });

const AccountChangeSchema = z
  .strictObject({ gating: Gating.optional(), registryAccess: RegistryAccess.optional(), securityFindings: SecurityFindings.optional() })
  .meta({ id: 'AccountChange', description: 'The switches to change; those left out keep their value.' });

const AccountParams = z.object({ provider: z.enum(CLOUD_PROVIDERS), account: z.string().min(1).max(200) });

type AccountView = z.input<typeof AccountSchema>;

function defaults(provider: CloudProvider, account: string): AccountView {
  return { provider, account, gating: true, registryAccess: true, securityFindings: true };
}

/** An account's switches as they apply now: stored, or every switch on. */
export async function accountSwitches(store: Store, provider: CloudProvider, account: string): Promise<AccountView> {
  return (await store.clusters.account(provider, account)) ?? defaults(provider, account);
}

const keyOf = (account: { provider: string; account: string }): string => `${account.provider}/${account.account}`;

export const accountRoutes: readonly Route[] = [
  defineRoute({
    operationId: 'listAccounts',
    method: 'GET',
    url: '/api/v1/accounts',
    access: ACCESS.read,
    summary: 'List accounts',
    description: 'Every account with switches set, and every account a registered cluster runs in (with its defaults when never set).',
    tags: ['accounts'],
    response: listOf('accounts', AccountSchema),
    handler: async (_input, { store }) => {
      const [stored, clusters] = await Promise.all([store.clusters.listAccounts(), store.clusters.list()]);
      const accounts = new Map<string, AccountView>(stored.map((settings: AccountSettings) => [keyOf(settings), settings]));
      for (const { provider, account } of clusters) {
        if (provider && account && !accounts.has(keyOf({ provider, account }))) accounts.set(keyOf({ provider, account }), defaults(provider, account));
      }
      return { accounts: [...accounts.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b))) };
    },
  }),
  defineRoute({
    operationId: 'getAccount',
    method: 'GET',
    url: '/api/v1/accounts/:provider/:account',
    access: ACCESS.read,
    summary: "Get an account's switches",
    tags: ['accounts'],
    params: AccountParams,
    response: AccountSchema,
    handler: ({ params }, { store }) => accountSwitches(store, params.provider, params.account),
  }),
  defineRoute({
    operationId: 'putAccount',
    method: 'PUT',
    url: '/api/v1/accounts/:provider/:account',
    access: ACCESS.admin,
    summary: "Change an account's switches",
    description: 'Switches left out of the body keep their value.',
    tags: ['accounts'],
    params: AccountParams,
    body: AccountChangeSchema,
    response: AccountSchema,
    handler: ({ params, body }, { store, now, actor }) => store.clusters.changeAccount(params.provider, params.account, body, actor, now.toISOString()),
  }),
];
