// The one repository interface of the control plane. Two implementations (sqlite/, postgres/)
// pass the same contract suite. Every method is a transaction of its own: nothing half-written.
import type { AdmissionEvent, EventDecision } from '../events/admission-event.js';
import type { EventSummary } from '../events/event-summary.js';
import type { Finding, ImageScan } from '../findings/model.js';
import type { SeverityCounts } from '../policy/evidence.js';
import type { CloudProvider, Rule } from '../policy/rule.js';
import type { Role } from './roles.js';

/** Times are passed in (ISO-8601 strings), never read from a clock inside the store. */
export type Instant = string;

// ---- tokens -------------------------------------------------------------------------------

export interface TokenRecord {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: Instant;
  readonly createdBy?: string;
  readonly expiresAt?: Instant;
  readonly revokedAt?: Instant;
}

export interface TokenStore {
  /** `hash` is the SHA-256 (hex) of the secret; the secret itself is never stored. */
  create(input: { name: string; role: Role; hash: string; expiresAt?: Instant; createdBy?: string }, at: Instant): Promise<TokenRecord>;
  findByHash(hash: string): Promise<TokenRecord | undefined>;
  list(): Promise<TokenRecord[]>;
  /** Answers the revoked token, or undefined for an unknown id. Revoking twice keeps the first time. */
  revoke(id: string, at: Instant): Promise<TokenRecord | undefined>;
  count(): Promise<number>;
}

// ---- rules --------------------------------------------------------------------------------

export const RULE_CHANGES = ['Created', 'Replaced', 'Enabled', 'Disabled', 'Deleted', 'ExemptionAdded', 'ExemptionRemoved'] as const;
export type RuleChange = (typeof RULE_CHANGES)[number];

export interface StoredRule {
  readonly id: string;
  readonly name: string;
  /** 1 on creation, +1 on every change. */
  readonly version: number;
  readonly document: Rule;
  readonly createdAt: Instant;
  readonly createdBy: string;
  readonly updatedAt: Instant;
  readonly updatedBy: string;
  /** The store-wide change sequence of its last change (for incremental sync). */
  readonly seq: number;
}

export interface RuleVersion {
  readonly ruleId: string;
  readonly version: number;
  readonly name: string;
  readonly document: Rule;
  readonly change: RuleChange;
  readonly actor: string;
  readonly at: Instant;
}

export interface RuleStore {
  /** Every rule not deleted, by name. */
  list(): Promise<StoredRule[]>;
  get(id: string): Promise<StoredRule | undefined>;
  getByName(name: string): Promise<StoredRule | undefined>;
  /** Throws ConflictError when the name (case-insensitive) is taken by a rule not deleted. */
  create(document: Rule, actor: string, at: Instant): Promise<StoredRule>;
  /**
   * Stores a new version. NotFoundError for an unknown or deleted id; ConflictError when the new
   * name is taken, or when `expectedVersion` is given and is not the current version.
   */
  update(id: string, document: Rule, change: RuleChange, actor: string, at: Instant, expectedVersion?: number): Promise<StoredRule>;
  /** Deletes (a last version records who and when); false for an unknown id. */
  delete(id: string, actor: string, at: Instant): Promise<boolean>;
  /** Every version, oldest first; [] for an unknown id. */
  versions(id: string): Promise<RuleVersion[]>;
  /** Rules changed after `seq`, deleted ones as tombstones (document undefined), by seq. */
  changesSince(seq: number): Promise<{ rule: StoredRule; deleted: boolean }[]>;
}

// ---- scans and images ---------------------------------------------------------------------

export interface StoredScan {
  readonly id: string;
  /** What the scan is keyed by: a digest, or `id:<image id>` for reports without digests. */
  readonly keys: readonly string[];
  readonly scanner: string;
  readonly scannedAt?: Instant;
  readonly receivedAt: Instant;
  /** SHA-256 of the normalized scan: the same report posted twice is stored once. */
  readonly reportHash: string;
  readonly scan: ImageScan;
  readonly seq: number;
}

export interface PutScanResult {
  readonly scan: StoredScan;
  /** false: this exact report was already stored, nothing changed. */
  readonly created: boolean;
  /** Ids of the older scans (same key, same scanner) this one replaced. */
  readonly replaced: readonly string[];
}

/** A page of scan changes. */
export interface ScanChanges {
  readonly scans: StoredScan[];
  /** More scans were stored after the page's last. */
  readonly more: boolean;
}

export interface ImageRecord {
  /** The digest (or `id:<image id>`) asked for. */
  readonly key: string;
  readonly tags: readonly string[];
  readonly repoDigests: readonly string[];
  /** The newest scan of each scanner. */
  readonly scans: readonly StoredScan[];
  /** Findings of all scanners, each vulnerability of each package once. */
  readonly findings: readonly Finding[];
  readonly counts: SeverityCounts;
  readonly scannedAt?: Instant;
}

export interface ScanStore {
  /**
   * Stores a scan atomically: a newer scan of the same key from the same scanner replaces the
   * older one (an older one arriving late is kept out: the result names the newer as current).
   */
  put(scan: ImageScan, reportHash: string, at: Instant): Promise<PutScanResult>;
  /** By digest (or `id:<image id>`). */
  image(key: string): Promise<ImageRecord | undefined>;
  /** The key a normalized `registry/repo:tag` was last reported under. */
  keyForTag(tag: string): Promise<string | undefined>;
  /** The tags that point at each of these keys now (see keyForTag), sorted; keys no tag points at are absent. */
  tagsOf(keys: readonly string[]): Promise<Map<string, string[]>>;
  /**
   * Scans stored after `seq`, by seq (for incremental sync to webhooks): at most `limit`, and no
   * more than `maxFindings` findings in all, though always the first scan (see scan-page.ts).
   */
  changesSince(seq: number, limit: number, maxFindings?: number): Promise<ScanChanges>;
}

// ---- admission events ---------------------------------------------------------------------

export interface EventFilter {
  readonly from?: Instant;
  readonly to?: Instant;
  readonly decisions?: readonly EventDecision[];
  readonly cluster?: string;
  readonly namespace?: string;
  /** A rule name (case-insensitive). */
  readonly rule?: string;
  /** An image reference as written, or a digest. */
  readonly image?: string;
  /** A vulnerability id among the matched findings. */
  readonly cve?: string;
  readonly dryRun?: boolean;
}

export interface EventPage {
  /** Newest first, as listed: `get` has each event whole. */
  readonly events: EventSummary[];
  /** Opaque; pass back to get the next (older) page. Absent on the last page. */
  readonly nextCursor?: string;
}

export interface EventStore {
  /** Stores each event once by id: a retried delivery is a no-op. Answers how many were new. */
  insert(events: readonly AdmissionEvent[]): Promise<number>;
  list(filter: EventFilter, page: { limit: number; cursor?: string }): Promise<EventPage>;
  get(id: string): Promise<AdmissionEvent | undefined>;
  /** Deletes events older than `before`; answers how many. */
  prune(before: Instant): Promise<number>;
}

// ---- clusters, accounts, settings ---------------------------------------------------------

export interface Cluster {
  readonly name: string;
  readonly provider?: CloudProvider;
  readonly account?: string;
  readonly registeredAt: Instant;
  readonly lastSeenAt?: Instant;
}

/** The extension switches of a cloud account, as the seeds' Environment Settings have them. */
export interface AccountSettings {
  readonly provider: CloudProvider;
  readonly account: string;
  /** Off: the account's clusters' webhooks allow everything and say so. */
  readonly gating: boolean;
  /** Off: Portcullis does not read the account's registries (no digest resolution there, no attached reports). */
  readonly registryAccess: boolean;
  /** Off: findings of the account's registries are not used; their images count as not scanned. */
  readonly securityFindings: boolean;
  readonly updatedAt: Instant;
  readonly updatedBy: string;
}

/** The switches to set; those left out keep their value. */
export type AccountChange = Partial<Pick<AccountSettings, 'gating' | 'registryAccess' | 'securityFindings'>>;

export interface ClusterStore {
  list(): Promise<Cluster[]>;
  get(name: string): Promise<Cluster | undefined>;
  /** Registers or re-registers (provider and account may change). */
  upsert(cluster: { name: string; provider?: CloudProvider; account?: string }, at: Instant): Promise<Cluster>;
  delete(name: string): Promise<boolean>;
  touch(name: string, at: Instant): Promise<void>;
  listAccounts(): Promise<AccountSettings[]>;
  /** Settings of an account; every switch defaults to on, as in a new environment. */
  account(provider: CloudProvider, account: string): Promise<AccountSettings | undefined>;
  /**
   * Sets the switches `change` names and keeps the others, in one statement, so that two changes
   * of different switches made at once both hold; an account never changed starts with every
   * switch on.
   */
  changeAccount(provider: CloudProvider, account: string, change: AccountChange, actor: string, at: Instant): Promise<AccountSettings>;
}

/** Installation-wide settings as a small key/value map of JSON values. */
export interface SettingsStore {
  get<T>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown, at: Instant): Promise<void>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * The SQLite database's file, for a SQLite store on disk: another thread of this process may
   * open it too (the all-in-one's outbox thread writes its admission events there).
   */
  readonly sqliteFile?: string;
  readonly tokens: TokenStore;
  readonly rules: RuleStore;
  readonly scans: ScanStore;
  readonly events: EventStore;
  readonly clusters: ClusterStore;
  readonly settings: SettingsStore;
  /** Applies pending migrations; safe to run twice and from several replicas at once. */
  migrate(): Promise<void>;
  /** Throws when the database cannot be reached (readiness). */
  ping(): Promise<void>;
  /** The last change number handed out (rules and scans share one sequence; see RuleStore.changesSince). */
  changeSeq(): Promise<number>;
  close(): Promise<void>;
}
