// The small marks every page uses: a decision, an action, a severity and a row of counts.
import type { EventDecision } from '../../../src/events/admission-event.js';
import { SEVERITIES, type Severity } from '../../../src/findings/severity.js';
import type { SeverityCounts } from '../../../src/policy/evidence.js';

export function DecisionBadge({ decision }: { decision: EventDecision }) {
  return <span className={`badge decision-${decision}`}>{decision}</span>;
}

export function ActionBadge({ action }: { action: 'Audit' | 'Deny' }) {
  return <span className={`badge action-${action}`}>{action}</span>;
}

export function SeverityBadge({ severity }: { severity: Severity }) {
  return <span className={`badge severity-${severity}`}>{severity}</span>;
}

/** Each severity present, worst first, as `3 Critical` marks; a dash when the image has none. */
export function Counts({ counts }: { counts: SeverityCounts }) {
  const present = SEVERITIES.filter((severity) => counts[severity] > 0);
  if (present.length === 0) return <span className="muted">none</span>;
  return (
    <span className="counts">
      {present.map((severity) => (
        <span key={severity} className={`count severity-${severity}`} title={`${counts[severity]} ${severity}`}>
          {counts[severity]} {severity}
        </span>
      ))}
    </span>
  );
}
