// Rows as both databases return them (PostgreSQL is configured to hand JSON back as text and
// BIGINT as numbers, see postgres/pool.ts), and their mapping to the interface's records.
import type { AdmissionEvent } from '../events/admission-event.js';
import { currentEvent, type StoredEvent } from '../events/earlier-formats.js';
import { joinEvent, summarizeEvent, type EventDetails, type EventSummary } from '../events/event-summary.js';
import type { ImageScan } from '../findings/model.js';
import type { CloudProvider, Rule } from '../policy/rule.js';
import type { Role } from './roles.js';
import type { AccountSettings, Cluster, RuleChange, RuleVersion, StoredRule, StoredScan, TokenRecord } from './store.js';

/** SQLite has no boolean type: flags come back as 0/1 there, as true/false from PostgreSQL. */
type Flag = boolean | number;

export interface TokenRow {
  id: string;
  name: string;
  role: string;
  created_at: string;
  created_by: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export function tokenOf(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    createdAt: row.created_at,
    ...(row.created_by !== null && { createdBy: row.created_by }),
    ...(row.expires_at !== null && { expiresAt: row.expires_at }),
    ...(row.revoked_at !== null && { revokedAt: row.revoked_at }),
  };
}

export interface RuleRow {
  id: string;
  name: string;
  version: number;
  document: string;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
  deleted_at: string | null;
  seq: number;
}

export function ruleOf(row: RuleRow): StoredRule {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    document: JSON.parse(row.document) as Rule,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
    seq: row.seq,
  };
}

export interface RuleVersionRow {
  rule_id: string;
  version: number;
  name: string;
  document: string;
  change: string;
  actor: string;
  at: string;
}

export function ruleVersionOf(row: RuleVersionRow): RuleVersion {
  return {
    ruleId: row.rule_id,
    version: row.version,
    name: row.name,
    document: JSON.parse(row.document) as Rule,
    change: row.change as RuleChange,
    actor: row.actor,
    at: row.at,
  };
}

export interface ScanRow {
  id: string;
  scanner: string;
  keys: string;
  scanned_at: string | null;
  received_at: string;
  report_hash: string;
  body: string;
  seq: number;
}

export function scanOf(row: ScanRow): StoredScan {
  return {
    id: row.id,
    keys: JSON.parse(row.keys) as string[],
    scanner: row.scanner,
    ...(row.scanned_at !== null && { scannedAt: row.scanned_at }),
    receivedAt: row.received_at,
    reportHash: row.report_hash,
    scan: JSON.parse(row.body) as ImageScan,
    seq: row.seq,
  };
}

/**
 * A listed event: its stored summary, or, for an event stored before there were summaries
 * (migration 5), its body, which is then the whole event, summarized.
 */
export function summaryOf(row: { summary: string | null; body: string | null }): EventSummary {
  if (row.summary !== null) return JSON.parse(row.summary) as EventSummary;
  if (row.body === null) throw new Error('An event row without its summary must bring its body.');
  return summarizeEvent(eventOf({ body: row.body }));
}

/** A stored event whole: its summary and details joined, or, stored before migration 5, its body. */
export function storedEventOf(row: { summary: string | null; body: string }): AdmissionEvent {
  if (row.summary === null) return eventOf(row);
  return joinEvent(JSON.parse(row.summary) as EventSummary, JSON.parse(row.body) as EventDetails);
}

/** A stored event, in this version's shape whichever version stored it. */
export function eventOf(row: { body: string }): AdmissionEvent {
  return currentEvent(JSON.parse(row.body) as StoredEvent);
}

export interface ClusterRow {
  name: string;
  provider: string | null;
  account: string | null;
  registered_at: string;
  last_seen_at: string | null;
}

export function clusterOf(row: ClusterRow): Cluster {
  return {
    name: row.name,
    ...(row.provider !== null && { provider: row.provider as CloudProvider }),
    ...(row.account !== null && { account: row.account }),
    registeredAt: row.registered_at,
    ...(row.last_seen_at !== null && { lastSeenAt: row.last_seen_at }),
  };
}

export interface AccountRow {
  provider: string;
  account: string;
  gating: Flag;
  registry_access: Flag;
  security_findings: Flag;
  updated_at: string;
  updated_by: string;
}

export function accountOf(row: AccountRow): AccountSettings {
  return {
    provider: row.provider as CloudProvider,
    account: row.account,
    gating: Boolean(row.gating),
    registryAccess: Boolean(row.registry_access),
    securityFindings: Boolean(row.security_findings),
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

/** Rows of `image_tags` (tag, key), by key: the tags that point at each key, in the rows' order. */
export function tagsByKey(rows: readonly { readonly tag: string; readonly key: string }[]): Map<string, string[]> {
  const tags = new Map<string, string[]>();
  for (const { tag, key } of rows) {
    const list = tags.get(key);
    if (list) list.push(tag);
    else tags.set(key, [tag]);
  }
  return tags;
}
