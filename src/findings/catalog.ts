// An in-memory catalog of scans, looked up by image reference: by digest when the reference pins
// one, else through the tags and repo digests the reports themselves name (offline, no registry).
import { taggedName, type ImageReference } from '../images/reference.js';
import { ImageEvidence } from '../policy/evidence.js';
import type { Finding, ImageScan } from './model.js';
import { severityRank } from './severity.js';

export interface CatalogEntry {
  /** The digest the decision is made for: the platform manifest digest when the report names it. */
  readonly digest?: string;
  readonly scans: readonly ImageScan[];
  readonly evidence: ImageEvidence;
}

export class FindingsCatalog {
  /** Scans by key (a digest, or `id:<image id>` for reports without digests), newest per scanner. */
  private readonly scansByKey = new Map<string, Map<string, ImageScan>>();
  /** `registry/repo:tag` → key. */
  private readonly keyByTag = new Map<string, string>();
  private readonly entries = new Map<string, CatalogEntry>();

  add(scan: ImageScan): void {
    const keys = scan.digests.length > 0 ? [...scan.digests] : scan.imageId ? [`id:${scan.imageId}`] : [];
    for (const key of keys) {
      const bySource = this.scansByKey.get(key) ?? new Map<string, ImageScan>();
      const previous = bySource.get(scan.source.scanner);
      // A newer scan of the same image from the same source replaces the older one.
      if (!previous || (previous.scannedAt ?? '') <= (scan.scannedAt ?? '')) bySource.set(scan.source.scanner, scan);
      this.scansByKey.set(key, bySource);
      this.entries.delete(key);
    }
    const primary = scan.manifestDigest ?? keys[0];
    if (primary === undefined) return;
    for (const tag of scan.repoTags) this.keyByTag.set(tag, primary);
  }

  /** The scans and evidence for a reference, or undefined when no report covers it. */
  lookup(ref: ImageReference): CatalogEntry | undefined {
    const key = ref.digest ?? this.keyByTag.get(taggedName(ref) ?? '');
    return key === undefined ? undefined : this.entry(key);
  }

  private entry(key: string): CatalogEntry | undefined {
    const cached = this.entries.get(key);
    if (cached) return cached;
    const bySource = this.scansByKey.get(key);
    if (!bySource) return undefined;
    const scans = [...bySource.values()];
    const scannedAt = scans.map((s) => (s.scannedAt ? Date.parse(s.scannedAt) : NaN)).filter((t) => !Number.isNaN(t));
    const entry: CatalogEntry = {
      ...(!key.startsWith('id:') && { digest: key }),
      scans,
      evidence: new ImageEvidence(mergeFindings(scans), scannedAt.length > 0 ? Math.max(...scannedAt) : undefined),
    };
    this.entries.set(key, entry);
    return entry;
  }

  get size(): number {
    return this.scansByKey.size;
  }
}

/**
 * Findings of several sources for one image, each vulnerability of each package once. Sources
 * (and Grype on its own) report one vulnerability under two ids, a GHSA and its CVE: findings of
 * one package whose ids or aliases meet are one finding, named by its CVE when it has one, with
 * the worse severity and every id as an alias, so counts and conditions see it once.
 */
export function mergeFindings(scans: readonly ImageScan[]): Finding[] {
  const merged: Finding[] = [];
  /** `package\0version\0id` → index in merged, for the id and every alias. */
  const byId = new Map<string, number>();
  for (const scan of scans) {
    for (const finding of scan.findings) {
      const pkg = `${finding.package.name}\u0000${finding.package.version}\u0000`;
      const ids = [finding.id, ...finding.aliases];
      const index = ids.map((id) => byId.get(pkg + id)).find((i) => i !== undefined);
      if (index === undefined) {
        merged.push(finding);
        for (const id of ids) byId.set(pkg + id, merged.length - 1);
        continue;
      }
      const existing = merged[index] as Finding;
      const combined = combine(existing, finding);
      merged[index] = combined;
      for (const id of [combined.id, ...combined.aliases]) byId.set(pkg + id, index);
    }
  }
  return merged;
}

function combine(a: Finding, b: Finding): Finding {
  if (a.id === b.id && a.aliases.length >= b.aliases.length && severityRank(a.severity) >= severityRank(b.severity)) return a;
  // The CVE id names it where there is one: rules and exemptions are mostly written by CVE.
  const primary = !a.id.startsWith('CVE-') && b.id.startsWith('CVE-') ? b : a;
  const other = primary === a ? b : a;
  const worse = severityRank(other.severity) > severityRank(primary.severity) ? other : primary;
  const aliases = [...new Set([...primary.aliases, other.id, ...other.aliases])].filter((id) => id !== primary.id);
  return {
    ...primary,
    aliases,
    severity: worse.severity,
    ...(worse.sourceSeverity !== undefined && { sourceSeverity: worse.sourceSeverity }),
    ...((primary.cvss ?? other.cvss) !== undefined && { cvss: primary.cvss ?? other.cvss }),
    fixAvailable: primary.fixAvailable || other.fixAvailable,
    ...((primary.fixedVersion ?? other.fixedVersion) !== undefined && { fixedVersion: primary.fixedVersion ?? other.fixedVersion }),
    ...((primary.knownExploited === true || other.knownExploited === true) && { knownExploited: true }),
  };
}
