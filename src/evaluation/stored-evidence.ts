// The findings the control plane has stored, as evidence for the engine: the store's counterpart
// of FindingsCatalog (which holds reports read from files). A reference is found by its digest,
// or through the tag the scans reported it under, as the webhook does without a registry.
// An account with Security Findings switched off has its findings left unused.
import { taggedName, tryParseImageReference, type ImageReference } from '../images/reference.js';
import { ImageEvidence } from '../policy/evidence.js';
import type { TargetImage } from '../policy/target.js';
import type { ImageRecord, ScanStore } from '../store/store.js';

export interface StoredEntry {
  /** The digest the decision is made for; absent for a report keyed by image id alone. */
  readonly digest?: string;
  readonly record: ImageRecord;
  readonly evidence: ImageEvidence;
}

export interface StoredFindingsOptions {
  /**
   * The Security Findings switch of the cluster's account. Off: no finding is used, so every
   * image counts as NotScanned (its digest only as the reference writes it). Default on.
   */
  readonly securityFindings?: boolean;
}

/**
 * Lookups of one evaluation: each image is read from the store once, and its evidence (with the
 * memos rules share) is built once, however many workloads name it.
 */
export class StoredFindings {
  private readonly byKey = new Map<string, Promise<StoredEntry | undefined>>();
  private readonly securityFindings: boolean;

  constructor(
    private readonly scans: ScanStore,
    options: StoredFindingsOptions = {},
  ) {
    this.securityFindings = options.securityFindings ?? true;
  }

  /** The evidence for a reference, or undefined when no stored scan covers it (or findings are off). */
  async lookup(ref: ImageReference): Promise<StoredEntry | undefined> {
    if (!this.securityFindings) return undefined;
    const tag = taggedName(ref);
    const key = ref.digest ?? (tag === undefined ? undefined : await this.scans.keyForTag(tag));
    return key === undefined ? undefined : this.entry(key);
  }

  /** One TargetImage per distinct image, as targetImages makes them from a FindingsCatalog. */
  async targetImages(images: readonly string[]): Promise<TargetImage[]> {
    return Promise.all(
      [...new Set(images)].map(async (reference): Promise<TargetImage> => {
        const parsed = tryParseImageReference(reference);
        // An invalid reference can never be pulled; it has no evidence and says so.
        if (!parsed) return { reference, status: 'Unsupported' };
        const entry = await this.lookup(parsed);
        const digest = parsed.digest ?? entry?.digest;
        const base = { reference, parsed, ...(digest !== undefined && { digest }) };
        return entry ? { ...base, status: 'Scanned', evidence: entry.evidence } : { ...base, status: 'NotScanned' };
      }),
    );
  }

  private entry(key: string): Promise<StoredEntry | undefined> {
    let entry = this.byKey.get(key);
    if (!entry) {
      entry = this.scans.image(key).then((record) => record && storedEntry(key, record));
      this.byKey.set(key, entry);
    }
    return entry;
  }
}

function storedEntry(key: string, record: ImageRecord): StoredEntry {
  // The store dates a scan that does not say when it was made by when it was received.
  const scannedAt = record.scannedAt === undefined ? undefined : Date.parse(record.scannedAt);
  return {
    ...(!key.startsWith('id:') && { digest: key }),
    record,
    evidence: new ImageEvidence(record.findings, scannedAt === undefined || Number.isNaN(scannedAt) ? undefined : scannedAt),
  };
}
