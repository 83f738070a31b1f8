// What a webhook pulls from the control plane to keep its snapshot (GET /api/v1/sync/…), made
// from the store's records in one place: the API answers with it and the all-in-one `serve`
// reads its store through it, so both modes see the same data in the same form.
import { z } from 'zod';
import type { Settings } from '../api/settings.js';
import type { Finding } from '../findings/model.js';
import { SEVERITIES } from '../findings/severity.js';
import { CLOUD_PROVIDERS, type Rule } from '../policy/rule.js';
import type { AccountSettings, Cluster, StoredRule, StoredScan } from '../store/store.js';

export const SCAN_PAGE_DEFAULT = 500;
export const SCAN_PAGE_MAX = 1000;
/**
 * Findings per page of scans, whatever `limit` allows (a scan with more comes alone). A webhook
 * parses, checks and stores a page in one go: up to about 70 ms for a full page (measured), rather
 * than seconds for 500 scans of a thousand findings. That is on its sync thread in sensor mode,
 * and on the only thread of the all-in-one `serve`, where it holds admissions back. The bound
 * also keeps the control plane's memory per request and each request's time in check.
 */
export const SCAN_PAGE_FINDINGS = 5_000;

/** A rule changed after the cursor. A deleted rule is a tombstone: no document. */
export interface SyncRule {
  readonly id: string;
  readonly version: number;
  /** The store-wide change sequence of this change. */
  readonly seq: number;
  readonly deleted: boolean;
  readonly document?: Rule;
}

export interface SyncRules {
  /** By seq. */
  readonly rules: readonly SyncRule[];
  /** The highest seq among them, or the cursor asked for when there are none: the next cursor. */
  readonly seq: number;
}

/**
 * A stored scan as the engine needs it: its keys and tags to be found by, its times, and each
 * finding without what only people read (title, url, purl, the source's own severity word, the
 * CVSS vector). A finding is still a Finding, so evidence is built without converting.
 */
export interface SyncScan {
  readonly id: string;
  readonly seq: number;
  /** Digests (or `id:<image id>`) the scan answers for. */
  readonly keys: readonly string[];
  readonly scanner: string;
  readonly scannedAt?: string;
  readonly receivedAt: string;
  /** Normalized `registry/repo:tag` references the report names. */
  readonly tags: readonly string[];
  /** The platform manifest digest: the key its tags point at. */
  readonly manifestDigest?: string;
  readonly findings: readonly Finding[];
}

export interface SyncScans {
  /** By seq. */
  readonly scans: readonly SyncScan[];
  /** The seq of the last scan, or the cursor asked for when there are none: the next cursor. */
  readonly seq: number;
  /** More scans follow: ask again from `seq`. */
  readonly more: boolean;
}

export interface SyncSettings {
  /**
   * The control plane's database, by a random id made once: a webhook whose snapshot came from
   * another (a restored or replaced database, whose sequences start again) starts afresh.
   */
  readonly installation?: string;
  /**
   * The control plane's last change number: a snapshot whose cursors are past it came from this
   * database before it went back in time (restored from a backup, a replica promoted that had
   * not seen the last changes), and starts afresh like one from another database.
   */
  readonly seq?: number;
  readonly settings: Settings;
  /** The accounts with switches set; an account not listed has every switch on. */
  readonly accounts: readonly AccountSettings[];
  readonly clusters: readonly Cluster[];
}

// ---- from the store ---------------------------------------------------------------------------

export function syncRuleOf({ rule, deleted }: { rule: StoredRule; deleted: boolean }): SyncRule {
  return { id: rule.id, version: rule.version, seq: rule.seq, deleted, ...(!deleted && { document: rule.document }) };
}

/** `tags`: every tag the store maps to the scan's keys now, besides those its report named. */
export function syncScanOf(stored: StoredScan, tags: readonly string[] = []): SyncScan {
  const { scan } = stored;
  return {
    id: stored.id,
    seq: stored.seq,
    keys: stored.keys,
    scanner: stored.scanner,
    ...(stored.scannedAt !== undefined && { scannedAt: stored.scannedAt }),
    receivedAt: stored.receivedAt,
    tags: tags.length === 0 ? scan.repoTags : [...new Set([...scan.repoTags, ...tags])],
    ...(scan.manifestDigest !== undefined && { manifestDigest: scan.manifestDigest }),
    findings: scan.findings.map(compactFinding),
  };
}

/** What the engine, the answers and the events read of a finding. */
export function compactFinding(finding: Finding): Finding {
  return {
    id: finding.id,
    aliases: finding.aliases,
    severity: finding.severity,
    ...(finding.cvss !== undefined && { cvss: { score: finding.cvss.score, ...(finding.cvss.version !== undefined && { version: finding.cvss.version }) } }),
    package: { name: finding.package.name, version: finding.package.version },
    ...(finding.fixedVersion !== undefined && { fixedVersion: finding.fixedVersion }),
    fixAvailable: finding.fixAvailable,
    ...(finding.knownExploited === true && { knownExploited: true }),
  };
}

// ---- on the wire ------------------------------------------------------------------------------
// The API documents and checks its answers with these; the HTTP source parses them with the same.
// Objects are not strict: a newer control plane may add fields an older webhook ignores. Rule
// documents are the exception (checked by validateRule): a condition a webhook does not know
// must fail the sync, not be dropped silently.

const Instant = z.iso.datetime({ offset: true });
const Seq = z.number().int().min(0);

export const SyncRuleSchema = z.object({
  id: z.string().min(1),
  version: z.number().int().min(1),
  seq: Seq,
  deleted: z.boolean(),
  document: z.unknown().optional().describe('The rule document; absent for a deleted rule.'),
});

export const SyncRulesSchema = z.object({
  rules: z.array(SyncRuleSchema).describe('Every rule changed after `since`, deleted ones as tombstones, by seq.'),
  seq: Seq.describe('The highest seq answered, or `since` when none: the next `since`.'),
});

export const SyncFindingSchema = z.object({
  id: z.string().min(1),
  aliases: z.array(z.string()),
  severity: z.enum(SEVERITIES),
  cvss: z.object({ score: z.number().min(0).max(10), version: z.string().optional() }).optional(),
  package: z.object({ name: z.string(), version: z.string() }),
  fixedVersion: z.string().optional(),
  fixAvailable: z.boolean(),
  knownExploited: z.boolean().optional(),
});

export const SyncScanSchema = z.object({
  id: z.string().min(1),
  seq: Seq,
  keys: z.array(z.string().min(1)).min(1).describe('Digests, or id:<image id>.'),
  scanner: z.string().min(1),
  scannedAt: Instant.optional(),
  receivedAt: Instant,
  tags: z.array(z.string()).describe('Normalized registry/repository:tag references.'),
  manifestDigest: z.string().optional(),
  findings: z.array(SyncFindingSchema),
});

export const SyncScansSchema = z.object({
  scans: z.array(SyncScanSchema).describe('Scans stored after `since`, by seq, at most `limit`.'),
  seq: Seq.describe('The seq of the last scan answered, or `since` when none: the next `since`.'),
  more: z.boolean().describe('More scans follow: ask again from `seq`.'),
});

const SettingsSchema = z.object({
  retentionDays: z.number().int().min(1),
  recordAllowed: z.boolean(),
  breakGlass: z.object({ enabled: z.boolean() }),
});

const AccountSettingsSchema = z.object({
  provider: z.enum(CLOUD_PROVIDERS),
  account: z.string(),
  gating: z.boolean(),
  registryAccess: z.boolean(),
  securityFindings: z.boolean(),
  updatedAt: Instant,
  updatedBy: z.string(),
});

const ClusterSchema = z.object({
  name: z.string(),
  provider: z.enum(CLOUD_PROVIDERS).optional(),
  account: z.string().optional(),
  registeredAt: Instant,
  lastSeenAt: Instant.optional(),
});

export const SyncSettingsSchema = z.object({
  installation: z.string().optional().describe("The control plane database's id: a webhook seeing another one resyncs from scratch."),
  seq: Seq.optional().describe("The control plane's last change number: a webhook whose cursors are past it (the database went back to a backup) resyncs from scratch."),
  settings: SettingsSchema,
  accounts: z.array(AccountSettingsSchema).describe('Accounts with switches set; an account not listed has every switch on.'),
  clusters: z.array(ClusterSchema),
});
