// /api/v1/evaluate: what admission would decide, without admitting anything. The same engine as
// the webhook and `portcullis evaluate`, against the stored rules and the stored findings; every
// workload evaluated is recorded as a dry-run event, so the answer can be looked at again. The
// switches of the cluster's cloud account apply as they do to its webhook: with Security Findings
// off no finding is used; with Security Gating off the decision stands, and the answer says that
// the webhook would allow the workload.
import { z } from 'zod';
import type { AdmissionEvent } from '../events/admission-event.js';
import { buildAdmissionEvent } from '../events/build-event.js';
import { eventId } from '../events/event-id.js';
import { StoredFindings } from '../evaluation/stored-evidence.js';
import type { PathSegment } from '../input/source-text.js';
import { objectsOf } from '../manifests/objects.js';
import { readManifests } from '../manifests/read.js';
import { compileRules, type CompiledRule } from '../policy/compile.js';
import { DECISIONS, evaluate, type Evaluation } from '../policy/evaluate.js';
import { SCAN_STATUSES, type ClusterContext } from '../policy/target.js';
import { formatPath, InputError, type Problem } from '../problems.js';
import type { Store } from '../store/store.js';
import { extractWorkload, imagesOf, MalformedObjectError, type ExtractOptions, type Workload } from '../workloads/extract.js';
import { FieldReader } from '../workloads/fields.js';
import { ACCESS } from './access.js';
import { ApiError, type ApiProblem } from './errors.js';
import { EventFindingSchema, EventViolationSchema, SeverityCountsSchema, writable } from './event-schemas.js';
import { defineRoute, type Route } from './route.js';

const INPUTS = ['review', 'manifests', 'objects'] as const;
export const EVALUATE_OBJECTS_MAX = 1000;

const AdmissionReviewSchema = z
  .looseObject({
    apiVersion: z.literal('admission.k8s.io/v1'),
    kind: z.literal('AdmissionReview'),
    request: z.looseObject({
      uid: z.string().min(1),
      namespace: z.string().optional(),
      object: z.unknown().describe('The object admitted; null for a DELETE (nothing to evaluate).'),
    }),
  })
  .describe('An AdmissionReview as the API server sends it to a webhook.');

const EvaluateRequestSchema = z
  .strictObject({
    review: AdmissionReviewSchema.optional(),
    manifests: z.string().min(1).optional().describe('Kubernetes manifests: YAML or JSON, multi-document, kind: List.'),
    objects: z.array(z.record(z.string(), z.unknown())).min(1).max(EVALUATE_OBJECTS_MAX).optional().describe('Kubernetes objects (a List is expanded).'),
    cluster: z.string().min(1).optional().describe('The cluster the workloads are meant for: its cloud account decides cloud scopes.'),
    namespace: z.string().min(1).optional().describe('For objects that name no namespace (default: default, or the review\'s namespace).'),
    dryRun: z.literal(true).optional().describe('Always a dry run: nothing is admitted.'),
  })
  .superRefine((body, context) => {
    const given = INPUTS.filter((input) => body[input] !== undefined);
    if (given.length === 0) context.addIssue({ code: 'custom', path: [], message: `give what to evaluate: one of ${INPUTS.join(', ')}` });
    for (const input of given.slice(1)) context.addIssue({ code: 'custom', path: [input], message: `give one of ${INPUTS.join(', ')}, not ${given.join(' and ')}` });
  })
  .meta({ id: 'EvaluateRequest', description: 'One of review, manifests or objects.' });

type EvaluateRequest = z.output<typeof EvaluateRequestSchema>;

const EvaluationResultSchema = z
  .object({
    kind: z.string(),
    namespace: z.string(),
    name: z.string(),
    workload: z.string().describe("The top-level workload's name."),
    decision: z.enum(DECISIONS),
    message: z.string(),
    eventId: z.string().describe('The dry-run event recorded: GET /api/v1/events/{id}.'),
    images: z.array(
      z.object({
        image: z.string().describe('As written in the spec.'),
        digest: z.string().optional(),
        scanStatus: z.enum(SCAN_STATUSES),
        counts: SeverityCountsSchema,
        findings: z.array(EventFindingSchema).describe("The findings the image's violations name, in full, each once."),
      }),
    ),
    violations: z.array(z.object({ image: z.string(), ...EventViolationSchema.shape })).describe('Every rule triggered, for each image.'),
    gating: z
      .literal(false)
      .optional()
      .describe("Present when Security Gating is off for the cluster's account: its webhook would allow the workload (Deny rules only recorded); `decision` is what the rules decide."),
  })
  .meta({ id: 'EvaluationResult' });

/** Objects read from manifests name their problems in the request: `body.manifests` then the place. */
const MANIFESTS = 'body.manifests';

export const evaluateRoutes: readonly Route[] = [
  defineRoute({
    operationId: 'evaluate',
    method: 'POST',
    url: '/api/v1/evaluate',
    access: ACCESS.read,
    summary: 'Evaluate workloads against the stored rules and findings (a dry run)',
    description:
      'The body is an AdmissionReview (`review`), manifest text (`manifests`) or objects (`objects`). Each pod-bearing object is ' +
      'evaluated as admission would, and recorded as a dry-run event (operation EVALUATE, source evaluate). Other objects are ' +
      'allowed untouched and left out of the answer. Problems in the manifests are a 400 naming each place and line.',
    tags: ['evaluate'],
    body: EvaluateRequestSchema,
    response: z.object({ results: z.array(EvaluationResultSchema) }).meta({ id: 'EvaluationResults' }),
    handler: async ({ body }, { store, now, actor }) => {
      const { workloads, requestUid } = workloadsOf(body);
      if (workloads.length === 0) return { results: [] };
      const [rules, cluster] = await Promise.all([storedRules(store), clusterContext(store, body.cluster)]);
      const switches = await accountSwitches(store, cluster);
      const findings = new StoredFindings(store.scans, { securityFindings: switches.securityFindings });
      const evaluated = await Promise.all(
        workloads.map(async (workload) => {
          const target = { cluster, workload: workload.identity, images: await findings.targetImages(imagesOf(workload)) };
          const evaluation = evaluate(target, rules, now);
          const context = {
            id: eventId(now),
            time: now,
            operation: 'EVALUATE',
            user: actor,
            dryRun: true,
            source: 'evaluate',
            message: messageOf(workload, evaluation, gatingNote(cluster, switches)),
            ...(requestUid !== undefined && { requestUid }),
          } as const;
          return { evaluation, event: buildAdmissionEvent(context, target, evaluation, rules) };
        }),
      );
      await store.events.insert(evaluated.map(({ event }) => event));
      return { results: evaluated.map(({ evaluation, event }) => resultOf(evaluation, event, switches)) };
    },
  }),
];

function workloadsOf(body: EvaluateRequest): { workloads: Workload[]; requestUid?: string } {
  if (body.review) {
    const { request } = body.review;
    const options = { defaultNamespace: body.namespace ?? request.namespace };
    return { workloads: workloadsOfObjects([{ value: request.object, path: ['body', 'review', 'request', 'object'] }], options), requestUid: request.uid };
  }
  const options = { defaultNamespace: body.namespace };
  if (body.objects) return { workloads: workloadsOfObjects(body.objects.map((value, index) => ({ value, path: ['body', 'objects', index] })), options) };
  try {
    return { workloads: readManifests(body.manifests ?? '', MANIFESTS, options).flatMap((manifest) => (manifest.workload ? [manifest.workload] : [])) };
  } catch (error) {
    if (error instanceof InputError) throw ApiError.invalid(error.problems.map(manifestProblem), `The manifests have ${plural(error.problems.length, 'problem')}: see problems.`);
    throw error;
  }
}

/** The workloads of objects given as JSON; a List is expanded; a DELETE's null object has none. */
function workloadsOfObjects(objects: readonly { value: unknown; path: readonly PathSegment[] }[], options: ExtractOptions): Workload[] {
  const problems: ApiProblem[] = [];
  const workloads: Workload[] = [];
  for (const { value, path } of objects) {
    if (value === null || value === undefined) continue;
    const reader = new FieldReader();
    for (const located of objectsOf(value, reader, path)) {
      try {
        const workload = extractWorkload(located.object, options);
        if (workload) workloads.push(workload);
      } catch (error) {
        if (!(error instanceof MalformedObjectError)) throw error;
        problems.push(...error.issues.map((issue) => ({ path: formatPath('', [...located.path, ...issue.path]), message: issue.message })));
      }
    }
    problems.push(...reader.issues.map((issue) => ({ path: formatPath('', issue.path), message: issue.message })));
  }
  if (problems.length > 0) throw ApiError.invalid(problems);
  return workloads;
}

/** A problem of the manifest text: its place in the document under `body.manifests`, its line in the message. */
function manifestProblem(problem: Problem): ApiProblem {
  const line = problem.line === undefined ? '' : ` (line ${problem.line})`;
  return { path: problem.path ? `${MANIFESTS}.${problem.path}` : MANIFESTS, message: `${problem.message}${line}` };
}

/** The stored rules, enabled ones compiled, each named with its id and version for the event. */
async function storedRules(store: Store): Promise<CompiledRule[]> {
  const stored = await store.rules.list();
  return compileRules(stored.map((rule) => ({ rule: rule.document, ref: { name: rule.name, id: rule.id, version: rule.version } })));
}

/** A registered cluster brings its cloud account; an unknown name still matches Cluster scopes. */
async function clusterContext(store: Store, name: string | undefined): Promise<ClusterContext> {
  if (name === undefined) return {};
  const cluster = await store.clusters.get(name);
  return { name, ...(cluster?.provider !== undefined && { provider: cluster.provider }), ...(cluster?.account !== undefined && { account: cluster.account }) };
}

/** The switches of an account that change an evaluation. */
interface AccountSwitches {
  readonly gating: boolean;
  readonly securityFindings: boolean;
}

const ALL_ON: AccountSwitches = { gating: true, securityFindings: true };

/** The switches of the cluster's cloud account; all on for a cluster with none, or an account never set. */
async function accountSwitches(store: Store, cluster: ClusterContext): Promise<AccountSwitches> {
  if (cluster.provider === undefined || cluster.account === undefined) return ALL_ON;
  const settings = await store.clusters.account(cluster.provider, cluster.account);
  return settings ? { gating: settings.gating, securityFindings: settings.securityFindings } : ALL_ON;
}

/** What the message adds when gating is off: the cluster's webhook would let the workload in. */
function gatingNote(cluster: ClusterContext, switches: AccountSwitches): string | undefined {
  if (switches.gating) return undefined;
  const account = cluster.provider === undefined || cluster.account === undefined ? "the cluster's account" : `${cluster.provider} account ${cluster.account}`;
  return `gating is off for ${account}: the cluster's webhook would allow it`;
}

const MESSAGE_VIOLATIONS = 3;

function messageOf(workload: Workload, evaluation: Evaluation, note: string | undefined): string {
  const who = `${workload.kind} ${workload.identity.namespace}/${workload.identity.name}`;
  const { violations } = evaluation;
  const tail = note === undefined ? '' : `; ${note}`;
  if (violations.length === 0) return `${evaluation.decision} (dry run): ${who}: no rule triggered${tail}`;
  const shown = violations.slice(0, MESSAGE_VIOLATIONS).map((v) => `${v.image} violates '${v.rule.name}' (${v.action}: ${v.detail})`);
  const more = violations.length > MESSAGE_VIOLATIONS ? `; and ${violations.length - MESSAGE_VIOLATIONS} more` : '';
  return `${evaluation.decision} (dry run): ${who}: ${shown.join('; ')}${more}${tail}`;
}

function resultOf(evaluation: Evaluation, event: AdmissionEvent, switches: AccountSwitches): z.input<typeof EvaluationResultSchema> {
  return {
    kind: event.kind,
    namespace: event.namespace,
    name: event.name,
    workload: event.workload,
    decision: evaluation.decision,
    message: event.message,
    eventId: event.id,
    images: event.images.map((image) => ({
      image: image.reference,
      ...(image.digest !== undefined && { digest: image.digest }),
      scanStatus: image.scanStatus,
      counts: image.counts,
      findings: writable(image.findings),
    })),
    violations: event.images.flatMap((image) => image.violations.map((violation) => ({ image: image.reference, ...writable(violation) }))),
    ...(!switches.gating && { gating: false as const }),
  };
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
