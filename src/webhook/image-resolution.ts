// From the images a request names to the images the engine evaluates: each tag resolved to its
// digest at the registry (within the request's deadline), then its evidence found in the
// snapshot by that digest (for a multi-arch image, its platform manifest's, else the index's),
// or by the tag alone for a report that names no digest (a scan of an image archive). A pinned
// index is followed to its platform manifest the same way. What could not be resolved in time is
// Unresolved, never guessed: a tag the registry did not answer for, and an image whose findings
// the snapshot had to read from disk and did not have in time.
import { tryParseImageReference, type ImageReference } from '../images/reference.js';
import type { TargetImage } from '../policy/target.js';
import type { DigestResolver } from '../registry/resolver.js';
import type { PolicySnapshot, SnapshotEntry, SnapshotLookup } from '../sensor/policy-snapshot.js';

export interface ResolutionContext {
  readonly snapshot: PolicySnapshot;
  /** Absent, or the account's registry access off: tags are matched through the scans' own tags. */
  readonly resolver?: DigestResolver;
  /** The account's security findings off: its images count as not scanned. */
  readonly useFindings: boolean;
  /**
   * performance.now() by which registries and the snapshot's file must have answered: the
   * request's budget. Only a cache miss waits.
   */
  readonly deadline: number;
}

/** What is left of the budget, at least a millisecond. */
function msLeft(context: ResolutionContext): number {
  return Math.max(1, Math.floor(context.deadline - performance.now()));
}

/**
 * An image as resolved: what the engine evaluates (`digest`: the platform manifest, whose
 * findings decide), and the digest the tag itself names (`tagDigest`: for a multi-arch image the
 * index, which is what a pinned reference must name to keep running on every architecture).
 */
export interface ResolvedImage {
  readonly image: TargetImage;
  readonly tagDigest?: string;
}

export async function resolveImages(references: readonly string[], context: ResolutionContext): Promise<ResolvedImage[]> {
  return Promise.all(references.map((reference) => resolveImage(reference, context)));
}

async function resolveImage(reference: string, context: ResolutionContext): Promise<ResolvedImage> {
  const parsed = tryParseImageReference(reference);
  // Not a reference any runtime can pull: nothing to find it by.
  if (!parsed) return { image: { reference, status: 'Unsupported' } };
  // No registry to ask: the snapshot knows it by digest, or by the tags scans named.
  if (!context.resolver) return { image: await fromSnapshot(reference, parsed, context, parsed, undefined) };
  if (parsed.digest !== undefined) return { image: await resolvePinned(reference, parsed, context, context.resolver) };
  const resolution = await context.resolver.resolve(parsed, { timeoutMs: msLeft(context) });
  if (resolution.status === 'Unresolved') return { image: { reference, parsed, status: 'Unresolved' } };
  // Findings of the platform manifest, else of the index (a multi-arch report names both).
  const decidedBy = resolution.platformDigest ?? resolution.digest;
  const candidates = [resolution.platformDigest, resolution.digest, resolution.indexDigest];
  for (let i = 0; i < candidates.length; i++) {
    const digest = candidates[i];
    if (digest === undefined || candidates.indexOf(digest) !== i) continue;
    const image = await fromSnapshot(reference, parsed, context, { ...parsed, digest }, decidedBy);
    if (image.status === 'Scanned' || image.status === 'Unresolved') return { image, tagDigest: resolution.digest };
  }
  // A report of an image archive names no digest, only tags: it is found by the tag alone.
  const byTag = await withinDeadline(context.snapshot.lookup(parsed), context);
  if (byTag === TIMED_OUT) return { image: unread(reference, parsed, decidedBy, context), tagDigest: resolution.digest };
  if (byTag?.evidence && byTag.digest === undefined && context.useFindings) return { image: { reference, parsed, digest: decidedBy, status: 'Scanned', evidence: byTag.evidence }, tagDigest: resolution.digest };
  return { image: { reference, parsed, digest: decidedBy, status: 'NotScanned' }, tagDigest: resolution.digest };
}

/**
 * A reference pinned to a digest: its own findings, else, when the digest is a multi-arch index
 * (as the mutating step pins a tag, so that every architecture keeps running), the findings of
 * the index's platform manifest, which then decides. Should the registry not say in time, the
 * digest is judged by what the snapshot holds for it.
 */
async function resolvePinned(reference: string, parsed: ImageReference, context: ResolutionContext, resolver: DigestResolver): Promise<TargetImage> {
  const pinned = await fromSnapshot(reference, parsed, context, parsed, undefined);
  if (pinned.status === 'Scanned' || pinned.status === 'Unresolved' || !context.useFindings) return pinned;
  const resolution = await resolver.resolve(parsed, { timeoutMs: msLeft(context), followIndex: true });
  const platform = resolution.status === 'Resolved' ? resolution.platformDigest : undefined;
  if (platform === undefined) return pinned;
  return fromSnapshot(reference, parsed, context, { ...parsed, digest: platform }, platform);
}

/** A read of the snapshot's file that did not answer within the request's budget. */
const TIMED_OUT = Symbol('timed out');

/**
 * A lookup's answer: at once from memory, else the read's, if it comes within the budget. A read
 * given up on goes on, and what it brings is kept for the next review that asks.
 */
function withinDeadline(found: SnapshotLookup, context: ResolutionContext): SnapshotEntry | undefined | Promise<SnapshotEntry | undefined | typeof TIMED_OUT> {
  if (!(found instanceof Promise)) return found;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(resolve, msLeft(context), TIMED_OUT)));
  return Promise.race([found, late]).finally(() => clearTimeout(timer));
}

/**
 * The image as the snapshot knows it under `key` (a digest, or the tag scans named), decided as
 * `decidedBy` when given (the platform manifest, though the findings were the index's), else as
 * the digest the snapshot found. One object literal per outcome: this runs for every image.
 */
function fromSnapshot(reference: string, parsed: ImageReference, context: ResolutionContext, key: ImageReference, decidedBy: string | undefined): TargetImage | Promise<TargetImage> {
  const found = withinDeadline(context.snapshot.lookup(key), context);
  if (!(found instanceof Promise)) return imageOf(reference, parsed, context, key, decidedBy, found);
  return found.then((entry) => (entry === TIMED_OUT ? unread(reference, parsed, decidedBy ?? key.digest, context) : imageOf(reference, parsed, context, key, decidedBy, entry)));
}

/**
 * An image whose findings were not read in time: Unresolved, as a tag the registry did not answer
 * for (the failure mode decides), unless its account uses no findings anyway.
 */
function unread(reference: string, parsed: ImageReference, digest: string | undefined, context: ResolutionContext): TargetImage {
  const status = context.useFindings ? 'Unresolved' : 'NotScanned';
  return digest === undefined ? { reference, parsed, status } : { reference, parsed, digest, status };
}

function imageOf(reference: string, parsed: ImageReference, context: ResolutionContext, key: ImageReference, decidedBy: string | undefined, entry: SnapshotEntry | undefined): TargetImage {
  const digest = decidedBy ?? entry?.digest ?? key.digest;
  if (!entry?.evidence || !context.useFindings) return digest === undefined ? { reference, parsed, status: 'NotScanned' } : { reference, parsed, digest, status: 'NotScanned' };
  return digest === undefined ? { reference, parsed, status: 'Scanned', evidence: entry.evidence } : { reference, parsed, digest, status: 'Scanned', evidence: entry.evidence };
}
