// Where the UI is, kept in the URL's hash so that every view (a filtered list of events, one
// event, one rule) can be bookmarked and shared, and the control plane serves one page.
// Four routes need no router library.
import { EVENT_DECISIONS, type EventDecision } from '../../src/events/admission-event.js';

export const EVENT_FILTER_FIELDS = ['from', 'to', 'cluster', 'namespace', 'rule', 'image', 'cve', 'dryRun'] as const;
export type EventFilterField = (typeof EVENT_FILTER_FIELDS)[number];

/** The filters of GET /api/v1/events, as the list's URL holds them. */
export interface EventFilters extends Partial<Record<EventFilterField, string>> {
  readonly decision?: readonly EventDecision[];
}

export type Route =
  | { readonly page: 'events'; readonly filters: EventFilters }
  | { readonly page: 'event'; readonly id: string }
  | { readonly page: 'rules' }
  | { readonly page: 'rule'; readonly id: string }
  /** An image by the reference written in a spec, or by digest: what the scans say of it. */
  | { readonly page: 'image'; readonly reference: string }
  /** Clusters, their cloud accounts' switches, and the installation's settings. */
  | { readonly page: 'environment' }
  | { readonly page: 'tokens' }
  | { readonly page: 'scans' };

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?', 2);
  const parts = path.split('/').filter((part) => part !== '').map(safeDecode);
  if (parts[0] === 'events' && parts[1] !== undefined) return { page: 'event', id: parts[1] };
  if (parts[0] === 'rules') return parts[1] !== undefined ? { page: 'rule', id: parts[1] } : { page: 'rules' };
  if (parts[0] === 'images' && parts[1] !== undefined) return { page: 'image', reference: parts[1] };
  if (parts[0] === 'environment') return { page: 'environment' };
  if (parts[0] === 'tokens') return { page: 'tokens' };
  if (parts[0] === 'scans') return { page: 'scans' };
  return { page: 'events', filters: parseFilters(new URLSearchParams(search)) };
}

export function formatRoute(route: Route): string {
  switch (route.page) {
    case 'events': {
      const params = new URLSearchParams();
      for (const decision of route.filters.decision ?? []) params.append('decision', decision);
      for (const field of EVENT_FILTER_FIELDS) {
        const value = route.filters[field];
        if (value !== undefined && value !== '') params.append(field, value);
      }
      const search = params.toString();
      return search === '' ? '#/events' : `#/events?${search}`;
    }
    case 'event':
      return `#/events/${encodeURIComponent(route.id)}`;
    case 'rules':
      return '#/rules';
    case 'rule':
      return `#/rules/${encodeURIComponent(route.id)}`;
    case 'image':
      return `#/images/${encodeURIComponent(route.reference)}`;
    case 'environment':
      return '#/environment';
    case 'tokens':
      return '#/tokens';
    case 'scans':
      return '#/scans';
  }
}

function parseFilters(params: URLSearchParams): EventFilters {
  const known = new Set<string>(EVENT_DECISIONS);
  const decision = params.getAll('decision').filter((value): value is EventDecision => known.has(value));
  const filters: Partial<Record<EventFilterField, string>> = {};
  for (const field of EVENT_FILTER_FIELDS) {
    const value = params.get(field);
    if (value !== null && value !== '') filters[field] = value;
  }
  return decision.length > 0 ? { ...filters, decision } : filters;
}

/** A hand-edited hash with a stray `%` is a path, not an error. */
function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
