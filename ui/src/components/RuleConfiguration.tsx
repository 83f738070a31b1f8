// A rule's configuration as a person reads it: scope, conditions, what an unscanned image means,
// and its exemptions with whether each is in force. An event shows the rule as it was applied
// (with which exemptions applied there); the rules page shows the rule as it is now.
import type { Conditions, Exemption, Scope, UnscannedMode } from '../../../src/policy/rule.js';

type ShownExemption = Exemption & { readonly state?: 'Active' | 'Expired'; readonly expired?: boolean; readonly applied?: boolean };

export interface ShownRule {
  readonly scope: Scope;
  readonly conditions: Conditions;
  readonly unscanned: UnscannedMode;
  readonly maxScanAge?: string;
  readonly timeZone: string;
  readonly exemptions: readonly ShownExemption[];
}

/** `onRemoveExemption`: offered on each exemption when given (the roles that may change rules). */
export function RuleConfiguration({ rule, onRemoveExemption }: { rule: ShownRule; onRemoveExemption?: (index: number) => void }) {
  const { scope, conditions } = rule;
  const resources = scope.resources ?? [];
  const cloud = scope.cloud ?? [];
  const applied = rule.exemptions.some((exemption) => exemption.applied !== undefined);
  return (
    <div className="rule-configuration">
      <dl className="facts">
        <dt>Scope</dt>
        <dd>
          {scope.name !== undefined && <div>{scope.name}</div>}
          {cloud.length === 0 && resources.length === 0 && <div>every cluster and resource</div>}
          {cloud.map((entry, i) => (
            <div key={`cloud-${i}`}>
              {entry.provider} {entry.account ?? '(every account)'}
            </div>
          ))}
          {resources.map((resource, i) => (
            <div key={`resource-${i}`}>
              {resource.kind} {resource.criterion} <code>{resource.value}</code>
            </div>
          ))}
        </dd>
        <dt>Conditions</dt>
        <dd>
          {conditions.severities !== undefined && conditions.severities.length > 0 && <div>Severities: {conditions.severities.join(', ')}</div>}
          {conditions.cves !== undefined && conditions.cves.length > 0 && <div>Vulnerabilities: {conditions.cves.join(', ')}</div>}
          {conditions.minCvss !== undefined && <div>CVSS at least {conditions.minCvss}</div>}
          {conditions.fixAvailable === true && <div>Only with a fix available</div>}
          {conditions.knownExploited === true && <div>Only known exploited</div>}
          {conditions.moreThan !== undefined && conditions.moreThan > 0 && <div>More than {conditions.moreThan} findings</div>}
        </dd>
        <dt>Unscanned images</dt>
        <dd>{rule.unscanned === 'Trigger' ? 'trigger the rule' : 'are ignored'}</dd>
        {rule.maxScanAge !== undefined && (
          <>
            <dt>Scans older than</dt>
            <dd>{rule.maxScanAge} count as no scan</dd>
          </>
        )}
        <dt>Time zone</dt>
        <dd>{rule.timeZone}</dd>
      </dl>
      {rule.exemptions.length > 0 && (
        <table className="exemptions">
          <thead>
            <tr>
              <th>Exemption</th>
              <th>Expires</th>
              <th>Reason</th>
              <th>State</th>
              {applied && <th>Applied here</th>}
              {onRemoveExemption && <th />}
            </tr>
          </thead>
          <tbody>
            {rule.exemptions.map((exemption, i) => (
              <tr key={i}>
                <td>
                  {exemption.type} {exemption.criterion} <code>{exemption.value}</code>
                </td>
                <td>{exemption.expires ?? 'never'}</td>
                <td>{exemption.reason ?? ''}</td>
                <td>{(exemption.state ?? (exemption.expired === true ? 'Expired' : 'Active')) === 'Active' ? 'Active' : <span className="muted">Expired</span>}</td>
                {applied && <td>{exemption.applied === true ? 'yes' : 'no'}</td>}
                {onRemoveExemption && (
                  <td>
                    <button type="button" onClick={() => onRemoveExemption(i)}>
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
