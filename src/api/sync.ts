// /api/v1/sync/…: what a cluster's webhook pulls to keep its snapshot: rule changes (deleted
// rules as tombstones) and scans after a cursor, and the settings it applies. The answers are
// the StoreSyncSource's, which the all-in-one `serve` reads in-process: one code path.
import { z } from 'zod';
import { ruleToDocument } from '../policy/rule-document.js';
import { SCAN_PAGE_DEFAULT, SCAN_PAGE_FINDINGS, SCAN_PAGE_MAX, SyncRuleSchema, SyncRulesSchema, SyncScanSchema, SyncScansSchema, SyncSettingsSchema } from '../sensor/sync-protocol.js';
import { StoreSyncSource } from '../sensor/sync.js';
import type { Store } from '../store/store.js';
import { ACCESS } from './access.js';
import { writable } from './event-schemas.js';
import { defineRoute, type Route } from './route.js';
import { RuleDocumentSchema } from './rule-schemas.js';

const TAGS = ['sync'];

const Since = z.coerce.number().int().min(0).default(0).describe('The seq answered last time (0, or omitted: from the start).');
const ClusterParam = z.string().min(1).max(253).optional().describe("The calling webhook's cluster: marked seen when it is registered.");

const SyncRulesAnswer = SyncRulesSchema.extend({
  rules: z.array(SyncRuleSchema.extend({ document: RuleDocumentSchema.optional().describe('Absent for a deleted rule.') })).describe(SyncRulesSchema.shape.rules.description ?? ''),
}).meta({ id: 'SyncRules' });

const SyncScansAnswer = SyncScansSchema.extend({ scans: z.array(SyncScanSchema.meta({ id: 'SyncScan' })).describe(SyncScansSchema.shape.scans.description ?? '') }).meta({ id: 'SyncScans' });

const SyncSettingsAnswer = SyncSettingsSchema.meta({ id: 'SyncSettings' });

type RuleDocumentView = z.input<typeof RuleDocumentSchema>;

/** The webhook calling says which cluster it guards: "last seen" in the cluster list. An unregistered name changes nothing. */
async function touch(store: Store, cluster: string | undefined, now: Date): Promise<void> {
  if (cluster !== undefined) await store.clusters.touch(cluster, now.toISOString());
}

export const syncRoutes: readonly Route[] = [
  defineRoute({
    operationId: 'syncRules',
    method: 'GET',
    url: '/api/v1/sync/rules',
    access: ACCESS.sensor,
    summary: 'Rule changes after a seq, for a webhook',
    description: 'Every rule created, changed or deleted after `since`, by seq; a deleted rule is a tombstone without document. Pass the answered `seq` as the next `since`.',
    tags: TAGS,
    query: z.strictObject({ since: Since, cluster: ClusterParam }),
    response: SyncRulesAnswer,
    handler: async ({ query }, { store, now }) => {
      await touch(store, query.cluster, now);
      const changes = await new StoreSyncSource(store).rulesSince(query.since);
      return {
        rules: changes.rules.map(({ document, ...rule }) => ({ ...rule, ...(document !== undefined && { document: ruleToDocument(document) as RuleDocumentView }) })),
        seq: changes.seq,
      };
    },
  }),
  defineRoute({
    operationId: 'syncScans',
    method: 'GET',
    url: '/api/v1/sync/scans',
    access: ACCESS.sensor,
    summary: 'Scans stored after a seq, page by page, for a webhook',
    description:
      'The scans stored after `since`, by seq, at most `limit`, each with its keys, tags and findings as admission needs them. ' +
      `A page also stops before it holds more than ${SCAN_PAGE_FINDINGS.toLocaleString('en')} findings in all (a scan with more comes alone), so that a webhook applying it keeps answering. ` +
      'A newer scan of the same image and scanner replaces an older one on the webhook as in the store. While `more` is true, ask again with `since` set to the answered `seq`.',
    tags: TAGS,
    query: z.strictObject({
      since: Since,
      limit: z.coerce.number().int().min(1).max(SCAN_PAGE_MAX).default(SCAN_PAGE_DEFAULT).describe(`Scans per page, 1 to ${SCAN_PAGE_MAX} (default ${SCAN_PAGE_DEFAULT}).`),
      cluster: ClusterParam,
    }),
    response: SyncScansAnswer,
    handler: async ({ query }, { store, now }) => {
      await touch(store, query.cluster, now);
      // Sent as they are: a page holds up to 1,000 scans of up to thousands of findings each.
      return writable(await new StoreSyncSource(store).scansSince(query.since, query.limit));
    },
  }),
  defineRoute({
    operationId: 'syncSettings',
    method: 'GET',
    url: '/api/v1/sync/settings',
    access: ACCESS.sensor,
    summary: 'The settings, account switches and clusters, for a webhook',
    tags: TAGS,
    query: z.strictObject({ cluster: ClusterParam }),
    response: SyncSettingsAnswer,
    handler: async ({ query }, { store, now }) => {
      await touch(store, query.cluster, now);
      return writable(await new StoreSyncSource(store).settings());
    },
  }),
];
