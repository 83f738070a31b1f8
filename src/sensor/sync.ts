// Keeps a webhook's snapshot in step with the control plane: rule changes and scans after the
// snapshot's cursors, and the settings, every few seconds. Where they come from is a SyncSource:
// the control plane's API over HTTP (a webhook in a cluster), or the store itself (the
// all-in-one `serve`), so both modes run the same code from the store's records to the snapshot.
import { pino, type Logger } from 'pino';
import type { z } from 'zod';
import { readSettings } from '../api/settings.js';
import { formatProblem } from '../problems.js';
import { validateRule } from '../policy/rule-document.js';
import type { Store } from '../store/store.js';
import { connectionTo, requestControlPlane, type ControlPlaneConnection, type ControlPlaneEndpoint } from './control-plane.js';
import type { LocalSnapshot } from './local-snapshot.js';
import { Serial } from './serial.js';
import {
  SCAN_PAGE_DEFAULT,
  SCAN_PAGE_FINDINGS,
  syncRuleOf,
  SyncRulesSchema,
  syncScanOf,
  SyncScansSchema,
  SyncSettingsSchema,
  type SyncRule,
  type SyncRules,
  type SyncScans,
  type SyncSettings,
} from './sync-protocol.js';

export interface SyncSource {
  /** Every rule change after `seq`, deleted rules as tombstones. */
  rulesSince(seq: number, signal?: AbortSignal): Promise<SyncRules>;
  /** At most `limit` scans stored after `seq`; `more` when others follow. */
  scansSince(seq: number, limit: number, signal?: AbortSignal): Promise<SyncScans>;
  settings(signal?: AbortSignal): Promise<SyncSettings>;
  /**
   * This source described in data alone, for a sync thread to make its own (sync-thread.ts):
   * then no sync work runs on the admission thread.
   */
  readonly portable?: PortableSource;
}

/** A source in data alone: a control plane's API, or a store's database (the all-in-one's). */
export type PortableSource = { readonly kind: 'http'; readonly endpoint: SyncEndpoint } | { readonly kind: 'store'; readonly database: string };

/** A control plane's sync endpoints in data alone (it can be handed to a thread). */
export interface SyncEndpoint extends ControlPlaneEndpoint {
  /** This webhook's cluster: the control plane marks it seen on every round. */
  readonly cluster?: string;
}

/** What a Syncer does for a webhook, whether it runs here or in a thread of its own (SyncThread). */
export interface SnapshotSyncer {
  /** Syncs now, then every interval, until stop(). */
  start(): void;
  /** One round after any in flight: what changed before the call is in the snapshot when it resolves. */
  syncNow(): Promise<SyncReport>;
  /** Stops; a round in flight is aborted. */
  stop(): Promise<void>;
}

/** The settings key of the control plane database's id (made on first start, see server/bootstrap.ts). */
export const INSTALLATION_SETTING = 'installation';

/** The store read in-process: the all-in-one `serve`, and what the sync API answers with. */
export class StoreSyncSource implements SyncSource {
  readonly portable?: PortableSource;

  /**
   * `database`: the store's database as opened (`sqlite:FILE`, `postgres://…`), when another
   * thread can open it too: then a sync thread reads it through a connection of its own.
   */
  constructor(
    private readonly store: Store,
    database?: string,
  ) {
    if (database !== undefined) this.portable = { kind: 'store', database };
  }

  async rulesSince(seq: number): Promise<SyncRules> {
    const rules = (await this.store.rules.changesSince(seq)).map(syncRuleOf);
    return { rules, seq: rules.reduce((highest, rule) => Math.max(highest, rule.seq), seq) };
  }

  async scansSince(seq: number, limit: number): Promise<SyncScans> {
    const { scans: page, more } = await this.store.scans.changesSince(seq, limit, SCAN_PAGE_FINDINGS);
    // With the tags the store maps to their keys: a newer report often names none, and a webhook
    // synced later would otherwise not find by tag what one synced earlier finds.
    const tags = await this.store.scans.tagsOf([...new Set(page.flatMap((scan) => scan.keys))]);
    const scans = page.map((scan) => syncScanOf(scan, scan.keys.flatMap((key) => tags.get(key) ?? [])));
    return { scans, seq: scans.at(-1)?.seq ?? seq, more };
  }

  async settings(): Promise<SyncSettings> {
    const [installation, seq, settings, accounts, clusters] = await Promise.all([
      this.store.settings.get<string>(INSTALLATION_SETTING),
      this.store.changeSeq(),
      readSettings(this.store),
      this.store.clusters.listAccounts(),
      this.store.clusters.list(),
    ]);
    return { ...(typeof installation === 'string' && { installation }), seq, settings, accounts, clusters };
  }
}

export interface HttpSyncOptions extends ControlPlaneConnection {
  /** This webhook's cluster: the control plane marks it seen on every round. */
  readonly cluster?: string;
}

/** A control plane's sync endpoints, with a Sensor token. */
export class HttpSyncSource implements SyncSource {
  readonly portable?: PortableSource;
  // Made at the first request, as HttpEventSink's: a portable source's requests are the sync
  // thread's, and the one on the admission thread needs no connection pool of its own.
  private connectionMade: HttpSyncOptions | undefined;

  /** From a connection with its own fetch (as tests give it), or from data alone: then it is portable. */
  constructor(given: HttpSyncOptions | SyncEndpoint) {
    if ('fetch' in given && given.fetch !== undefined) this.connectionMade = given;
    else this.portable = { kind: 'http', endpoint: given as SyncEndpoint };
  }

  private get options(): HttpSyncOptions {
    const endpoint = this.portable?.kind === 'http' ? this.portable.endpoint : undefined;
    if (this.connectionMade === undefined && endpoint !== undefined) {
      this.connectionMade = { ...connectionTo(endpoint), ...(endpoint.cluster !== undefined && { cluster: endpoint.cluster }) };
    }
    return this.connectionMade as HttpSyncOptions;
  }

  async rulesSince(seq: number, signal?: AbortSignal): Promise<SyncRules> {
    const path = '/api/v1/sync/rules';
    const answer = parseAnswer(SyncRulesSchema, await requestControlPlane(this.options, 'GET', path, { query: { since: seq }, ...(signal && { signal }) }), path);
    const rules = answer.rules.map((rule, index): SyncRule => {
      const { document, ...change } = rule;
      if (change.deleted) return change;
      // The rule as the engine takes it, defaults filled in: checked as any rule document is.
      const checked = validateRule(document, `rules[${index}].document`);
      if (!checked.rule) throw new Error(`GET ${path} answered a rule this webhook cannot read (is it older than the control plane?): ${checked.problems.map(formatProblem).join('; ')}`);
      return { ...change, document: checked.rule };
    });
    return { rules, seq: answer.seq };
  }

  async scansSince(seq: number, limit: number, signal?: AbortSignal): Promise<SyncScans> {
    const path = '/api/v1/sync/scans';
    return parseAnswer(SyncScansSchema, await requestControlPlane(this.options, 'GET', path, { query: { since: seq, limit }, ...(signal && { signal }) }), path);
  }

  async settings(signal?: AbortSignal): Promise<SyncSettings> {
    const path = '/api/v1/sync/settings';
    return parseAnswer(SyncSettingsSchema, await requestControlPlane(this.options, 'GET', path, { query: { cluster: this.options.cluster }, ...(signal && { signal }) }), path);
  }
}

function parseAnswer<S extends z.ZodType>(schema: S, answer: unknown, path: string): z.output<S> {
  const parsed = schema.safeParse(answer);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(answer)'}: ${issue.message}`);
  throw new Error(`GET ${path} answered something this webhook cannot read: ${where.join('; ')}`);
}

// ---- the syncer -------------------------------------------------------------------------------

export interface SyncerOptions {
  readonly source: SyncSource;
  readonly snapshot: LocalSnapshot;
  readonly logger?: Logger;
  /** Between rounds; default 5 s. */
  readonly intervalMs?: number;
  /** Scans per request; default 500 (the API takes at most 1,000). */
  readonly pageSize?: number;
  /** Failed rounds in a row after which the snapshot says it is stale; default 3. */
  readonly staleAfter?: number;
  /** The longest wait between rounds while the control plane is away; default 60 s. */
  readonly maxBackoffMs?: number;
  readonly now?: () => Date;
}

export interface SyncReport {
  /** Rule changes applied (tombstones included). */
  readonly rules: number;
  readonly scans: number;
  /** Scan pages fetched. */
  readonly pages: number;
}

export const DEFAULT_SYNC_INTERVAL_MS = 5_000;

export class Syncer implements SnapshotSyncer {
  private readonly serial = new Serial();
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private abort = new AbortController();
  private failures = 0;

  constructor(private readonly options: SyncerOptions) {
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.intervalMs = options.intervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
  }

  /** Failed rounds since the last one that succeeded. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Syncs now, then every interval (longer while the control plane is away) until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.schedule(0);
  }

  /** Stops the timer and aborts a round in flight; the snapshot keeps what was applied. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.serial.idle();
  }

  /**
   * One round, after any round in flight: what changed before the call is in the snapshot when
   * it resolves. Rejects when the round fails (counted as any failed round).
   */
  syncNow(): Promise<SyncReport> {
    return this.serial.run(() => this.round());
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.syncNow().then(
        () => this.schedule(this.intervalMs),
        () => this.schedule(this.backoffMs()),
      );
    }, delayMs);
    // A webhook stops when its server does, not when the syncer is the only thing left.
    this.timer.unref();
  }

  private backoffMs(): number {
    return Math.min(this.intervalMs * 2 ** Math.min(this.failures - 1, 16), Math.max(this.options.maxBackoffMs ?? 60_000, this.intervalMs));
  }

  private async round(): Promise<SyncReport> {
    const { source, snapshot } = this.options;
    const signal = this.abort.signal;
    const pageSize = this.options.pageSize ?? SCAN_PAGE_DEFAULT;
    try {
      // Settings first: they say which database the cursors belong to.
      const settings = await source.settings(signal);
      const known = snapshot.installation();
      if (settings.installation !== undefined && known !== undefined && settings.installation !== known) {
        this.logger.warn({ was: known, now: settings.installation }, 'the control plane has another database than this snapshot came from (restored or replaced): syncing everything anew');
        snapshot.beginResync();
      } else if (settings.seq !== undefined && Math.max(snapshot.state.rulesSeq, snapshot.state.scansSeq) > settings.seq) {
        // Cursors are only ever read from committed changes, so none can be past the control
        // plane's last one unless its database went back: its next changes reuse those numbers.
        this.logger.warn({ cursors: { rules: snapshot.state.rulesSeq, scans: snapshot.state.scansSeq }, controlPlaneSeq: settings.seq }, "the control plane's database went back to an earlier state (restored from a backup?): syncing everything anew");
        snapshot.beginResync();
      }
      // Rules in one step with the first scans: they are small and they are what decides, so a
      // long initial scan download does not hold them back.
      const [rules, first] = await Promise.all([source.rulesSince(snapshot.state.rulesSeq, signal), source.scansSince(snapshot.state.scansSeq, pageSize, signal)]);
      let page = first;
      let scans = page.scans.length;
      let pages = 1;
      snapshot.apply({ rules, settings, scans: page, ...(!page.more && { syncedAt: this.now() }) });
      while (page.more) {
        page = await source.scansSince(page.seq, pageSize, signal);
        snapshot.apply({ scans: page, ...(!page.more && { syncedAt: this.now() }) });
        scans += page.scans.length;
        pages += 1;
      }
      if (this.failures > 0) this.logger.info({ failedRounds: this.failures }, 'snapshot sync: the control plane answers again');
      this.failures = 0;
      snapshot.setStale(false);
      const report = { rules: rules.rules.length, scans, pages };
      if (report.rules > 0 || report.scans > 0) this.logger.debug({ ...report, state: snapshot.state }, 'snapshot synced');
      return report;
    } catch (error) {
      // Stopped: not the control plane's failure.
      if (signal.aborted && !this.running) throw error;
      this.failures += 1;
      const stale = this.failures >= (this.options.staleAfter ?? 3);
      if (stale && !snapshot.state.stale) this.logger.warn({ failedRounds: this.failures, syncedAt: snapshot.state.syncedAt }, 'snapshot is stale: admission decides on the last-known-good rules and findings');
      snapshot.setStale(stale);
      if (this.running) {
        this.logger.warn({ err: error, failedRounds: this.failures, retryInMs: this.backoffMs() }, 'snapshot sync failed: serving the last-known-good snapshot');
      }
      throw error;
    }
  }

  private now(): string {
    return (this.options.now ?? (() => new Date()))().toISOString();
  }
}
