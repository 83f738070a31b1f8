// One admission event whole: what was decided and why, for each image its violations and the
// findings they matched, and each rule as it was applied (policy description and configuration).
import type { EventFinding, EventImage, RuleSnapshot } from '../../../src/events/admission-event.js';
import type { AdmissionEvent, ApiClient } from '../api.js';
import { ActionBadge, Counts, DecisionBadge, SeverityBadge } from '../components/badges.js';
import { Failure } from '../components/Failure.js';
import { RuleConfiguration } from '../components/RuleConfiguration.js';
import { formatTime } from '../format.js';
import { formatRoute } from '../route.js';
import { useLoaded } from '../useApi.js';

export function EventPage({ api, id }: { api: ApiClient; id: string }) {
  const [loaded] = useLoaded(() => api.get<AdmissionEvent>(`/api/v1/events/${encodeURIComponent(id)}`), id);
  return (
    <section>
      <p>
        <a href="#/events">← Admission monitoring</a>
      </p>
      {loaded.state === 'loading' && <p className="loading">Loading…</p>}
      {loaded.state === 'failed' && <Failure error={loaded.error} />}
      {loaded.state === 'loaded' && <EventView event={loaded.value} />}
    </section>
  );
}

function EventView({ event }: { event: AdmissionEvent }) {
  return (
    <article className="event">
      <h1>
        <DecisionBadge decision={event.decision} /> {event.kind} {event.namespace}/{event.name}
        {event.dryRun && <span className="badge dry-run">dry run</span>}
      </h1>
      <p className="message">{event.message}</p>
      <dl className="facts">
        <dt>Time</dt>
        <dd>{formatTime(event.time)}</dd>
        <dt>Event id</dt>
        <dd>
          <code>{event.id}</code>
        </dd>
        <dt>Workload</dt>
        <dd>{event.workload}</dd>
        <dt>Operation</dt>
        <dd>{event.operation}</dd>
        <dt>Cluster</dt>
        <dd>{[event.cluster ?? '–', event.provider, event.account].filter((part) => part !== undefined).join(' · ')}</dd>
        {event.user !== undefined && (
          <>
            <dt>User</dt>
            <dd>{event.user}</dd>
          </>
        )}
        <dt>Decided by</dt>
        <dd>{event.source}</dd>
        {event.requestUid !== undefined && (
          <>
            <dt>Request uid</dt>
            <dd>
              <code>{event.requestUid}</code>
            </dd>
          </>
        )}
        {event.breakGlass !== undefined && (
          <>
            <dt>Break-glass reason</dt>
            <dd className="break-glass">{event.breakGlass}</dd>
          </>
        )}
      </dl>
      <h2>Images</h2>
      {event.images.length === 0 && <p className="muted">No images were evaluated.</p>}
      {event.images.map((image, i) => (
        <ImageView key={i} image={image} />
      ))}
      <h2>Rules as applied</h2>
      {event.rules.length === 0 && <p className="muted">No rule triggered.</p>}
      {event.rules.map((rule, i) => (
        <RuleSnapshotView key={i} rule={rule} />
      ))}
    </article>
  );
}

function ImageView({ image }: { image: EventImage }) {
  const findings = new Map(image.findings.map((finding) => [finding.id, finding]));
  return (
    <section className="image">
      <h3 className="reference">
        <a href={formatRoute({ page: 'image', reference: image.digest !== undefined ? `${image.reference.split('@')[0]}@${image.digest}` : image.reference })}>{image.reference}</a>
      </h3>
      <dl className="facts">
        <dt>Digest</dt>
        <dd>{image.digest !== undefined ? <code>{image.digest}</code> : <span className="muted">not resolved</span>}</dd>
        <dt>Scan</dt>
        <dd>{image.scanStatus}</dd>
        <dt>Findings</dt>
        <dd>
          <Counts counts={image.counts} />
        </dd>
      </dl>
      {image.violations.length > 0 && (
        <table className="violations">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Action</th>
              <th>Why</th>
              <th>Worst findings</th>
            </tr>
          </thead>
          <tbody>
            {image.violations.map((violation, i) => (
              <tr key={i}>
                <td>{violation.ruleId !== undefined ? <a href={formatRoute({ page: 'rule', id: violation.ruleId })}>{violation.rule}</a> : violation.rule}</td>
                <td>
                  <ActionBadge action={violation.action} />
                  {!violation.enforced && <div className="muted">recorded, not enforced</div>}
                </td>
                <td>{violation.detail}</td>
                <td>
                  {violation.findings.map((id) => (
                    <FindingLine key={id} id={id} finding={findings.get(id)} />
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {image.matched.length > 0 && (
        <details>
          <summary>Every matched vulnerability ({image.matched.length})</summary>
          <p className="matched">
            {image.matched.map((id) => (
              <a key={id} href={formatRoute({ page: 'events', filters: { cve: id } })}>
                {id}
              </a>
            ))}
          </p>
        </details>
      )}
    </section>
  );
}

function FindingLine({ id, finding }: { id: string; finding: EventFinding | undefined }) {
  if (!finding) return <div>{id}</div>;
  return (
    <div className="finding">
      <SeverityBadge severity={finding.severity} /> <strong>{finding.id}</strong>
      {finding.cvss !== undefined && <span className="muted"> CVSS {finding.cvss.score}</span>} {finding.package} {finding.version}
      {finding.fixedVersion !== undefined ? <span className="fix"> → fixed in {finding.fixedVersion}</span> : <span className="muted"> (no fix yet)</span>}
    </div>
  );
}

function RuleSnapshotView({ rule }: { rule: RuleSnapshot }) {
  return (
    <section className="rule-snapshot">
      <h3>
        {rule.id !== undefined ? <a href={formatRoute({ page: 'rule', id: rule.id })}>{rule.name}</a> : rule.name}
        {rule.version !== undefined && <span className="muted"> version {rule.version}</span>} <ActionBadge action={rule.action} />
      </h3>
      <p className="description">{rule.description}</p>
      <RuleConfiguration rule={rule} />
    </section>
  );
}
