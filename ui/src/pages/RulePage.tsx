// One security rule: in plain words, its configuration and exemptions as they stand now, who
// changed it when (every version), and, for the roles that may, enable, disable and edit.
import { useState } from 'react';
import { stringify } from 'yaml';
import type { ApiClient, Caller, RuleVersionView, RuleView } from '../api.js';
import { ActionBadge } from '../components/badges.js';
import { Failure } from '../components/Failure.js';
import { RuleConfiguration } from '../components/RuleConfiguration.js';
import { RuleEditor } from '../components/RuleEditor.js';
import { formatTime } from '../format.js';
import { formatRoute } from '../route.js';
import { mayChangeRules } from '../roles.js';
import { useLoaded } from '../useApi.js';

interface RuleWithVersions {
  readonly rule: RuleView;
  readonly versions: readonly RuleVersionView[];
}

export function RulePage({ api, id, caller }: { api: ApiClient; id: string; caller: Caller }) {
  const path = `/api/v1/rules/${encodeURIComponent(id)}`;
  const load = async (): Promise<RuleWithVersions> => {
    const rule = await api.get<RuleView>(path);
    const { versions } = await api.get<{ versions: RuleVersionView[] }>(`${path}/versions`);
    return { rule, versions };
  };
  const [loaded, setLoaded] = useLoaded(load, id);
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<unknown>();

  const change = async (made: Promise<RuleView>) => {
    setError(undefined);
    try {
      await made;
      setLoaded(await load());
    } catch (failure) {
      setError(failure);
      throw failure;
    }
  };

  return (
    <section>
      <p>
        <a href="#/rules">← Security rules</a>
      </p>
      {loaded.state === 'loading' && <p className="loading">Loading…</p>}
      {loaded.state === 'failed' && <Failure error={loaded.error} />}
      {loaded.state === 'loaded' && (
        <RuleDetail
          {...loaded.value}
          mayChange={mayChangeRules(caller.role)}
          editing={editing}
          onToggle={(enabled) => change(api.post<RuleView>(`${path}/${enabled ? 'enable' : 'disable'}`, undefined, loaded.value.rule.version)).catch(() => {})}
          onEdit={() => setEditing(true)}
          onCancelEdit={() => setEditing(false)}
          onSave={async (document) => {
            await change(api.put<RuleView>(path, document, loaded.value.rule.version));
            setEditing(false);
          }}
        />
      )}
      {error !== undefined && !editing && <Failure error={error} />}
    </section>
  );
}

function RuleDetail({
  rule,
  versions,
  mayChange,
  editing,
  onToggle,
  onEdit,
  onCancelEdit,
  onSave,
}: RuleWithVersions & {
  mayChange: boolean;
  editing: boolean;
  onToggle: (enabled: boolean) => void;
  onEdit: () => void;
  onCancelEdit: () => void;
  onSave: (document: unknown) => Promise<void>;
}) {
  const { document } = rule;
  return (
    <article className="rule">
      <h1>
        {rule.name} <ActionBadge action={rule.action} /> <span className={rule.enabled ? 'badge enabled' : 'badge disabled'}>{rule.enabled ? 'Enabled' : 'Disabled'}</span>
      </h1>
      <p className="description">{rule.description}</p>
      {document.description !== undefined && <p>{document.description}</p>}
      {mayChange && !editing && (
        <div className="actions">
          <button type="button" onClick={() => onToggle(!rule.enabled)}>
            {rule.enabled ? 'Disable' : 'Enable'}
          </button>
          <button type="button" onClick={onEdit}>
            Edit
          </button>
        </div>
      )}
      {editing && <RuleEditor initial={stringify(document)} submitLabel="Save as a new version" onSubmit={onSave} onCancel={onCancelEdit} />}
      <p>
        <a href={formatRoute({ page: 'events', filters: { rule: rule.name } })}>Admission events where this rule triggered</a>
      </p>
      <h2>Configuration</h2>
      <RuleConfiguration rule={{ ...document, exemptions: rule.exemptions }} />
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
          {[...versions].reverse().map((version) => (
            <tr key={version.version}>
              <td>{version.version}</td>
              <td>{version.change}</td>
              <td>{version.actor}</td>
              <td>{formatTime(version.at)}</td>
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
