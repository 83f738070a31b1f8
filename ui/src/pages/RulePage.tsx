// One security rule: in plain words, its configuration and exemptions as they stand now, who
// changed it when (every version), and, for the roles that may: enable, disable, edit (in the form or as YAML),
// add or remove an exemption, delete. Every change names the version it was made on (If-Match),
// so a change made meanwhile by someone else is refused (409), never overwritten.
import { useState } from 'react';
import { stringify } from 'yaml';
import type { Exemption } from '../../../src/policy/rule.js';
import type { ApiClient, Caller, RuleVersionView, RuleView } from '../api.js';
import { ActionBadge } from '../components/badges.js';
import { ExemptionForm } from '../components/ExemptionForm.js';
import { Failure } from '../components/Failure.js';
import { RuleConfiguration } from '../components/RuleConfiguration.js';
import { RuleComposer } from '../components/RuleComposer.js';
import { formatTime } from '../format.js';
import { formatRoute } from '../route.js';
import { mayChangeRules } from '../roles.js';
import { useLoaded } from '../useApi.js';

interface RuleWithVersions {
  readonly rule: RuleView;
  readonly versions: readonly RuleVersionView[];
}

/** What the page is doing besides showing the rule. */
type Mode = 'viewing' | 'editing' | 'exempting' | 'deleting';

/** The rule's changes, each based on the version shown. */
interface RuleChanges {
  toggle(enabled: boolean): Promise<void>;
  replace(document: unknown): Promise<void>;
  addExemption(exemption: Exemption): Promise<void>;
  removeExemption(index: number): Promise<void>;
  remove(): Promise<void>;
}

export function RulePage({ api, id, caller }: { api: ApiClient; id: string; caller: Caller }) {
  const path = `/api/v1/rules/${encodeURIComponent(id)}`;
  const load = async (): Promise<RuleWithVersions> => {
    const rule = await api.get<RuleView>(path);
    const { versions } = await api.get<{ versions: RuleVersionView[] }>(`${path}/versions`);
    return { rule, versions };
  };
  const [loaded, setLoaded] = useLoaded(load, id);
  const [mode, setMode] = useState<Mode>('viewing');
  const [error, setError] = useState<unknown>();

  /** A change made, then the rule and its versions read again; a refusal is shown, and thrown to a form that shows it itself. */
  const changed = async (made: Promise<unknown>, shown = true) => {
    setError(undefined);
    try {
      await made;
      setLoaded(await load());
      setMode('viewing');
    } catch (failure) {
      if (shown) setError(failure);
      throw failure;
    }
  };

  if (loaded.state !== 'loaded') {
    return (
      <section>
        <BackToRules />
        {loaded.state === 'loading' ? <p className="loading">Loading…</p> : <Failure error={loaded.error} />}
      </section>
    );
  }
  const version = loaded.value.rule.version;
  const changes: RuleChanges = {
    toggle: (enabled) => changed(api.post(`${path}/${enabled ? 'enable' : 'disable'}`, undefined, version)).catch(() => {}),
    replace: (document) => changed(api.put(path, document, version), false),
    addExemption: (exemption) => changed(api.post(`${path}/exemptions`, exemption, version), false),
    removeExemption: (index) => changed(api.delete(`${path}/exemptions/${index}`, version)).catch(() => {}),
    remove: async () => {
      setError(undefined);
      try {
        await api.delete(path);
        window.location.hash = formatRoute({ page: 'rules' });
      } catch (failure) {
        setError(failure);
      }
    },
  };
  return (
    <section>
      <BackToRules />
      <RuleDetail {...loaded.value} mayChange={mayChangeRules(caller.role)} mode={mode} setMode={setMode} changes={changes} />
      {error !== undefined && <Failure error={error} />}
    </section>
  );
}

function BackToRules() {
  return (
    <p>
      <a href="#/rules">← Security rules</a>
    </p>
  );
}

function RuleDetail({ rule, versions, mayChange, mode, setMode, changes }: RuleWithVersions & { mayChange: boolean; mode: Mode; setMode: (mode: Mode) => void; changes: RuleChanges }) {
  const { document } = rule;
  const cancel = () => setMode('viewing');
  return (
    <article className="rule">
      <h1>
        {rule.name} <ActionBadge action={rule.action} /> <span className={rule.enabled ? 'badge enabled' : 'badge disabled'}>{rule.enabled ? 'Enabled' : 'Disabled'}</span>
      </h1>
      <p className="description">{rule.description}</p>
      {document.description !== undefined && <p>{document.description}</p>}
      {mayChange && mode === 'viewing' && (
        <div className="actions">
          <button type="button" onClick={() => void changes.toggle(!rule.enabled)}>
            {rule.enabled ? 'Disable' : 'Enable'}
          </button>
          <button type="button" onClick={() => setMode('editing')}>
            Edit
          </button>
          <button type="button" onClick={() => setMode('exempting')}>
            Add exemption
          </button>
          <button type="button" onClick={() => setMode('deleting')}>
            Delete
          </button>
        </div>
      )}
      {mode === 'deleting' && (
        <div className="confirm" role="group" aria-label="Delete the rule">
          <p>
            Delete the rule <strong>{rule.name}</strong>? It is no longer evaluated; its versions stay readable, and its events keep the rule as it was applied.
          </p>
          <div className="actions">
            <button type="button" className="danger" onClick={() => void changes.remove()}>
              Delete the rule
            </button>
            <button type="button" onClick={cancel}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {mode === 'editing' && <RuleComposer initial={document} submitLabel="Save as a new version" onSubmit={changes.replace} onCancel={cancel} />}
      {mode === 'exempting' && <ExemptionForm onAdd={changes.addExemption} onCancel={cancel} />}
      <p>
        <a href={formatRoute({ page: 'events', filters: { rule: rule.name } })}>Admission events where this rule triggered</a>
      </p>
      <h2>Configuration</h2>
      <RuleConfiguration rule={{ ...document, exemptions: rule.exemptions }} {...(mayChange && mode === 'viewing' && { onRemoveExemption: (index: number) => void changes.removeExemption(index) })} />
      <h2>Versions</h2>
      <table className="versions">
        <thead>
          <tr>
            <th>Version</th>
            <th>Change</th>
            <th>By</th>
            <th>When</th>
          </tr>
        </thead>
        <tbody>
          {[...versions].reverse().map((entry) => (
            <tr key={entry.version}>
              <td>{entry.version}</td>
              <td>{entry.change}</td>
              <td>{entry.actor}</td>
              <td>{formatTime(entry.at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <details>
        <summary>The rule document (YAML, as `portcullis rules apply -f` takes it)</summary>
        <pre>{stringify(document)}</pre>
      </details>
    </article>
  );
}
