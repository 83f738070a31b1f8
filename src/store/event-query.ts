// The SQL behind events.list(), for both databases (they differ only in placeholders and
// booleans). Newest first by (time, id); a filter on rule, image or CVE walks that side table's
// (value, time, id) key in order, so a page costs the same for rare and common values. SQLite
// finds a CVE's events in an index of its own (sqlite/event-cve-terms.ts), with the conditions
// and the SELECT made here.
import type { EventDecision } from '../events/admission-event.js';
import { cveFilterKey, ruleFilterKey } from './event-index.js';
import { encodeCursor, type EventPosition } from './event-cursor.js';
import { millisOf } from './instants.js';
import { summaryOf } from './rows.js';
import type { EventFilter, EventPage } from './store.js';

export interface SqlDialect {
  /** The placeholder of the n-th parameter (1-based): `?` or `$n`. */
  placeholder(n: number): string;
  flag(value: boolean): boolean | number;
  /** Where an event `e`'s summary is (migration 5): its expression, and what the FROM joins for it. */
  readonly summary: { readonly column: string; readonly join: string };
}

export interface Sql {
  readonly text: string;
  readonly params: readonly unknown[];
}

/** Side tables, most selective first: the first one the filter names drives the query. */
const SIDE_FILTERS = [
  { name: 'cve', table: 'event_cves', column: 'cve', key: cveFilterKey },
  { name: 'image', table: 'event_images', column: 'image', key: (image: string) => image },
  { name: 'rule', table: 'event_rules', column: 'rule_key', key: ruleFilterKey },
] as const;

export function eventListQuery(filter: EventFilter, limit: number, after: EventPosition | undefined, dialect: SqlDialect): Sql {
  const params: unknown[] = [];
  const p = placeholders(params, dialect);
  const [driver, ...others] = sideFilters(filter);
  // The (time, id) the page is ordered by: the driving side table's copy when there is one, so
  // the database can walk that table's key without sorting.
  const time = driver ? 'x.time_ms' : 'e.time_ms';
  const id = driver ? 'x.event_id' : 'e.id';
  const where: string[] = [];
  // CROSS JOIN makes SQLite keep the side table as the outer loop; PostgreSQL plans it freely.
  const from = driver ? `${driver.table} x CROSS JOIN events e` : 'events e';
  if (driver) where.push(`x.${driver.column} = ${p(driver.value)}`, 'e.id = x.event_id');
  if (filter.from !== undefined) where.push(`${time} >= ${p(millisOf(filter.from, 'from'))}`);
  if (filter.to !== undefined) where.push(`${time} < ${p(millisOf(filter.to, 'to'))}`);
  if (after) where.push(`(${time}, ${id}) < (${p(after.timeMs)}, ${p(after.id)})`);
  where.push(...eventConditions(filter, others, p, dialect));
  return { text: selectEvents(dialect, from, where, `${time} DESC, ${id} DESC`, p(limit)), params };
}

/** A function that adds a parameter and answers its placeholder. */
export type Placeholders = (value: unknown) => string;

export function placeholders(params: unknown[], dialect: SqlDialect): Placeholders {
  return (value) => {
    params.push(value);
    return dialect.placeholder(params.length);
  };
}

export interface SideFilter {
  readonly name: 'cve' | 'image' | 'rule';
  readonly table: string;
  readonly column: string;
  /** The value as the side table holds it. */
  readonly value: string;
}

/** The side tables the filter names, the most selective first. */
export function sideFilters(filter: EventFilter): SideFilter[] {
  return SIDE_FILTERS.flatMap((side) => {
    const value = filter[side.name];
    return value === undefined ? [] : [{ name: side.name, table: side.table, column: side.column, value: side.key(value) }];
  });
}

/** The conditions on the event `e` itself, and that it has a row in each of `sides`. */
export function eventConditions(filter: EventFilter, sides: readonly SideFilter[], p: Placeholders, dialect: SqlDialect): string[] {
  const where: string[] = [];
  const decisions = [...new Set<EventDecision>(filter.decisions ?? [])];
  if (decisions.length === 1) where.push(`e.decision = ${p(decisions[0])}`);
  if (decisions.length > 1) where.push(`e.decision IN (${decisions.map(p).join(', ')})`);
  if (filter.cluster !== undefined) where.push(`e.cluster = ${p(filter.cluster)}`);
  if (filter.namespace !== undefined) where.push(`e.namespace = ${p(filter.namespace)}`);
  if (filter.dryRun !== undefined) where.push(`e.dry_run = ${p(dialect.flag(filter.dryRun))}`);
  for (const side of sides) {
    where.push(`EXISTS (SELECT 1 FROM ${side.table} s WHERE s.${side.column} = ${p(side.value)} AND s.time_ms = e.time_ms AND s.event_id = e.id)`);
  }
  return where;
}

/** The page's SELECT: `limit` is a placeholder, or absent for every row. */
export function selectEvents(dialect: SqlDialect, from: string, where: readonly string[], orderBy: string, limit?: string): string {
  const { column, join } = dialect.summary;
  return [
    // The body only of an event without a summary (stored before migration 5): it is summarized from it.
    `SELECT e.id, e.time_ms, ${column} AS summary, CASE WHEN ${column} IS NULL THEN e.body END AS body`,
    `FROM ${from}${join}`,
    ...(where.length > 0 ? [`WHERE ${where.join('\n  AND ')}`] : []),
    `ORDER BY ${orderBy}`,
    ...(limit === undefined ? [] : [`LIMIT ${limit}`]),
  ].join('\n');
}

/** One event by id, whole: its body and, stored since migration 5, its summary (rows.storedEventOf joins them). */
export function selectEvent(dialect: SqlDialect): string {
  const { column, join } = dialect.summary;
  return `SELECT e.body, ${column} AS summary FROM events e${join} WHERE e.id = ${dialect.placeholder(1)}`;
}

export interface EventListRow {
  id: string;
  time_ms: number;
  summary: string | null;
  /** Only where there is no summary. */
  body: string | null;
}

/** A page size the query can use: a whole number, at least 1. */
export function pageLimit(limit: number): number {
  return Number.isFinite(limit) ? Math.max(1, Math.floor(limit)) : 1;
}

/** The page of rows fetched with LIMIT limit + 1: the extra row only says that another page exists. */
export function pageOf(rows: readonly EventListRow[], limit: number): EventPage {
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    events: shown.map(summaryOf),
    ...(rows.length > limit && last && { nextCursor: encodeCursor({ timeMs: last.time_ms, id: last.id }) }),
  };
}
