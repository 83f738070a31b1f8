// Binds a workload's images to the evidence the findings catalog holds for them.
import type { FindingsCatalog } from '../findings/catalog.js';
import { tryParseImageReference } from '../images/reference.js';
import type { TargetImage } from '../policy/target.js';

/** One TargetImage per distinct image: Scanned when a report covers it, else NotScanned. */
export function targetImages(images: readonly string[], catalog: FindingsCatalog): TargetImage[] {
  return [...new Set(images)].map((reference) => {
    const parsed = tryParseImageReference(reference);
    // An invalid reference can never be pulled; it has no evidence and says so.
    if (!parsed) return { reference, status: 'Unsupported' };
    const entry = catalog.lookup(parsed);
    const digest = parsed.digest ?? entry?.digest;
    const base = { reference, parsed, ...(digest !== undefined && { digest }) };
    return entry ? { ...base, status: 'Scanned', evidence: entry.evidence } : { ...base, status: 'NotScanned' };
  });
}
