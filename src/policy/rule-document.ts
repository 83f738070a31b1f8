// Rule documents as security teams write them (YAML or JSON, one or many to a file): checked
// field by field, with every problem named by path and line, and turned back into documents.
import { z } from 'zod';
import { SEVERITIES, type Severity } from '../findings/severity.js';
import { readDocuments, type SourceDocument } from '../input/source-text.js';
import { InputError, type Problem } from '../problems.js';
import { parseDuration } from './duration.js';
import { parseLabelSelector, plainEquality } from './label-selector.js';
import { problemAt, problemsOfIssues, type PathSegment, type ProblemPlace } from './rule-problems.js';
import {
  ACTIONS,
  CLOUD_PROVIDERS,
  EXEMPTION_CRITERIA,
  EXEMPTION_TYPES,
  RESOURCE_KINDS,
  SCOPE_CRITERIA,
  UNSCANNED_MODES,
  type Action,
  type CloudProvider,
  type ExemptionCriterion,
  type ExemptionType,
  type ResourceKind,
  type Rule,
  type ScopeCriterion,
  type UnscannedMode,
} from './rule.js';
import { isValidTimeZone } from './time-zone.js';

export type { PathSegment, ProblemPlace } from './rule-problems.js';

/** The rule, or every problem of the document (never both). */
export type RuleValidation =
  | { readonly rule: Rule; readonly problems: readonly Problem[] }
  | { readonly rule?: undefined; readonly problems: readonly Problem[] };

/** A rule document in its canonical form: every field spelled out, defaults included. */
export interface RuleDocument {
  apiVersion: 'portcullis.dev/v1';
  kind: 'Rule';
  name: string;
  description?: string;
  action: Action;
  enabled: boolean;
  timeZone: string;
  scope: {
    name?: string;
    cloud?: { provider: CloudProvider; account?: string }[];
    resources?: { kind: ResourceKind; criterion: ScopeCriterion; value: string }[];
  };
  conditions: {
    severities?: Severity[];
    cves?: string[];
    minCvss?: number;
    fixAvailable?: boolean;
    knownExploited?: boolean;
    moreThan?: number;
  };
  unscanned: UnscannedMode;
  maxScanAge?: string;
  exemptions: { type: ExemptionType; criterion: ExemptionCriterion; value: string; expires?: string; reason?: string }[];
}

// ---- the shape (kept in step with api/rule-schemas.ts, which describes it for OpenAPI) ----

/** A schema whose valid values must also pass `problemOf` (undefined: no problem). */
function checked<S extends z.ZodType>(schema: S, problemOf: (value: z.output<S>) => string | undefined): S {
  return schema.superRefine((value, context) => {
    const message = problemOf(value);
    if (message !== undefined) context.addIssue({ code: 'custom', message });
  }) as S;
}

const nonBlank = checked(z.string(), (text) => (text.trim() === '' ? 'must not be empty' : undefined));

const CloudScope = z.strictObject({ provider: z.enum(CLOUD_PROVIDERS), account: z.string().optional() });

const ResourceScope = z
  .strictObject({ kind: z.enum(RESOURCE_KINDS), criterion: z.enum(SCOPE_CRITERIA), value: z.string() })
  .superRefine((scope, context) => {
    if (scope.kind !== 'LabelSelector') return;
    const problem = labelSelectorProblem(scope.criterion, scope.value);
    if (problem) context.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
  });

const Exemption = z.strictObject({
  type: z.enum(EXEMPTION_TYPES),
  criterion: z.enum(EXEMPTION_CRITERIA),
  value: nonBlank,
  expires: checked(z.string(), calendarDayProblem).optional(),
  reason: z.string().optional(),
});

const RuleDocumentShape = z.strictObject({
  apiVersion: z.literal('portcullis.dev/v1').default('portcullis.dev/v1'),
  kind: z.literal('Rule').default('Rule'),
  name: nonBlank,
  description: z.string().optional(),
  action: z.enum(ACTIONS),
  enabled: z.boolean().default(true),
  timeZone: checked(z.string(), (zone) => (isValidTimeZone(zone) ? undefined : `'${zone}' is not an IANA time zone (e.g. UTC, Europe/Berlin)`)).default('UTC'),
  scope: z
    .strictObject({
      name: z.string().optional(),
      cloud: z.array(CloudScope).optional(),
      resources: z.array(ResourceScope).optional(),
    })
    .default({}),
  conditions: z.strictObject({
    severities: z.array(z.enum(SEVERITIES)).optional(),
    cves: z.array(nonBlank).optional(),
    minCvss: z.number().min(0).max(10).optional(),
    fixAvailable: z.boolean().optional(),
    knownExploited: z.boolean().optional(),
    moreThan: z.number().int().min(0).optional(),
  }),
  unscanned: z.enum(UNSCANNED_MODES).default('Ignore'),
  maxScanAge: checked(z.string(), durationProblem).optional(),
  exemptions: z.array(Exemption).default([]),
});

function calendarDayProblem(day: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (match) {
    const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
    if (date.toISOString().slice(0, 10) === day) return undefined;
  }
  return `'${day}' is not a calendar day (YYYY-MM-DD)`;
}

function durationProblem(text: string): string | undefined {
  try {
    parseDuration(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * A plain `key=value` takes every criterion (it applies to the value); a full selector expression
 * only Equals (matches) or NotEquals (does not match), and must parse, or evaluation could not use it.
 */
function labelSelectorProblem(criterion: ScopeCriterion, value: string): { field: 'criterion' | 'value'; message: string } | undefined {
  const plain = plainEquality(value);
  try {
    parseLabelSelector(plain ? plain.key : value);
  } catch (error) {
    const reason = (error as Error).message.replace(`'${value}': `, '');
    return { field: 'value', message: `'${value}' is not a label selector: ${reason}` };
  }
  if (plain || criterion === 'Equals' || criterion === 'NotEquals') return undefined;
  return { field: 'criterion', message: `'${criterion}' applies only to a plain key=value label; a selector like '${value}' takes Equals or NotEquals` };
}

// ---- one document ----

/**
 * Checks one rule document and fills in its defaults. `where` is the place problems are named
 * by: a prefix alone (`'body'`), or a file, a prefix (`'rule[2]'`) and a way to find lines.
 * Every problem is reported, in document order where lines are known.
 */
export function validateRule(doc: unknown, where: ProblemPlace | string): RuleValidation {
  const place: ProblemPlace = typeof where === 'string' ? { prefix: where } : where;
  const result = RuleDocumentShape.safeParse(doc, { reportInput: true });
  if (result.success) return { rule: result.data, problems: [] };
  return { problems: inLineOrder(problemsOfIssues(result.error.issues, place)) };
}

function inLineOrder(problems: Problem[]): Problem[] {
  if (problems.some((problem) => problem.line === undefined)) return problems;
  return problems.map((problem, index) => ({ problem, index })).sort((a, b) => (a.problem.line ?? 0) - (b.problem.line ?? 0) || a.index - b.index).map(({ problem }) => problem);
}

// ---- files ----

interface LocatedRule {
  readonly rule: Rule;
  readonly file: string;
  readonly prefix: string;
  readonly nameLine?: number;
}

/** A value that should be a rule, and how to find lines inside it. */
interface Entry {
  readonly value: unknown;
  readonly lineOf: (path: readonly PathSegment[]) => number | undefined;
}

const NO_RULES = 'no rules in this file: write a Rule document, several separated by ---, a list of them, or a List with items';

/**
 * Every rule of a file: one document, several YAML documents, a top-level list, or a
 * `kind: List` with `items` (JSON is read as YAML). Rules are numbered across the file from 0
 * (`rule[3]`). Throws one InputError with every problem of every rule; names must be unique
 * (case-insensitive) within the file.
 */
export function parseRuleDocuments(text: string, file: string): Rule[] {
  const { rules, problems } = readRules(text, file);
  if (problems.length > 0) throw new InputError(problems);
  return rules.map((located) => located.rule);
}

/**
 * The rules of several files, with every problem of every file, and names unique across them.
 * `readFile` errors with a `code` (ENOENT, EACCES, …) are problems of that file.
 */
export function readRuleFiles(paths: readonly string[], readFile: (path: string) => string): Rule[] {
  const problems: Problem[] = [];
  const rules: LocatedRule[] = [];
  for (const file of paths) {
    let text: string;
    try {
      text = readFile(file);
    } catch (error) {
      if (!isSystemError(error)) throw error;
      problems.push({ file, message: `cannot be read: ${error.message}` });
      continue;
    }
    try {
      const read = readRules(text, file);
      problems.push(...read.problems);
      if (read.problems.length === 0) rules.push(...read.rules);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(...error.problems);
    }
  }
  const first = new Map<string, LocatedRule>();
  for (const located of rules) {
    const key = located.rule.name.toLowerCase();
    const earlier = first.get(key);
    if (earlier) {
      problems.push({
        file: located.file,
        path: `${located.prefix}.name`,
        ...(located.nameLine !== undefined && { line: located.nameLine }),
        message: `rule name '${located.rule.name}' is also used in ${earlier.file} (${earlier.prefix}): names are unique (case-insensitive)`,
      });
    } else first.set(key, located);
  }
  if (problems.length > 0) throw new InputError(problems);
  return rules.map((located) => located.rule);
}

function isSystemError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}

function readRules(text: string, file: string): { rules: LocatedRule[]; problems: Problem[] } {
  const documents = readDocuments(text, file);
  const problems: Problem[] = [];
  if (documents.length === 0) problems.push({ file, message: NO_RULES });
  const entries = documents.flatMap((document) => entriesOf(document, file, problems));
  const rules: LocatedRule[] = [];
  const names = new Map<string, string>();
  entries.forEach((entry, index) => {
    const place: ProblemPlace = { file, prefix: `rule[${index}]`, lineOf: entry.lineOf };
    const { rule, problems: ruleProblems } = validateRule(entry.value, place);
    const own = [...ruleProblems];
    const name = nameOf(entry.value);
    if (name !== undefined) {
      const key = name.toLowerCase();
      const earlier = names.get(key);
      if (earlier === undefined) names.set(key, place.prefix);
      else own.push(problemAt(place, ['name'], `rule name '${name}' is also used by ${earlier}: names are unique (case-insensitive)`));
    }
    problems.push(...inLineOrder(own));
    if (rule) {
      const nameLine = entry.lineOf(['name']);
      rules.push({ rule, file, prefix: place.prefix, ...(nameLine !== undefined && { nameLine }) });
    }
  });
  return { rules, problems };
}

function nameOf(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const { name } = value;
  return typeof name === 'string' && name.trim() !== '' ? name : undefined;
}

const ListDocument = z.strictObject({
  apiVersion: z.string().optional(),
  kind: z.literal('List'),
  metadata: z.record(z.string(), z.unknown()).optional(),
  items: z.array(z.unknown()),
});

/** The rules a document holds: itself, the items of a top-level list, or of a `kind: List`. */
function entriesOf(document: SourceDocument, file: string, problems: Problem[]): Entry[] {
  const { value } = document;
  if (Array.isArray(value)) return value.map((item: unknown, index) => ({ value: item, lineOf: (path) => document.lineOf([index, ...path]) }));
  if (isRecord(value) && value.kind === 'List') {
    const list = ListDocument.safeParse(value, { reportInput: true });
    if (!list.success) problems.push(...inLineOrder(problemsOfIssues(list.error.issues, { file, prefix: '', lineOf: document.lineOf })));
    const items: unknown = value.items;
    if (!Array.isArray(items)) return [];
    return items.map((item: unknown, index) => ({ value: item, lineOf: (path) => document.lineOf(['items', index, ...path]) }));
  }
  return [{ value, lineOf: document.lineOf }];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- back to a document ----

/**
 * The canonical document of a rule (for export and `rules get -o yaml`): every field in a fixed
 * order, defaults spelled out, absent optional fields left out. It reads back as the same rule.
 */
export function ruleToDocument(rule: Rule): RuleDocument {
  const { scope, conditions } = rule;
  return {
    apiVersion: rule.apiVersion,
    kind: rule.kind,
    name: rule.name,
    ...present('description', rule.description),
    action: rule.action,
    enabled: rule.enabled,
    timeZone: rule.timeZone,
    scope: {
      ...present('name', scope.name),
      ...present('cloud', scope.cloud?.map((cloud) => ({ provider: cloud.provider, ...present('account', cloud.account) }))),
      ...present('resources', scope.resources?.map((resource) => ({ kind: resource.kind, criterion: resource.criterion, value: resource.value }))),
    },
    conditions: {
      ...present('severities', conditions.severities && [...conditions.severities]),
      ...present('cves', conditions.cves && [...conditions.cves]),
      ...present('minCvss', conditions.minCvss),
      ...present('fixAvailable', conditions.fixAvailable),
      ...present('knownExploited', conditions.knownExploited),
      ...present('moreThan', conditions.moreThan),
    },
    unscanned: rule.unscanned,
    ...present('maxScanAge', rule.maxScanAge),
    exemptions: rule.exemptions.map((exemption) => ({
      type: exemption.type,
      criterion: exemption.criterion,
      value: exemption.value,
      ...present('expires', exemption.expires),
      ...present('reason', exemption.reason),
    })),
  };
}

/** `{ key: value }`, or nothing when the value is undefined: an optional field of a document, to spread in. */
export function present<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
