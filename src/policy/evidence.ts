// Per-image evidence, indexed once so that evaluating a rule never walks every finding:
// rules ask by severity set or by id, and the answers are shared arrays.
import type { Finding } from '../findings/model.js';
import { SEVERITIES, severityRank, type Severity } from '../findings/severity.js';

export type SeverityCounts = Readonly<Record<Severity, number>>;

/** A bit per severity, so a rule's severity set is one small number. */
export function severityMask(severities: readonly Severity[]): number {
  let mask = 0;
  for (const severity of severities) mask |= 1 << severityRank(severity);
  return mask;
}

/** Worst first: severity, then CVSS score, then fixable before unfixable, then id. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    (b.cvss?.score ?? -1) - (a.cvss?.score ?? -1) ||
    Number(b.fixAvailable) - Number(a.fixAvailable) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/**
 * What evidence takes on V8's heap, estimated: per image, per finding (the decoded finding with
 * its strings, and its places in the indexes), per remembered answer and per reference an answer
 * holds in a list of its own. Measured on Node 20 with --expose-gc over the webhook benchmark's
 * snapshot (findings as the snapshot decodes them; 4,096 images of 50 findings, each with the 63
 * answers its requests' rules asked of it): 22 KB an image as built, 38 KB with those answers.
 */
const IMAGE_BYTES = 1_280;
const FINDING_BYTES = 400;
const MEMO_BYTES = 160;
const REFERENCE_BYTES = 8;

export class ImageEvidence {
  /** Every finding, worst first. */
  readonly findings: readonly Finding[];
  readonly counts: SeverityCounts;
  /** When the newest scan behind this evidence was made (epoch ms), when known. */
  readonly scannedAt: number | undefined;
  /** Every id and alias present, upper-cased. */
  readonly ids: readonly string[];
  private readonly bySeverity: ReadonlyMap<Severity, readonly Finding[]>;
  private readonly byIdIndex: ReadonlyMap<string, readonly Finding[]>;
  private readonly maskCache = new Map<number, readonly Finding[]>();
  private readonly memos = new Map<string, unknown>();
  /** What the remembered answers and severity lists add to the estimate (see bytes). */
  private grown = 0;
  // Private to the language, not only to TypeScript: evidence compares equal whoever listens.
  #onGrowth: (() => void) | undefined;

  constructor(findings: readonly Finding[], scannedAt?: number) {
    this.findings = [...findings].sort(compareFindings);
    this.scannedAt = scannedAt;
    const bySeverity = new Map<Severity, Finding[]>(SEVERITIES.map((s) => [s, []]));
    const byId = new Map<string, Finding[]>();
    for (const finding of this.findings) {
      bySeverity.get(finding.severity)?.push(finding);
      for (const id of new Set([finding.id, ...finding.aliases].map((i) => i.toUpperCase()))) {
        const list = byId.get(id);
        if (list) list.push(finding);
        else byId.set(id, [finding]);
      }
    }
    this.bySeverity = bySeverity;
    this.byIdIndex = byId;
    this.ids = [...byId.keys()];
    this.counts = Object.fromEntries(SEVERITIES.map((s) => [s, bySeverity.get(s)?.length ?? 0])) as Record<Severity, number>;
  }

  /** The findings whose severity is in the mask, worst first; computed once per mask. */
  withSeverities(mask: number): readonly Finding[] {
    const cached = this.maskCache.get(mask);
    if (cached) return cached;
    // SEVERITIES is worst first and each list is sorted, so concatenation keeps the order. Loops,
    // not filter/map/flat: this runs for each image read from disk and each severity set its
    // rules ask for, and with them a call took 5 µs where these loops take under 1 (50 findings).
    const lists: (readonly Finding[])[] = [];
    for (const severity of SEVERITIES) if ((mask & (1 << severityRank(severity))) !== 0) lists.push(this.bySeverity.get(severity) ?? []);
    let result: readonly Finding[];
    if (lists.length === 1) result = lists[0] as readonly Finding[];
    else {
      const joined: Finding[] = [];
      for (const list of lists) for (const finding of list) joined.push(finding);
      result = joined;
    }
    this.maskCache.set(mask, result);
    this.grow(MEMO_BYTES + (lists.length === 1 ? 0 : REFERENCE_BYTES * result.length));
    return result;
  }

  /** The findings with this id or alias (any case). */
  withId(id: string): readonly Finding[] {
    return this.byIdIndex.get(id.toUpperCase()) ?? [];
  }

  hasId(id: string): boolean {
    return this.byIdIndex.has(id.toUpperCase());
  }

  /** hasId for an id already upper-cased (the hot path: compiled exemptions). */
  hasUpperCaseId(id: string): boolean {
    return this.byIdIndex.has(id);
  }

  /**
   * What was remembered under this key: a result derived from this image's findings, under a key
   * that names everything it depends on (conditions, exemptions), so that rules asking the same
   * question share one answer. Undefined until remembered.
   */
  recall<T>(key: string): T | undefined {
    return this.memos.get(key) as T | undefined;
  }

  /** Remembers a result for recall (never undefined); `references`: how many the result holds (a list's length). */
  remember(key: string, value: NonNullable<unknown>, references = 0): void {
    this.memos.set(key, value);
    this.grow(MEMO_BYTES + REFERENCE_BYTES * references);
  }

  /**
   * What this evidence takes on the heap, estimated: its findings and indexes, and the answers
   * remembered on it since. A cache bounds itself by it (the snapshot's evidence cache).
   */
  get bytes(): number {
    return IMAGE_BYTES + FINDING_BYTES * this.findings.length + this.grown;
  }

  /** Tells `listener` each time the estimate grows (one listener: the cache that holds it). */
  onGrow(listener: () => void): void {
    this.#onGrowth = listener;
  }

  private grow(bytes: number): void {
    this.grown += bytes;
    this.#onGrowth?.();
  }
}

export const NO_COUNTS: SeverityCounts = Object.freeze({ Critical: 0, High: 0, Medium: 0, Low: 0, Unknown: 0 });
