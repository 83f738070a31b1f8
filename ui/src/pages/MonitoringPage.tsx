// Admission Monitoring: every recorded admission decision, newest first, filtered by time,
// decision, cluster, namespace, rule, image and CVE, page by page.
import { useEffect, useState, type FormEvent } from 'react';
import { EVENT_DECISIONS, type EventDecision } from '../../../src/events/admission-event.js';
import type { ApiClient, EventPage, EventSummary } from '../api.js';
import { Counts, DecisionBadge } from '../components/badges.js';
import { Failure } from '../components/Failure.js';
import { formatTime, instantToLocalInput, localInputToInstant, totalCounts } from '../format.js';
import { formatRoute, type EventFilters } from '../route.js';

const PAGE_SIZE = 50;

/** The events shown for one set of filters (`key`), and whether an older page is on its way. */
interface Shown {
  readonly key: string;
  /** Which Refresh of these filters the events are from. */
  readonly round: number;
  readonly events: readonly EventSummary[];
  readonly nextCursor?: string;
  readonly error?: unknown;
  readonly loadingOlder: boolean;
}

export function MonitoringPage({ api, filters }: { api: ApiClient; filters: EventFilters }) {
  const key = formatRoute({ page: 'events', filters });
  // Refresh loads the same filters again: the rows shown stay until the new answer comes.
  const [round, setRound] = useState(0);
  const [list, setList] = useState<Shown | undefined>();

  useEffect(() => {
    let current = true;
    api.get<EventPage>('/api/v1/events', { ...filters, limit: String(PAGE_SIZE) }).then(
      (page) => current && setList({ key, round, events: page.events, ...(page.nextCursor !== undefined && { nextCursor: page.nextCursor }), loadingOlder: false }),
      (error: unknown) => current && setList({ key, round, events: [], error, loadingOlder: false }),
    );
    return () => {
      current = false;
    };
    // The filters are the hash: `key` says them all.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, key, round]);

  const shown = list?.key === key && list.round === round ? list : undefined;
  const events = (list?.key === key ? list : undefined)?.events ?? [];
  const error = shown?.error;
  const loading = shown === undefined || shown.loadingOlder;
  const nextCursor = shown?.nextCursor;

  const loadOlder = () => {
    if (shown === undefined || nextCursor === undefined) return;
    setList({ ...shown, loadingOlder: true });
    // Each answer lands only on the list it was asked for: the filters may have changed meanwhile.
    const onto = (change: (was: Shown) => Shown) => setList((was) => (was?.key === key && was.round === round ? change(was) : was));
    api.get<EventPage>('/api/v1/events', { ...filters, limit: String(PAGE_SIZE), cursor: nextCursor }).then(
      (page) => onto((was) => ({ key, round, events: [...was.events, ...page.events], ...(page.nextCursor !== undefined && { nextCursor: page.nextCursor }), loadingOlder: false })),
      (failure: unknown) => onto((was) => ({ ...was, error: failure, loadingOlder: false })),
    );
  };

  return (
    <section>
      <h1>Admission monitoring</h1>
      <FilterForm key={key} filters={filters} />
      <div className="actions">
        <button type="button" onClick={() => setRound((count) => count + 1)} disabled={loading}>
          Refresh
        </button>
      </div>
      {error !== undefined && <Failure error={error} />}
      <table className="events">
        <thead>
          <tr>
            <th>Time</th>
            <th>Decision</th>
            <th>Cluster</th>
            <th>Namespace</th>
            <th>Workload</th>
            <th>Images</th>
            <th>Findings</th>
            <th>Rules</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <EventRow key={event.id} event={event} />
          ))}
        </tbody>
      </table>
      {!loading && events.length === 0 && error === undefined && <p className="empty">No admission events match these filters.</p>}
      {loading && <p className="loading">Loading…</p>}
      {!loading && nextCursor !== undefined && (
        <button type="button" onClick={loadOlder}>
          Older events
        </button>
      )}
    </section>
  );
}

function EventRow({ event }: { event: EventSummary }) {
  const href = formatRoute({ page: 'event', id: event.id });
  return (
    <tr>
      <td>
        <a href={href}>{formatTime(event.time)}</a>
      </td>
      <td>
        <DecisionBadge decision={event.decision} />
        {event.dryRun && <span className="badge dry-run">dry run</span>}
      </td>
      <td>{event.cluster ?? <span className="muted">–</span>}</td>
      <td>{event.namespace}</td>
      <td>
        <a href={href}>
          {event.kind} {event.workload}
        </a>
        {event.name !== event.workload && <div className="muted">{event.name}</div>}
      </td>
      <td>
        {event.images.map((image, i) => (
          <div key={i} className="reference" title={image.digest ?? image.scanStatus}>
            {image.reference}
          </div>
        ))}
      </td>
      <td>
        <Counts counts={totalCounts(event.images.map((image) => image.counts))} />
      </td>
      <td>{event.rules.join(', ')}</td>
    </tr>
  );
}

/** The filters as a form: applying it writes them to the URL's hash, which loads the list. */
function FilterForm({ filters }: { filters: EventFilters }) {
  const [draft, setDraft] = useState<EventFilters>(filters);
  const field = (name: 'cluster' | 'namespace' | 'rule' | 'image' | 'cve', label: string, placeholder: string) => (
    <label>
      {label}
      <input name={name} value={draft[name] ?? ''} placeholder={placeholder} onChange={(event) => setDraft({ ...draft, [name]: event.target.value })} />
    </label>
  );
  const toggleDecision = (decision: EventDecision, on: boolean) => {
    const chosen = new Set(draft.decision ?? []);
    if (on) chosen.add(decision);
    else chosen.delete(decision);
    setDraft({ ...draft, decision: EVENT_DECISIONS.filter((d) => chosen.has(d)) });
  };
  const apply = (event: FormEvent) => {
    event.preventDefault();
    window.location.hash = formatRoute({ page: 'events', filters: draft });
  };
  return (
    <form className="filters" onSubmit={apply} aria-label="Filters">
      <fieldset>
        <legend>Decision</legend>
        {EVENT_DECISIONS.map((decision) => (
          <label key={decision} className="check">
            <input type="checkbox" name="decision" value={decision} checked={draft.decision?.includes(decision) ?? false} onChange={(event) => toggleDecision(decision, event.target.checked)} />
            {decision}
          </label>
        ))}
      </fieldset>
      <label>
        From
        <input type="datetime-local" name="from" value={instantToLocalInput(draft.from)} onChange={(event) => setDraft({ ...draft, from: localInputToInstant(event.target.value) })} />
      </label>
      <label>
        To
        <input type="datetime-local" name="to" value={instantToLocalInput(draft.to)} onChange={(event) => setDraft({ ...draft, to: localInputToInstant(event.target.value) })} />
      </label>
      {field('cluster', 'Cluster', 'prod-eu')}
      {field('namespace', 'Namespace', 'prod-payments')}
      {field('rule', 'Rule', 'rule name')}
      {field('image', 'Image', 'reference or digest')}
      {field('cve', 'CVE', 'CVE-2024-1234')}
      <label>
        Dry runs
        <select name="dryRun" value={draft.dryRun ?? ''} onChange={(event) => setDraft({ ...draft, dryRun: event.target.value })}>
          <option value="">included</option>
          <option value="false">left out</option>
          <option value="true">only</option>
        </select>
      </label>
      <div className="actions">
        <button type="submit">Apply filters</button>
        <a href="#/events">Clear</a>
      </div>
    </form>
  );
}
