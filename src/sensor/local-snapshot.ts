// The webhook's last-known-good snapshot, kept in `snapshot.db` in its data directory, so that a
// restart serves what was synced before even while the control plane is away. Rules and
// settings sit in memory; tags and findings stay on disk, and what admission asks about (the key
// a tag names, the evidence of an image, built on demand) is kept in bounded LRUs (a hit is a
// Map lookup, no I/O), so that memory does not grow with the snapshot. What they do not hold
// the webhook's snapshot reads in a thread of its own (snapshot-reader.ts), never on the
// admission thread.
import { getHeapStatistics } from 'node:v8';
import { DEFAULT_SETTINGS, type Settings } from '../api/settings.js';
import { mergeFindings } from '../findings/catalog.js';
import type { Finding, ImageScan, ScannerKind } from '../findings/model.js';
import { taggedName, type ImageReference } from '../images/reference.js';
import { compileRule, type CompiledRule } from '../policy/compile.js';
import { compareFindings, ImageEvidence } from '../policy/evidence.js';
import type { CloudProvider, Rule } from '../policy/rule.js';
import { planPut, type Head } from '../store/scan-plan.js';
import { optional, type SqliteDatabase } from '../store/sqlite/database.js';
import type { AccountSettings, Cluster } from '../store/store.js';
import { decodeFindings, encodeFindings } from './findings-codec.js';
import { openLocalDatabase, type LocalSchema } from './local-database.js';
import { LruCache, SegmentedLruCache } from './lru.js';
import type { PolicySnapshot, SnapshotEntry, SnapshotLookup, SnapshotState } from './policy-snapshot.js';
import { EVIDENCE_ROWS_SQL, TAG_KEY_SQL, type EvidenceRow, type SnapshotReads } from './snapshot-reader.js';
import { compactFinding, type SyncRule, type SyncRules, type SyncScan, type SyncScans, type SyncSettings } from './sync-protocol.js';

export const SNAPSHOT_FILE = 'snapshot.db';

export interface EvidenceCacheState {
  readonly images: number;
  readonly bytes: number;
  /** Since the snapshot was opened: lookups answered from memory, and those that read the snapshot's file. */
  readonly hits: number;
  readonly misses: number;
}

/** Images whose evidence is kept built in memory, at most (see evidenceCacheBytes too). */
export const DEFAULT_EVIDENCE_CACHE = 4096;

/**
 * Tags whose key (the digest a scan names) is kept in memory, at most: some 300 bytes each. A
 * tag is looked up only when no registry resolves it (registry access off, or a scan of an image
 * archive, which names no digest); a cluster runs a few thousand.
 */
export const DEFAULT_TAG_CACHE = 16_384;

/**
 * The share of the heap's limit the evidence cache may take by default. The limit follows the
 * container's memory limit (V8 takes half of it: 518 MiB under 1 GiB). The rest of the heap holds
 * the tags asked about, the digest cache, the rules and the requests in flight, and the collector
 * needs room above what lives: V8 grows a heap of under 2 GB by as little as a third before it
 * marks it all again, so that every megabyte kept here makes full collections more frequent.
 * Measured under a 512 MiB limit (bench/README.md, "Memory"): a tenth by the estimate of then kept p99 at
 * 100 reviews/s at 9–16 ms, three tenths at 33 ms, a twentieth 14 ms with more reads from disk.
 * That estimate was 15 % under what the heap held; ImageEvidence.bytes is now within a few per
 * cent, so the same point is 12 % (under 1 GiB: some 2,100 images of 50 findings, 65 MB on the
 * heap). An image of 50 findings takes about 38 KB once the rules have asked their questions of
 * it, one of 1,000 findings over 400 KB.
 */
const EVIDENCE_HEAP_SHARE = 0.12;

/** The evidence cache's default bound in bytes: its share of this isolate's heap limit. */
export function defaultEvidenceCacheBytes(): number {
  return Math.floor(getHeapStatistics().heap_size_limit * EVIDENCE_HEAP_SHARE);
}

/** An entry's key, its place in the cache, and the entry object around the evidence. */
const ENTRY_BYTES = 256;

const SCHEMA: LocalSchema = {
  // 2: findings kept merged, worst first, in the findings codec's text. 3: rows carry the
  // generation of the sync that wrote them (a resync from another database sweeps older ones).
  version: 3,
  sql: `
    CREATE TABLE IF NOT EXISTS rules (id TEXT PRIMARY KEY, version INTEGER NOT NULL, seq INTEGER NOT NULL, document TEXT NOT NULL);
    -- One row per scan (its findings merged, worst first, as findings-codec text); scan_keys says
    -- which scan is current for each key and scanner, as in the store: a scan current for two
    -- digests (multi-arch) is kept once. Each row carries the generation that wrote it.
    CREATE TABLE IF NOT EXISTS scans (id TEXT PRIMARY KEY, scanner TEXT NOT NULL, seq INTEGER NOT NULL, scanned_at TEXT, received_at TEXT NOT NULL, findings TEXT NOT NULL, generation INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS scan_keys (key TEXT NOT NULL, scanner TEXT NOT NULL, scan_id TEXT NOT NULL, effective_ms INTEGER NOT NULL, generation INTEGER NOT NULL, PRIMARY KEY (key, scanner)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS scan_keys_by_scan ON scan_keys (scan_id);
    CREATE TABLE IF NOT EXISTS tags (tag TEXT PRIMARY KEY, key TEXT NOT NULL, effective_ms INTEGER NOT NULL, generation INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  // A snapshot is a cache of the control plane: another version's file is dropped and refilled.
  onOtherVersion: { reset: ['rules', 'scans', 'scan_keys', 'tags', 'settings', 'cursors'] },
};

/** What one sync step brings; applied in one transaction, all of it or nothing. */
export interface SnapshotChanges {
  readonly rules?: SyncRules;
  readonly scans?: SyncScans;
  /** Replaces the settings, accounts and clusters. */
  readonly settings?: SyncSettings;
  /** The round these changes complete ended now: becomes `state.syncedAt`. */
  readonly syncedAt?: string;
}

export interface LocalSnapshotOptions {
  /** Images whose evidence is kept built in memory, at most; default DEFAULT_EVIDENCE_CACHE. */
  readonly evidenceCacheSize?: number;
  /** What that evidence may take on the heap, estimated (ImageEvidence.bytes); default defaultEvidenceCacheBytes(). */
  readonly evidenceCacheBytes?: number;
  /** Tags whose key is kept in memory, at most; default DEFAULT_TAG_CACHE. */
  readonly tagCacheSize?: number;
  /**
   * Told of every change, once it is committed: a webhook worker that syncs the snapshot tells
   * the workers that read the same file (see follow()).
   */
  readonly onChange?: (change: SnapshotChange) => void;
  /**
   * What reads the file for what memory does not hold, off the calling thread (a SnapshotReader on
   * the same file; closed with the snapshot): lookup then answers a promise for it. The webhook's
   * snapshot, whose reads must not hold up the admission thread. Without one, lookup reads on the
   * calling thread (a snapshot that only syncs; tests).
   */
  readonly reader?: SnapshotReads;
}

/**
 * What a committed change means for what a snapshot keeps in memory. Another LocalSnapshot on
 * the same file follows it: it reads again what changed, and drops what went stale.
 */
export interface SnapshotChange {
  readonly rules: boolean;
  readonly settings: boolean;
  /** Keys whose current scans changed. */
  readonly keys: readonly string[];
  /** Tags that now name another key (read again from the file when next asked about). */
  readonly tags: readonly string[];
  /** A resync ended: older rows were swept. */
  readonly swept: boolean;
  readonly state: SnapshotState;
}

interface SnapshotRule {
  readonly id: string;
  readonly version: number;
  readonly seq: number;
  readonly document: Rule;
}

interface RuleWrites {
  readonly rules: ReadonlyMap<string, SnapshotRule>;
  readonly upserts: readonly SnapshotRule[];
  readonly deletes: readonly string[];
}

/** What a transaction changed that memory must follow. */
interface Applied {
  /** Keys whose current scans changed: their cached evidence is stale. */
  readonly keys: ReadonlySet<string>;
  /** Tags that now name another key: the key each names in memory is stale. */
  readonly tags: ReadonlySet<string>;
  /** A resync ended: older generations were swept. */
  readonly swept: boolean;
}

const NO_SETTINGS: SyncSettings = { settings: DEFAULT_SETTINGS, accounts: [], clusters: [] };
// Only this generation's heads count: during a resync, what the other database said is not compared with.
const HEAD = 'SELECT key, scan_id AS scanId, scan_id AS reportHash, effective_ms AS effectiveMs FROM scan_keys WHERE key = ? AND scanner = ? AND generation = ?';

/**
 * Where a resync stands. A control plane with another database (restored, replaced) is synced
 * from the start under a new generation, while admission goes on deciding by what the snapshot
 * holds: the new database's rules replace the old ones in one step, its scans are written as
 * they come (compared only with what this generation wrote), and once the last page is in,
 * whatever is left of the older generations goes, in the same transaction. Nothing is empty in between, and a restart
 * in the middle carries on where it was.
 */
interface Generation {
  readonly generation: number;
  /** A resync is under way: the next rules answer replaces the rule set, the last scans page sweeps. */
  readonly resyncing: boolean;
}

export class LocalSnapshot implements PolicySnapshot {
  private ruleSet: ReadonlyMap<string, SnapshotRule>;
  private compiled: readonly CompiledRule[];
  /** Each rule compiled once: a change recompiles the rules it changed, not all of them (1,000 rules take 13 ms). */
  private readonly compiledRule = new WeakMap<SnapshotRule, CompiledRule>();
  private synced: SyncSettings = NO_SETTINGS;
  private accounts = new Map<string, AccountSettings>();
  private clusters = new Map<string, Cluster>();
  /** The key each tag names as read from the file; null: no scan names the tag (asked before, so asked again). */
  private readonly keyByTag: LruCache<string, string | null>;
  /** Built evidence by key; null: no scan covers the key (asked before, so asked again often). */
  private readonly evidence: SegmentedLruCache<string, SnapshotEntry | null>;
  /** Lookups the evidence cache answered (an image not in the snapshot, remembered as such, too), and those read from disk. */
  private evidenceHits = 0;
  private evidenceMisses = 0;
  /**
   * Reads in flight in the reader thread, by key and by tag: one read for every lookup meanwhile.
   * A change to what one reads drops it from here (apply, follow), so that what it brings, which
   * may be from before the change, is answered to those waiting but not kept.
   */
  private readonly readingEvidence = new Map<string, Promise<SnapshotEntry | undefined>>();
  private readonly readingTag = new Map<string, Promise<string | undefined>>();
  private current: SnapshotState;
  private generation: Generation;
  private readonly applyTx: (changes: SnapshotChanges, rules: RuleWrites | undefined) => Applied;
  private readonly beginResyncTx: (generation: number) => void;

  /** `file`: a path (created with its directory), or `:memory:` for a snapshot that lives as long as this object. */
  static open(file: string, options: LocalSnapshotOptions = {}): LocalSnapshot {
    return new LocalSnapshot(openLocalDatabase(file, SCHEMA, 'NORMAL'), options);
  }

  private constructor(
    private readonly db: SqliteDatabase,
    private readonly options: LocalSnapshotOptions,
  ) {
    this.evidence = new SegmentedLruCache(options.evidenceCacheSize ?? DEFAULT_EVIDENCE_CACHE, {
      maxWeight: options.evidenceCacheBytes ?? defaultEvidenceCacheBytes(),
      weigh: (entry) => ENTRY_BYTES + (entry?.evidence?.bytes ?? 0),
    });
    this.keyByTag = new LruCache(options.tagCacheSize ?? DEFAULT_TAG_CACHE);
    this.ruleSet = this.readRules();
    this.compiled = this.compile(this.ruleSet);
    this.readSettings();
    const cursors = new Map(db.all<{ name: string; value: string }>('SELECT name, value FROM cursors').map((row) => [row.name, row.value]));
    const syncedAt = cursors.get('syncedAt');
    this.current = Object.freeze({ rulesSeq: Number(cursors.get('rulesSeq') ?? 0), scansSeq: Number(cursors.get('scansSeq') ?? 0), ...(syncedAt !== undefined && { syncedAt }), stale: false });
    this.generation = { generation: Number(cursors.get('generation') ?? 0), resyncing: cursors.get('resyncing') === '1' };
    this.beginResyncTx = db.writer((generation: number) => {
      this.writeCursor('generation', String(generation));
      this.writeCursor('resyncing', '1');
      this.writeCursor('rulesSeq', '0');
      this.writeCursor('scansSeq', '0');
    });
    this.applyTx = db.writer((changes: SnapshotChanges, rules: RuleWrites | undefined): Applied => {
      if (rules) this.writeRules(rules);
      const applied = changes.scans ? this.writeScans(changes.scans.scans) : { keys: new Set<string>(), tags: new Set<string>(), swept: false };
      if (changes.settings) {
        for (const [name, value] of Object.entries(changes.settings)) this.db.run('INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)', name, JSON.stringify(value));
      }
      const next = this.nextState(changes);
      this.writeCursor('rulesSeq', String(next.rulesSeq));
      this.writeCursor('scansSeq', String(next.scansSeq));
      if (next.syncedAt !== undefined) this.writeCursor('syncedAt', next.syncedAt);
      if (!this.generation.resyncing || changes.scans === undefined || changes.scans.more) return applied;
      // The last page of a resync: what no page of the new database wrote or marked goes.
      const { generation } = this.generation;
      this.db.run('DELETE FROM scan_keys WHERE generation < ?', generation);
      this.db.run('DELETE FROM scans WHERE generation < ?', generation);
      this.db.run('DELETE FROM tags WHERE generation < ?', generation);
      this.writeCursor('resyncing', '0');
      return { ...applied, swept: true };
    });
  }

  // ---- what admission reads -----------------------------------------------------------------

  rules(): readonly CompiledRule[] {
    return this.compiled;
  }

  lookup(ref: ImageReference): SnapshotLookup {
    if (ref.digest !== undefined) return this.entry(ref.digest);
    const tag = taggedName(ref);
    if (tag === undefined) return undefined;
    const known = this.keyByTag.get(tag);
    if (known !== undefined) return known === null ? undefined : this.entry(known);
    const { reader } = this.options;
    if (reader === undefined) {
      const key = this.rememberTag(tag, this.db.get<{ key: string }>(TAG_KEY_SQL, tag)?.key);
      return key === undefined ? undefined : this.entry(key);
    }
    // The key scans name the tag by (the primary key wins: see writeScans), then its evidence.
    const keyOf = sharedRead(this.readingTag, tag, () => reader.keyOfTag(tag), (key) => this.rememberTag(tag, key), (key) => key);
    return keyOf.then((key) => (key === undefined ? undefined : this.entry(key)));
  }

  account(provider: CloudProvider, account: string): AccountSettings | undefined {
    return this.accounts.get(`${provider}/${account}`);
  }

  cluster(name: string): Cluster | undefined {
    return this.clusters.get(name);
  }

  settings(): Settings {
    return this.synced.settings;
  }

  get state(): SnapshotState {
    return this.current;
  }

  // ---- what sync writes ---------------------------------------------------------------------

  /**
   * Applies one sync step in one transaction. A rule that does not compile fails the whole step
   * before anything is written: the snapshot stays as it was, and the sync round reports it.
   */
  apply(changes: SnapshotChanges): void {
    // A resync's first rules answer lists every rule of the new database (from seq 0): it is the rule set.
    const replacing = this.generation.resyncing && this.current.rulesSeq === 0;
    const writes = changes.rules && this.ruleWrites(changes.rules.rules, replacing);
    // Compiled once per change: a round without rule changes keeps the compiled rules as they are.
    const rules = writes && (writes.upserts.length > 0 || writes.deletes.length > 0) ? writes : undefined;
    const compiled = rules && this.compile(rules.rules);
    const applied = this.applyTx(changes, rules);
    if (rules && compiled) {
      this.ruleSet = rules.rules;
      this.compiled = compiled;
    }
    if (changes.settings) this.useSettings(changes.settings);
    // Read again when asked: a big sync changes many tags, most of them never asked about here.
    this.forget(applied.keys, applied.tags, applied.swept);
    if (applied.swept) this.generation = { ...this.generation, resyncing: false };
    this.current = this.nextState(changes);
    this.options.onChange?.({ rules: rules !== undefined, settings: changes.settings !== undefined, keys: [...applied.keys], tags: [...applied.tags], swept: applied.swept, state: this.current });
  }

  /**
   * Follows a change another LocalSnapshot committed to this one's file (it syncs; this one only
   * reads): reads the rules and settings again if they changed, drops the evidence of changed
   * keys, and takes the new state. A change already read (this one opened after it was
   * committed) is followed again harmlessly.
   */
  follow(change: SnapshotChange): void {
    if (change.rules) {
      this.ruleSet = this.readRules(this.ruleSet);
      this.compiled = this.compile(this.ruleSet);
    }
    if (change.settings) this.readSettings();
    this.forget(change.keys, change.tags, change.swept);
    this.current = Object.freeze({ ...change.state });
  }

  /** The evidence cache: how many images, what they take on the heap (estimated), and how often it answered since opened. */
  evidenceCache(): EvidenceCacheState {
    return { images: this.evidence.size, bytes: this.evidence.weight, hits: this.evidenceHits, misses: this.evidenceMisses };
  }

  /** The control plane database this snapshot was synced from, when it said. */
  installation(): string | undefined {
    return this.synced.installation;
  }

  /**
   * Starts syncing from scratch, for a control plane with another database (whose sequence
   * numbers mean something else), while admission goes on deciding by what the snapshot holds
   * until the new database's answers replace it (see Generation).
   */
  beginResync(): void {
    const generation = this.generation.generation + 1;
    this.beginResyncTx(generation);
    this.generation = { generation, resyncing: true };
    this.current = Object.freeze({ ...this.current, rulesSeq: 0, scansSeq: 0 });
  }

  /** A resync is under way (see beginResync). */
  get resyncing(): boolean {
    return this.generation.resyncing;
  }

  /** Set by the syncer: several rounds in a row failed (or one succeeded again). */
  setStale(stale: boolean): void {
    if (stale === this.current.stale) return;
    this.current = Object.freeze({ ...this.current, stale });
    this.options.onChange?.({ rules: false, settings: false, keys: [], tags: [], swept: false, state: this.current });
  }

  close(): void {
    this.options.reader?.close();
    this.forget([], [], true);
    this.db.close();
  }

  // ---- inside ---------------------------------------------------------------------------------

  private entry(key: string): SnapshotLookup {
    const cached = this.evidence.get(key);
    if (cached !== undefined) {
      this.evidenceHits += 1;
      return cached ?? undefined;
    }
    this.evidenceMisses += 1;
    const { reader } = this.options;
    if (reader === undefined) return this.rememberEvidence(key, this.db.all<EvidenceRow>(EVIDENCE_ROWS_SQL, key));
    return sharedRead(
      this.readingEvidence,
      key,
      () => reader.evidenceRows(key),
      (rows) => this.rememberEvidence(key, rows),
      (rows) => (rows.length === 0 ? undefined : entryOf(key, rows)),
    );
  }

  private rememberEvidence(key: string, rows: readonly EvidenceRow[]): SnapshotEntry | undefined {
    const entry = rows.length === 0 ? null : entryOf(key, rows);
    this.evidence.set(key, entry);
    // The rules' answers are remembered on the evidence as they are asked: the cache weighs it again.
    entry?.evidence?.onGrow(() => this.evidence.reweigh(key, entry));
    return entry ?? undefined;
  }

  /** null: no scan names the tag (asked before, so asked again). */
  private rememberTag(tag: string, key: string | undefined): string | undefined {
    this.keyByTag.set(tag, key ?? null);
    return key;
  }

  /** What memory holds, or reads in flight will bring, of keys and tags a change made stale; all of it after a sweep. */
  private forget(keys: Iterable<string>, tags: Iterable<string>, all: boolean): void {
    if (all) {
      this.evidence.clear();
      this.keyByTag.clear();
      this.readingEvidence.clear();
      this.readingTag.clear();
      return;
    }
    for (const key of keys) {
      this.evidence.delete(key);
      this.readingEvidence.delete(key);
    }
    for (const tag of tags) {
      this.keyByTag.delete(tag);
      this.readingTag.delete(tag);
    }
  }

  /** `replacing`: the changes list every rule there is (a resync's first answer); the others go. */
  private ruleWrites(changes: readonly SyncRule[], replacing: boolean): RuleWrites {
    const rules = replacing ? new Map<string, SnapshotRule>() : new Map(this.ruleSet);
    const upserts = new Map<string, SnapshotRule>();
    const deletes = new Set<string>(replacing ? this.ruleSet.keys() : []);
    for (const change of changes) {
      const known = rules.get(change.id);
      // A change the snapshot already has (a page fetched twice) changes nothing.
      if (known && known.seq >= change.seq) continue;
      if (change.deleted || change.document === undefined) {
        rules.delete(change.id);
        upserts.delete(change.id);
        deletes.add(change.id);
      } else {
        const rule = { id: change.id, version: change.version, seq: change.seq, document: change.document };
        rules.set(change.id, rule);
        upserts.set(change.id, rule);
        deletes.delete(change.id);
      }
    }
    return { rules, upserts: [...upserts.values()], deletes: [...deletes] };
  }

  private writeRules({ upserts, deletes }: RuleWrites): void {
    for (const id of deletes) this.db.run('DELETE FROM rules WHERE id = ?', id);
    for (const rule of upserts) {
      this.db.run('INSERT OR REPLACE INTO rules (id, version, seq, document) VALUES (?, ?, ?, ?)', rule.id, rule.version, rule.seq, JSON.stringify(rule.document));
    }
  }

  /**
   * Each scan as the store took it (planPut decides the same way): it becomes current for the
   * keys where it is as new or newer than the current scan of its scanner, the scans it
   * replaces everywhere go, and its tags point at its platform digest unless a newer scan's do.
   */
  private writeScans(scans: readonly SyncScan[]): Applied {
    const keys = new Set<string>();
    const tags = new Set<string>();
    const { generation } = this.generation;
    for (const scan of scans) {
      const effectiveMs = effectiveMsOf(scan);
      const heads = new Map<string, Head>();
      for (const key of scan.keys) {
        const head = this.db.get<Head>(HEAD, key, scan.scanner, generation);
        if (head) heads.set(key, head);
      }
      // The scan id stands for the report: a scan applied twice is the same report.
      const plan = planPut(scan.keys, heads, scan.id, effectiveMs);
      if (plan.kind === 'unchanged') continue;
      this.db.run(
        'INSERT OR REPLACE INTO scans (id, scanner, seq, scanned_at, received_at, findings, generation) VALUES (?, ?, ?, ?, ?, ?, ?)',
        scan.id, scan.scanner, scan.seq, optional(scan.scannedAt), scan.receivedAt, storedFindings(scan), generation,
      );
      for (const key of plan.keys) {
        this.db.run('INSERT OR REPLACE INTO scan_keys (key, scanner, scan_id, effective_ms, generation) VALUES (?, ?, ?, ?, ?)', key, scan.scanner, scan.id, effectiveMs, generation);
        keys.add(key);
      }
      for (const old of plan.replaced) this.db.run('DELETE FROM scans WHERE id = ? AND NOT EXISTS (SELECT 1 FROM scan_keys WHERE scan_id = ?)', old, old);
      const primary = scan.manifestDigest !== undefined && scan.keys.includes(scan.manifestDigest) ? scan.manifestDigest : scan.keys[0];
      if (primary === undefined) continue;
      for (const tag of new Set(scan.tags)) {
        // A tag of an older generation is taken over whatever its time: the new database says.
        const changed = this.db.run(
          `INSERT INTO tags (tag, key, effective_ms, generation) VALUES (?, ?, ?, ?)
           ON CONFLICT (tag) DO UPDATE SET key = excluded.key, effective_ms = excluded.effective_ms, generation = excluded.generation
           WHERE excluded.effective_ms >= tags.effective_ms OR tags.generation < excluded.generation`,
          tag, primary, effectiveMs, generation,
        ).changes;
        if (changed > 0) tags.add(tag);
      }
    }
    return { keys, tags, swept: false };
  }

  private writeCursor(name: string, value: string): void {
    this.db.run('INSERT OR REPLACE INTO cursors (name, value) VALUES (?, ?)', name, value);
  }

  private nextState(changes: SnapshotChanges): SnapshotState {
    const { rulesSeq, scansSeq, syncedAt, stale } = this.current;
    const at = changes.syncedAt ?? syncedAt;
    return Object.freeze({
      rulesSeq: Math.max(rulesSeq, changes.rules?.seq ?? 0),
      scansSeq: Math.max(scansSeq, changes.scans?.seq ?? 0),
      ...(at !== undefined && { syncedAt: at }),
      stale,
    });
  }

  /**
   * The rules as the file has them. A rule `known` has at the same sequence number is that rule
   * (ids are UUIDs, and a rule's every change has a new sequence number): it is kept as it is, with
   * its compiled form, rather than parsed again.
   */
  private readRules(known: ReadonlyMap<string, SnapshotRule> = new Map()): Map<string, SnapshotRule> {
    const rows = this.db.all<{ id: string; version: number; seq: number; document: string }>('SELECT id, version, seq, document FROM rules');
    return new Map(
      rows.map((row) => {
        const same = known.get(row.id);
        return [row.id, same !== undefined && same.seq === row.seq ? same : { ...row, document: JSON.parse(row.document) as Rule }];
      }),
    );
  }

  /** The enabled rules by name (as the store lists them), each with its id and version. */
  private compile(rules: ReadonlyMap<string, SnapshotRule>): CompiledRule[] {
    const ordered = [...rules.values()].filter((rule) => rule.document.enabled).sort((a, b) => compareText(a.document.name.toLowerCase(), b.document.name.toLowerCase()) || compareText(a.id, b.id));
    return ordered.map((rule) => {
      let compiled = this.compiledRule.get(rule);
      if (compiled === undefined) this.compiledRule.set(rule, (compiled = compileRule(rule.document, { name: rule.document.name, id: rule.id, version: rule.version })));
      return compiled;
    });
  }

  private readSettings(): void {
    const settings = new Map(this.db.all<{ name: string; value: string }>('SELECT name, value FROM settings').map((row) => [row.name, JSON.parse(row.value) as unknown]));
    const installation = settings.get('installation');
    this.useSettings({
      ...(typeof installation === 'string' && { installation }),
      settings: (settings.get('settings') as Settings | undefined) ?? NO_SETTINGS.settings,
      accounts: (settings.get('accounts') as AccountSettings[] | undefined) ?? [],
      clusters: (settings.get('clusters') as Cluster[] | undefined) ?? [],
    });
  }

  private useSettings(synced: SyncSettings): void {
    this.synced = synced;
    this.accounts = new Map(synced.accounts.map((account) => [`${account.provider}/${account.account}`, account]));
    this.clusters = new Map(synced.clusters.map((cluster) => [cluster.name, cluster]));
  }
}

/**
 * A scan's findings as the snapshot keeps them: what admission reads of each, merged and worst
 * first, so that reading an image with one scanner's scan (nearly all) merges and sorts nothing.
 */
function storedFindings(scan: SyncScan): string {
  return encodeFindings(mergeFindings([scanOf(scan.scanner, scan.findings.map(compactFinding))]).sort(compareFindings));
}

/**
 * One read per id in flight in `reading`, shared by every caller meanwhile. What it brings is
 * kept (`keep`) if the read is still there when it answers; a change drops it from there (see
 * LocalSnapshot.forget), and then those waiting get `unkept` of it, which nothing keeps. A read
 * that fails is not remembered: the next caller reads again.
 */
function sharedRead<R, T>(reading: Map<string, Promise<T>>, id: string, read: () => Promise<R>, keep: (value: R) => T, unkept: (value: R) => T): Promise<T> {
  const inFlight = reading.get(id);
  if (inFlight !== undefined) return inFlight;
  const answer: Promise<T> = read().then(
    (value) => {
      if (reading.get(id) !== answer) return unkept(value);
      reading.delete(id);
      return keep(value);
    },
    (error: unknown) => {
      if (reading.get(id) === answer) reading.delete(id);
      throw error;
    },
  );
  reading.set(id, answer);
  return answer;
}

/** As the store's image record: scanners in name order, merged; dated by the newest scan. */
function entryOf(key: string, rows: readonly EvidenceRow[]): SnapshotEntry {
  const [only] = rows;
  const findings = rows.length === 1 && only ? decodeFindings(only.findings) : mergeFindings(rows.map((row) => scanOf(row.scanner, decodeFindings(row.findings))));
  const times = rows.map((row) => Date.parse(row.scannedAt ?? row.receivedAt)).filter((ms) => !Number.isNaN(ms));
  return {
    ...(!key.startsWith('id:') && { digest: key }),
    evidence: new ImageEvidence(findings, times.length > 0 ? Math.max(...times) : undefined),
  };
}

function scanOf(scanner: string, findings: readonly Finding[]): ImageScan {
  return { source: { scanner: scanner as ScannerKind }, digests: [], repoTags: [], repoDigests: [], artifactName: '', findings, warnings: [] };
}

/** When a scan counts as made, as the store's effectiveMillis: its own time, else when received. */
function effectiveMsOf(scan: SyncScan): number {
  const scanned = scan.scannedAt === undefined ? NaN : Date.parse(scan.scannedAt);
  if (!Number.isNaN(scanned)) return scanned;
  const received = Date.parse(scan.receivedAt);
  return Number.isNaN(received) ? 0 : received;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
