// Admission events as the API takes them from webhooks and answers them: the whole event (what
// Admission Monitoring shows) and its summary (a row of the list).
import { z } from 'zod';
import { EVENT_DECISIONS, OPERATIONS, type AdmissionEvent } from '../events/admission-event.js';
import { EVENT_ID } from '../events/event-id.js';
import type { EventSummary } from '../events/event-summary.js';
import { SEVERITIES } from '../findings/severity.js';
import { ACTIONS, UNSCANNED_MODES } from '../policy/rule.js';
import { SCAN_STATUSES } from '../policy/target.js';
import { ExemptionSchema, RuleDocumentSchema } from './rule-schemas.js';
import { InstantSchema } from './schemas.js';

/** Findings by severity, every severity present. */
export const SeverityCountsSchema = z
  .strictObject(Object.fromEntries(SEVERITIES.map((severity) => [severity, z.number().int().min(0)])) as Record<(typeof SEVERITIES)[number], z.ZodNumber>)
  .meta({ id: 'SeverityCounts' });

export const CvssSchema = z
  .strictObject({
    score: z.number().min(0).max(10),
    vector: z.string().optional(),
    version: z.string().optional().describe('2.0, 3.0, 3.1, 4.0'),
    source: z.string().optional().describe('Whose score it is: nvd, ghsa, redhat, …'),
  })
  .meta({ id: 'Cvss' });

export const EventFindingSchema = z.strictObject({
  id: z.string().min(1),
  severity: z.enum(SEVERITIES),
  package: z.string(),
  version: z.string(),
  fixedVersion: z.string().optional(),
  cvss: CvssSchema.optional(),
});

export const EventViolationSchema = z.strictObject({
  rule: z.string().min(1),
  ruleId: z.string().optional(),
  ruleVersion: z.number().int().min(1).optional(),
  action: z.enum(ACTIONS),
  enforced: z.boolean().describe('false: a Deny recorded but not enforced (a controller-made pod, an unchanged image).'),
  reason: z.enum(['Findings', 'NoEvidence']),
  detail: z.string(),
  findingCount: z.number().int().min(0).describe('How many findings matched; `findings` names the worst of them.'),
  findings: z.array(z.string().min(1)).describe("The ids of its worst matched findings, worst first; the image's `findings` holds them in full."),
});

const EventImageSchema = z.strictObject({
  reference: z.string().describe('As written in the spec.'),
  digest: z.string().optional(),
  scanStatus: z.enum(SCAN_STATUSES),
  counts: SeverityCountsSchema,
  violations: z.array(EventViolationSchema),
  findings: z.array(EventFindingSchema).describe('The findings the violations name, in full, each once.'),
  matched: z.array(z.string()).describe('Every vulnerability id a violation of this image matched, each once (violations name only their worst findings).'),
});

const { scope, conditions } = RuleDocumentSchema.shape;

const RuleSnapshotSchema = z.strictObject({
  name: z.string(),
  id: z.string().optional(),
  version: z.number().int().min(1).optional(),
  action: z.enum(ACTIONS),
  description: z.string().describe('The rule in plain words: the policy description.'),
  scope,
  conditions,
  unscanned: z.enum(UNSCANNED_MODES),
  maxScanAge: z.string().optional(),
  timeZone: z.string(),
  exemptions: z.array(
    z.strictObject({
      ...ExemptionSchema.shape,
      state: z.enum(['Active', 'Expired']),
      applied: z.boolean().describe('It exempted something in this request.'),
    }),
  ),
});

const EventCore = {
  id: z.string().regex(EVENT_ID, 'must be a UUIDv7 (lower-case), as the webhook names its events').describe('A UUIDv7: unique, sortable by time.'),
  time: InstantSchema,
  cluster: z.string().optional(),
  account: z.string().optional(),
  provider: z.string().optional(),
  namespace: z.string(),
  kind: z.string().min(1),
  name: z.string(),
  workload: z.string().describe("The top-level workload's name."),
  operation: z.enum(OPERATIONS),
  user: z.string().optional(),
  dryRun: z.boolean(),
  decision: z.enum(EVENT_DECISIONS),
  message: z.string().describe('Why, in one line: the message the developer saw.'),
  source: z.string().min(1).describe('Where it was decided: webhook, evaluate, api.'),
  breakGlass: z.string().optional().describe('The break-glass reason, when the annotation was used.'),
  requestUid: z.string().optional().describe('The AdmissionReview uid, when there was one.'),
};

export const AdmissionEventSchema = z
  .strictObject({
    ...EventCore,
    images: z.array(EventImageSchema),
    rules: z.array(RuleSnapshotSchema).describe('The rules that triggered, as they were applied: the rule configuration snapshot.'),
  })
  .meta({ id: 'AdmissionEvent', description: 'One evaluated request: what was decided, for which images, by which rules, and why.' });

/** A type with its readonly arrays and fields writable: what zod's types of the same shape say. */
export type Writable<T> = T extends readonly (infer U)[] ? Writable<U>[] : T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;

/** The domain's types are readonly, zod's are not; the shapes are the same, so the view is the value itself. */
export function writable<T>(value: T): Writable<T> {
  return value as Writable<T>;
}

/**
 * An event as the API answers it. Here the schema and the interface are held to each other: a
 * field one has and the other has not, or of another type, fails to compile (both directions).
 */
export function eventView(event: AdmissionEvent): z.input<typeof AdmissionEventSchema> {
  return writable(event);
}
const _parsedIsAnEvent = (event: z.output<typeof AdmissionEventSchema>): AdmissionEvent => event;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _sameFields: Same<keyof z.output<typeof AdmissionEventSchema>, keyof AdmissionEvent> = true;

export const EventSummarySchema = z
  .object({
    ...EventCore,
    images: z.array(
      z.object({
        reference: z.string(),
        digest: z.string().optional(),
        scanStatus: z.enum(SCAN_STATUSES),
        counts: SeverityCountsSchema,
        violations: z.number().int().min(0).describe('How many rules this image violated.'),
      }),
    ),
    rules: z.array(z.string()).describe('The names of the rules that triggered.'),
  })
  .meta({ id: 'EventSummary', description: 'An admission event as listed; GET /api/v1/events/{id} has all of it.' });

/** The store's summaries are what the API lists: held to the schema as events are (both directions). */
const _summaryFitsTheSchema = (summary: EventSummary): z.input<typeof EventSummarySchema> => writable(summary);
const _schemaIsASummary = (summary: z.output<typeof EventSummarySchema>): EventSummary => summary;
const _sameSummaryFields: Same<keyof z.output<typeof EventSummarySchema>, keyof EventSummary> = true;

/** A webhook's delivery: its outbox sends events in batches, and sends a batch again until it is answered. */
export const EVENT_BATCH_MAX = 1000;

export const EventBatchSchema = z
  .strictObject({ events: z.array(AdmissionEventSchema).min(1).max(EVENT_BATCH_MAX) })
  .meta({ id: 'EventBatch', description: `Up to ${EVENT_BATCH_MAX} events; each is stored once by its id, however often it is delivered.` });
