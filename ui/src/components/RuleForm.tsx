// The seeds' rule wizard on one page: name and action, scope (cloud accounts and resources, each
// with its matching criterion), the conditions that trigger it, what an unscanned image means,
// exemptions (indefinite or through a day), and a review of the rule in the engine's own words
// with every problem named before it is saved.
import type { FormEvent, ReactNode } from 'react';
import { SEVERITIES, type Severity } from '../../../src/findings/severity.js';
import { ACTIONS, CLOUD_PROVIDERS, EXEMPTION_CRITERIA, EXEMPTION_TYPES, RESOURCE_KINDS, SCOPE_CRITERIA, UNSCANNED_MODES } from '../../../src/policy/rule.js';
import { checkForm, type CloudRow, type ExemptionRow, type ResourceRow, type RuleForm as RuleFormFields } from '../rule-form.js';
import { useSubmission } from '../useSubmission.js';
import { Failure } from './Failure.js';
import { SendOrCancel } from './SendOrCancel.js';

interface Props {
  readonly form: RuleFormFields;
  readonly onChange: (form: RuleFormFields) => void;
  readonly submitLabel: string;
  readonly onSubmit: (document: unknown) => Promise<void>;
  readonly onCancel: () => void;
}

const NEW_RESOURCE: ResourceRow = { kind: 'Namespace', criterion: 'Equals', value: '' };
const NEW_CLOUD: CloudRow = { provider: 'aws', account: '' };
const NEW_EXEMPTION: ExemptionRow = { type: 'CVE', criterion: 'Equals', value: '', timeBound: false, expires: '', reason: '' };

export function RuleForm({ form, onChange, submitLabel, onSubmit, onCancel }: Props) {
  const { busy, error, send } = useSubmission();
  const check = checkForm(form);
  const set = <K extends keyof RuleFormFields>(key: K, value: RuleFormFields[K]) => onChange({ ...form, [key]: value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    send(() => onSubmit(check.document));
  };
  return (
    <form className="rule-form" onSubmit={submit} aria-label="Rule">
      <fieldset>
        <legend>Rule</legend>
        <label>
          Rule name
          <input name="name" value={form.name} onChange={(event) => set('name', event.target.value)} placeholder="deny-critical-in-prod" />
        </label>
        <label className="wide">
          Description
          <input name="description" value={form.description} onChange={(event) => set('description', event.target.value)} />
        </label>
        <label>
          Action
          <select name="action" value={form.action} onChange={(event) => set('action', event.target.value as RuleFormFields['action'])}>
            {ACTIONS.map((action) => (
              <option key={action}>{action}</option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={form.enabled} onChange={(event) => set('enabled', event.target.checked)} />
          Enabled
        </label>
        {form.action === 'Deny' && (
          <p className="notice" role="note">
            Deny refuses the workloads it matches at <code>kubectl apply</code>. Start with Audit to see what a rule would stop, then change it to Deny.
          </p>
        )}
      </fieldset>

      <fieldset>
        <legend>Scope</legend>
        <label>
          Scope name
          <input name="scopeName" value={form.scopeName} onChange={(event) => set('scopeName', event.target.value)} placeholder="production" />
        </label>
        <p className="muted">Every row must hold; no rows: every cluster and resource.</p>
        <Rows
          label="Cloud scope"
          rows={form.cloud}
          onChange={(rows) => set('cloud', rows)}
          fresh={NEW_CLOUD}
          render={(row, change) => (
            <>
              <Select label="Provider" value={row.provider} options={CLOUD_PROVIDERS} onChange={(provider) => change({ ...row, provider })} />
              <label>
                Account, subscription or project
                <input value={row.account} onChange={(event) => change({ ...row, account: event.target.value })} placeholder="every account" />
              </label>
            </>
          )}
        />
        <Rows
          label="Resource scope"
          rows={form.resources}
          onChange={(rows) => set('resources', rows)}
          fresh={NEW_RESOURCE}
          render={(row, change) => (
            <>
              <Select label="Resource" value={row.kind} options={RESOURCE_KINDS} onChange={(kind) => change({ ...row, kind })} />
              <Select label="Matching criterion" value={row.criterion} options={SCOPE_CRITERIA} onChange={(criterion) => change({ ...row, criterion })} />
              <label>
                Value
                <input value={row.value} onChange={(event) => change({ ...row, value: event.target.value })} placeholder={row.kind === 'LabelSelector' ? 'tier=frontend' : 'prod-'} />
              </label>
            </>
          )}
        />
      </fieldset>

      <fieldset>
        <legend>Conditions</legend>
        <div className="row" role="group" aria-label="Severities">
          {SEVERITIES.map((severity) => (
            <label key={severity} className="check">
              <input type="checkbox" checked={form.severities.includes(severity)} onChange={(event) => set('severities', toggled(form.severities, severity, event.target.checked))} />
              {severity}
            </label>
          ))}
        </div>
        <label className="wide">
          Vulnerability ids
          <input name="cves" value={form.cves} onChange={(event) => set('cves', event.target.value)} placeholder="CVE-2021-44228, GHSA-…" />
        </label>
        <label>
          CVSS at least
          <input name="minCvss" type="number" min="0" max="10" step="0.1" value={form.minCvss} onChange={(event) => set('minCvss', event.target.value)} />
        </label>
        <label>
          More than this many findings
          <input name="moreThan" type="number" min="0" step="1" value={form.moreThan} onChange={(event) => set('moreThan', event.target.value)} />
        </label>
        <label className="check">
          <input type="checkbox" checked={form.fixAvailable} onChange={(event) => set('fixAvailable', event.target.checked)} />
          Only findings with a fix
        </label>
        <label className="check">
          <input type="checkbox" checked={form.knownExploited} onChange={(event) => set('knownExploited', event.target.checked)} />
          Only known exploited
        </label>
      </fieldset>

      <fieldset>
        <legend>Scans</legend>
        <Select label="Images without a scan" value={form.unscanned} options={UNSCANNED_MODES} onChange={(unscanned) => set('unscanned', unscanned)} />
        <label>
          A scan older than this counts as none
          <input name="maxScanAge" value={form.maxScanAge} onChange={(event) => set('maxScanAge', event.target.value)} placeholder="30d" />
        </label>
        <label>
          Time zone of exemption days
          <input name="timeZone" value={form.timeZone} onChange={(event) => set('timeZone', event.target.value)} />
        </label>
      </fieldset>

      <fieldset>
        <legend>Exemptions</legend>
        <Rows
          label="Exemption"
          rows={form.exemptions}
          onChange={(rows) => set('exemptions', rows)}
          fresh={NEW_EXEMPTION}
          render={(row, change) => (
            <>
              <Select label="Exempt" value={row.type} options={EXEMPTION_TYPES} onChange={(type) => change({ ...row, type })} />
              <Select label="Criterion" value={row.criterion} options={EXEMPTION_CRITERIA} onChange={(criterion) => change({ ...row, criterion })} />
              <label>
                Value
                <input value={row.value} onChange={(event) => change({ ...row, value: event.target.value })} />
              </label>
              <label className="check">
                <input type="checkbox" checked={row.timeBound} onChange={(event) => change({ ...row, timeBound: event.target.checked })} />
                Time-bound
              </label>
              {row.timeBound && (
                <label>
                  Until (the last day it holds)
                  <input type="date" value={row.expires} onChange={(event) => change({ ...row, expires: event.target.value })} />
                </label>
              )}
              <label>
                Reason
                <input value={row.reason} onChange={(event) => change({ ...row, reason: event.target.value })} />
              </label>
            </>
          )}
        />
      </fieldset>

      <section className="review" aria-label="Review">
        <h3>Review</h3>
        {check.description !== undefined ? <p className="description">{check.description}</p> : <p className="muted">The rule is not complete yet:</p>}
        {check.problems.length > 0 && (
          <ul className="problems">
            {check.problems.map((problem, i) => (
              <li key={i}>
                <code>{problem.path}</code>: {problem.message}
              </li>
            ))}
          </ul>
        )}
      </section>
      {error !== undefined && <Failure error={error} />}
      <SendOrCancel label={submitLabel} busy={busy} incomplete={check.problems.length > 0} onCancel={onCancel} />
    </form>
  );
}

/** A list of rows of the same fields, each removable, and one more added on request. */
function Rows<T>({ label, rows, onChange, fresh, render }: { label: string; rows: readonly T[]; onChange: (rows: T[]) => void; fresh: T; render: (row: T, change: (row: T) => void) => ReactNode }) {
  return (
    <div className="rows" role="group" aria-label={label}>
      {rows.map((row, i) => (
        <div key={i} className="row" role="group" aria-label={`${label} ${i + 1}`}>
          {render(row, (changed) => onChange(rows.map((old, at) => (at === i ? changed : old))))}
          <button type="button" onClick={() => onChange(rows.filter((_old, at) => at !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...rows, fresh])}>
        Add {label.toLowerCase()}
      </button>
    </div>
  );
}

function Select<T extends string>({ label, value, options, onChange }: { label: string; value: T; options: readonly T[]; onChange: (value: T) => void }) {
  return (
    <label>
      {label}
      <select value={value} onChange={(event) => onChange(event.target.value as T)}>
        {options.map((option) => (
          <option key={option}>{option}</option>
        ))}
      </select>
    </label>
  );
}

function toggled(severities: readonly Severity[], severity: Severity, on: boolean): Severity[] {
  const chosen = new Set(severities);
  if (on) chosen.add(severity);
  else chosen.delete(severity);
  return SEVERITIES.filter((s) => chosen.has(s));
}
