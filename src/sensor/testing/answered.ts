// Tests read a snapshot that reads its file on the calling thread (no reader): each lookup
// answers at once, and this says so to the type checker.
import type { SnapshotEntry, SnapshotLookup } from '../policy-snapshot.js';

/** The lookup's answer; a promise (a snapshot reading in a thread) fails the test. */
export function answered(found: SnapshotLookup): SnapshotEntry | undefined {
  if (found instanceof Promise) throw new Error('this snapshot reads in a thread: await its lookups');
  return found;
}
