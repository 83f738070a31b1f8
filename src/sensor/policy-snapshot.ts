// What the admission webhook reads to decide: the rules, the evidence of images, the switches of
// accounts and the settings, as last synced from the control plane. Every read answers from
// memory at once on a hit: it sits on the admission path.
import type { Settings } from '../api/settings.js';
import type { ImageReference } from '../images/reference.js';
import type { CompiledRule } from '../policy/compile.js';
import type { ImageEvidence } from '../policy/evidence.js';
import type { CloudProvider } from '../policy/rule.js';
import type { AccountSettings, Cluster } from '../store/store.js';

export interface SnapshotEntry {
  /** The digest the decision is made for; absent for a report keyed by image id alone. */
  readonly digest?: string;
  readonly evidence?: ImageEvidence;
}

/**
 * What a lookup answers: from memory at once (nearly always), or, when the snapshot must read its
 * file, a promise of it (read off the admission thread; see LocalSnapshotOptions.reader).
 */
export type SnapshotLookup = SnapshotEntry | undefined | Promise<SnapshotEntry | undefined>;

export interface SnapshotState {
  /** The rules cursor: every rule change up to it is in the snapshot. */
  readonly rulesSeq: number;
  /** The scans cursor. */
  readonly scansSeq: number;
  /** When a sync round last completed; absent when none ever has (a new webhook, no rules yet). */
  readonly syncedAt?: string;
  /** Several sync rounds in a row failed: the control plane is away, this is the last-known-good state. */
  readonly stale: boolean;
}

export interface PolicySnapshot {
  /** The enabled rules, compiled once per change, by name. Each ref names the rule's id and version. */
  rules(): readonly CompiledRule[];
  /**
   * The evidence for a reference: by its digest when it pins one, else through the tag scans
   * reported it under. Undefined when no scan covers it (NotScanned, or resolve the tag first). A
   * promise when the answer must be read from disk: the caller decides how long to wait for it.
   */
  lookup(ref: ImageReference): SnapshotLookup;
  /** An account's switches; undefined when never set: every switch is on. */
  account(provider: CloudProvider, account: string): AccountSettings | undefined;
  /** A registered cluster (its provider and account decide cloud scopes and switches). */
  cluster(name: string): Cluster | undefined;
  settings(): Settings;
  readonly state: SnapshotState;
}
