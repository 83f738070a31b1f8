// Security Rules: every rule, in plain words, with its action, state and last change; a new
// rule is written here in a form, or as the YAML document `portcullis rules apply -f` takes.
import { useState } from 'react';
import type { ApiClient, Caller, RuleView } from '../api.js';
import { ActionBadge } from '../components/badges.js';
import { Failure } from '../components/Failure.js';
import { RuleComposer } from '../components/RuleComposer.js';
import { formatTime } from '../format.js';
import { formatRoute } from '../route.js';
import { mayChangeRules } from '../roles.js';
import { useLoaded } from '../useApi.js';

export function RulesPage({ api, caller }: { api: ApiClient; caller: Caller }) {
  const [loaded] = useLoaded(() => api.get<{ rules: RuleView[] }>('/api/v1/rules'), 'rules');
  const [creating, setCreating] = useState(false);
  return (
    <section>
      <h1>Security rules</h1>
      {mayChangeRules(caller.role) && !creating && (
        <button type="button" onClick={() => setCreating(true)}>
          New rule
        </button>
      )}
      {creating && (
        <RuleComposer
          submitLabel="Create rule"
          onCancel={() => setCreating(false)}
          onSubmit={async (document) => {
            const created = await api.post<RuleView>('/api/v1/rules', document);
            window.location.hash = formatRoute({ page: 'rule', id: created.id });
          }}
        />
      )}
      {loaded.state === 'loading' && <p className="loading">Loading…</p>}
      {loaded.state === 'failed' && <Failure error={loaded.error} />}
      {loaded.state === 'loaded' && (
        <table className="rules">
          <thead>
            <tr>
              <th>Name</th>
              <th>Action</th>
              <th>State</th>
              <th>Policy</th>
              <th>Exemptions</th>
              <th>Version</th>
              <th>Changed</th>
            </tr>
          </thead>
          <tbody>
            {loaded.value.rules.map((rule) => (
              <tr key={rule.id} className={rule.enabled ? '' : 'disabled'}>
                <td>
                  <a href={formatRoute({ page: 'rule', id: rule.id })}>{rule.name}</a>
                </td>
                <td>
                  <ActionBadge action={rule.action} />
                </td>
                <td>{rule.enabled ? 'Enabled' : 'Disabled'}</td>
                <td>{rule.description}</td>
                <td>{exemptionsText(rule)}</td>
                <td>{rule.version}</td>
                <td>
                  {formatTime(rule.updatedAt)} <span className="muted">by {rule.updatedBy}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {loaded.state === 'loaded' && loaded.value.rules.length === 0 && <p className="empty">No rules.</p>}
    </section>
  );
}

function exemptionsText(rule: RuleView): string {
  const expired = rule.exemptions.filter((exemption) => exemption.expired).length;
  if (rule.exemptions.length === 0) return 'none';
  return expired > 0 ? `${rule.exemptions.length} (${expired} expired)` : String(rule.exemptions.length);
}
