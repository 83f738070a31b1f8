// With `--workers N`, the workers share one snapshot file rather than keeping a copy each: worker
// 0 syncs it from the control plane and tells the others of every change it commits (through
// the pool's primary, over the workers' IPC channels); the others only read the file, and follow
// each change (see LocalSnapshot.follow). One sync for the replica, one file on disk and in the
// page cache, whatever the number of workers.
import type { LocalSnapshot, SnapshotChange } from '../sensor/local-snapshot.js';

/** How a webhook shares its snapshot; absent: it has one of its own, and syncs it. */
export type SnapshotSharing =
  | { readonly role: 'syncs'; publish(change: SnapshotChange): void }
  | { readonly role: 'follows'; subscribe(follow: (change: SnapshotChange) => void): () => void };

interface SnapshotChangeMessage {
  readonly portcullis: 'snapshot-change';
  readonly change: SnapshotChange;
}

export function isSnapshotChangeMessage(message: unknown): message is SnapshotChangeMessage {
  return typeof message === 'object' && message !== null && (message as { portcullis?: unknown }).portcullis === 'snapshot-change';
}

/** Worker `index` of a pool: worker 0 syncs, the others follow it. */
export function workerSnapshotSharing(index: number): SnapshotSharing {
  if (index === 0) {
    return {
      role: 'syncs',
      publish: (change) => {
        // While the pool stops, the channel may already be gone: the followers are stopping too.
        if (process.connected) process.send?.({ portcullis: 'snapshot-change', change } satisfies SnapshotChangeMessage, undefined, undefined, () => undefined);
      },
    };
  }
  return {
    role: 'follows',
    subscribe: (follow) => {
      const listener = (message: unknown) => {
        if (isSnapshotChangeMessage(message)) follow(message.change);
      };
      process.on('message', listener);
      return () => process.off('message', listener);
    },
  };
}

/** Sync rounds without a word from worker 0 after which a follower says its snapshot is stale. */
const SILENT_ROUNDS = 3;

/**
 * Makes `snapshot` follow the worker that syncs it. That worker tells after each sync round that
 * succeeds (the round's time is a change); when it has said nothing for a few rounds, it is down
 * or restarting, or its rounds fail (the control plane is away), so the follower says its
 * snapshot is stale (/readyz, /metrics) until it hears again. It may say so a little before
 * worker 0 itself does, which waits for three failed rounds with backoff between them. Answers
 * a function that stops following.
 */
export function followSnapshot(snapshot: LocalSnapshot, sharing: Extract<SnapshotSharing, { role: 'follows' }>, syncIntervalMs: number): () => void {
  let heardAt = Date.now();
  const unsubscribe = sharing.subscribe((change) => {
    heardAt = Date.now();
    snapshot.follow(change);
  });
  const watch = setInterval(() => {
    if (Date.now() - heardAt > SILENT_ROUNDS * syncIntervalMs && !snapshot.state.stale) snapshot.setStale(true);
  }, syncIntervalMs);
  watch.unref();
  return () => {
    clearInterval(watch);
    unsubscribe();
  };
}
