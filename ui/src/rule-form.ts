// The rule form's fields, as a person fills them in (texts, toggles, rows), and the rule document
// they make: the same document the API, `rules apply -f` and `evaluate --rules` take, checked
// here by the engine's own validateRule so that the form names every problem before anything is
// sent, and describes the rule in the engine's own words.
import type { Severity } from '../../src/findings/severity.js';
import { describeRule } from '../../src/policy/describe.js';
import { present, validateRule } from '../../src/policy/rule-document.js';
import type { Action, CloudProvider, ExemptionCriterion, ExemptionType, ResourceKind, Rule, ScopeCriterion, UnscannedMode } from '../../src/policy/rule.js';
import type { Problem } from '../../src/problems.js';

export interface CloudRow {
  readonly provider: CloudProvider;
  /** Empty: every account of the provider. */
  readonly account: string;
}

export interface ResourceRow {
  readonly kind: ResourceKind;
  readonly criterion: ScopeCriterion;
  readonly value: string;
}

export interface ExemptionRow {
  readonly type: ExemptionType;
  readonly criterion: ExemptionCriterion;
  readonly value: string;
  /** Off: the exemption holds indefinitely (the seeds' "Default"); on: through the end of `expires`. */
  readonly timeBound: boolean;
  readonly expires: string;
  readonly reason: string;
}

export interface RuleForm {
  readonly name: string;
  readonly description: string;
  readonly action: Action;
  readonly enabled: boolean;
  readonly scopeName: string;
  readonly cloud: readonly CloudRow[];
  readonly resources: readonly ResourceRow[];
  readonly severities: readonly Severity[];
  /** Vulnerability ids, separated by commas, spaces or lines. */
  readonly cves: string;
  /** Numbers as typed: empty is "not set". */
  readonly minCvss: string;
  readonly moreThan: string;
  readonly fixAvailable: boolean;
  readonly knownExploited: boolean;
  readonly unscanned: UnscannedMode;
  readonly maxScanAge: string;
  readonly timeZone: string;
  readonly exemptions: readonly ExemptionRow[];
}

/** A new rule: audit Critical everywhere, the seeds' advice being to start with Audit. */
export const NEW_RULE_FORM: RuleForm = Object.freeze<RuleForm>({
  name: '',
  description: '',
  action: 'Audit',
  enabled: true,
  scopeName: '',
  cloud: [],
  resources: [],
  severities: ['Critical'],
  cves: '',
  minCvss: '',
  moreThan: '',
  fixAvailable: false,
  knownExploited: false,
  unscanned: 'Ignore',
  maxScanAge: '',
  timeZone: 'UTC',
  exemptions: [],
});

export function formOfRule(rule: Rule): RuleForm {
  const { scope, conditions } = rule;
  return {
    name: rule.name,
    description: rule.description ?? '',
    action: rule.action,
    enabled: rule.enabled,
    scopeName: scope.name ?? '',
    cloud: (scope.cloud ?? []).map((cloud) => ({ provider: cloud.provider, account: cloud.account ?? '' })),
    resources: (scope.resources ?? []).map(({ kind, criterion, value }) => ({ kind, criterion, value })),
    severities: [...(conditions.severities ?? [])],
    cves: (conditions.cves ?? []).join(', '),
    minCvss: conditions.minCvss === undefined ? '' : String(conditions.minCvss),
    moreThan: conditions.moreThan === undefined ? '' : String(conditions.moreThan),
    fixAvailable: conditions.fixAvailable === true,
    knownExploited: conditions.knownExploited === true,
    unscanned: rule.unscanned,
    maxScanAge: rule.maxScanAge ?? '',
    timeZone: rule.timeZone,
    exemptions: rule.exemptions.map((exemption) => ({
      type: exemption.type,
      criterion: exemption.criterion,
      value: exemption.value,
      timeBound: exemption.expires !== undefined,
      expires: exemption.expires ?? '',
      reason: exemption.reason ?? '',
    })),
  };
}

/** The rule document the form says: what is left empty is left out, so that defaults apply. */
export function documentOfForm(form: RuleForm): Record<string, unknown> {
  const text = (value: string) => (value.trim() === '' ? undefined : value.trim());
  const number = (value: string) => (value.trim() === '' ? undefined : Number(value));
  const cves = form.cves.split(/[\s,]+/).filter((id) => id !== '');
  const conditions = {
    ...(form.severities.length > 0 && { severities: [...form.severities] }),
    ...(cves.length > 0 && { cves }),
    ...present('minCvss', number(form.minCvss)),
    ...(form.fixAvailable && { fixAvailable: true }),
    ...(form.knownExploited && { knownExploited: true }),
    ...present('moreThan', number(form.moreThan)),
  };
  return {
    apiVersion: 'portcullis.dev/v1',
    kind: 'Rule',
    name: form.name.trim(),
    ...present('description', text(form.description)),
    action: form.action,
    enabled: form.enabled,
    timeZone: text(form.timeZone) ?? 'UTC',
    scope: {
      ...present('name', text(form.scopeName)),
      ...(form.cloud.length > 0 && { cloud: form.cloud.map((row) => ({ provider: row.provider, ...present('account', text(row.account)) })) }),
      ...(form.resources.length > 0 && { resources: form.resources.map((row) => ({ kind: row.kind, criterion: row.criterion, value: row.value.trim() })) }),
    },
    conditions,
    unscanned: form.unscanned,
    ...present('maxScanAge', text(form.maxScanAge)),
    exemptions: form.exemptions.map((row) => ({
      type: row.type,
      criterion: row.criterion,
      value: row.value.trim(),
      ...(row.timeBound && { expires: row.expires }),
      ...present('reason', text(row.reason)),
    })),
  };
}

export interface FormCheck {
  readonly document: Record<string, unknown>;
  /** The rule in plain words, as events and the API will say it; absent while there are problems. */
  readonly description?: string;
  /** Each with its place in the document (`scope.resources[0].value`). */
  readonly problems: readonly Problem[];
}

/** The engine's own check of the form's document, problems named without a prefix. */
export function checkForm(form: RuleForm): FormCheck {
  const document = documentOfForm(form);
  const { rule, problems } = validateRule(document, 'rule');
  const named = problems.map((problem) => ({ ...problem, ...(problem.path !== undefined && { path: problem.path.replace(/^rule\.?/, '') || 'rule' }) }));
  return rule && problems.length === 0 ? { document, description: describeRule(rule), problems: [] } : { document, problems: named };
}
