// The rule document and the rule as the API answers it, as schemas for the OpenAPI document.
// validateRule (policy/rule-document.ts) is what checks a rule document; RuleDocumentSchema only
// describes it, and answers are checked against it in tests, so the two cannot drift apart.
import { z } from 'zod';
import { SEVERITIES } from '../findings/severity.js';
import { ACTIONS, CLOUD_PROVIDERS, EXEMPTION_CRITERIA, EXEMPTION_TYPES, RESOURCE_KINDS, SCOPE_CRITERIA, UNSCANNED_MODES } from '../policy/rule.js';
import { RULE_CHANGES } from '../store/store.js';
import { InstantSchema } from './schemas.js';

export const ExemptionSchema = z
  .strictObject({
    type: z.enum(EXEMPTION_TYPES),
    criterion: z.enum(EXEMPTION_CRITERIA),
    value: z.string().min(1),
    expires: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a calendar day, YYYY-MM-DD')
      .optional()
      .describe("The last day it holds (through 23:59:59.999 in the rule's time zone); omitted: indefinite."),
    reason: z.string().optional(),
  })
  .meta({ id: 'Exemption' });

const ResourceScopeSchema = z.strictObject({ kind: z.enum(RESOURCE_KINDS), criterion: z.enum(SCOPE_CRITERIA), value: z.string() });
const CloudScopeSchema = z.strictObject({ provider: z.enum(CLOUD_PROVIDERS), account: z.string().optional().describe('Omitted: every account of the provider.') });

export const RuleDocumentSchema = z
  .strictObject({
    apiVersion: z.literal('portcullis.dev/v1').default('portcullis.dev/v1'),
    kind: z.literal('Rule').default('Rule'),
    name: z.string().min(1).describe('Unique, case-insensitive.'),
    description: z.string().optional(),
    action: z.enum(ACTIONS),
    enabled: z.boolean().default(true),
    timeZone: z.string().default('UTC').describe('IANA time zone in which exemptions expire.'),
    scope: z
      .strictObject({
        name: z.string().optional(),
        cloud: z.array(CloudScopeSchema).optional().describe('Omitted or empty: every cloud and account.'),
        resources: z.array(ResourceScopeSchema).optional().describe('All must hold; omitted or empty: every resource.'),
      })
      .default({}),
    conditions: z.strictObject({
      severities: z.array(z.enum(SEVERITIES)).optional(),
      cves: z.array(z.string()).optional(),
      minCvss: z.number().min(0).max(10).optional(),
      fixAvailable: z.boolean().optional(),
      knownExploited: z.boolean().optional(),
      moreThan: z.number().int().min(0).optional(),
    }),
    unscanned: z.enum(UNSCANNED_MODES).default('Ignore').describe('What an image without usable scan evidence means.'),
    maxScanAge: z.string().optional().describe('30d, 12h, 2w: an older scan counts as no scan.'),
    exemptions: z.array(ExemptionSchema).default([]),
  })
  .meta({ id: 'RuleDocument', description: 'A rule as written: the same document `portcullis evaluate` and `rules apply -f` read from YAML.' });

export const ExemptionStateSchema = z
  .object({
    ...ExemptionSchema.shape,
    index: z.number().int().describe('Its position: DELETE /api/v1/rules/{id}/exemptions/{index} removes it.'),
    expired: z.boolean().describe('Past the end of its day: kept, visible, ignored by evaluation.'),
  })
  .meta({ id: 'ExemptionState' });

export const RuleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.number().int().min(1),
    enabled: z.boolean(),
    action: z.enum(ACTIONS),
    description: z.string().describe('The rule in plain words.'),
    document: RuleDocumentSchema,
    exemptions: z.array(ExemptionStateSchema),
    createdAt: InstantSchema,
    createdBy: z.string(),
    updatedAt: InstantSchema,
    updatedBy: z.string(),
  })
  .meta({ id: 'Rule' });

export const RuleVersionSchema = z
  .object({
    version: z.number().int().min(1),
    name: z.string(),
    change: z.enum(RULE_CHANGES),
    actor: z.string().describe('The name of the token that made the change.'),
    at: InstantSchema,
    document: RuleDocumentSchema,
  })
  .meta({ id: 'RuleVersion' });
