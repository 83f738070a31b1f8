// With `--workers N`, the workers share one snapshot file rather than keeping a copy each: worker
// 0 syncs it from the control plane and tells the others of every change it commits (through
// the pool's primary, over the workers' IPC channels); the others only read the file, and follow
// each change (see LocalSnapshot.follow). One sync for the replica, one file on disk and in the
// page cache, whatever the number of workers.
import type { LocalSnapshot, SnapshotChange } from '../sensor/local-snapshot.js';
import type { SnapshotState } from '../sensor/policy-snapshot.js';

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

/** Sync intervals without a word from worker 0 after which a follower says its snapshot is stale. */
const SILENT_INTERVALS = 3;

/** A change that tells nothing but the state: worker 0's word that it is alive, and how its snapshot stands. */
const stateOnly = (state: SnapshotState): SnapshotChange => ({ rules: false, settings: false, keys: [], tags: [], swept: false, state });

/**
 * Worker 0 tells the followers its snapshot's state once every sync interval, besides each change
 * it commits, so that their silence watch (followSnapshot) hears from it however long a sync round
 * takes: a round that pages in a large snapshot can take several intervals, and was mistaken for
 * a dead worker 0. Whether rounds fail is in the state itself (worker 0's syncer says when the
 * snapshot is stale). Answers a function that stops telling.
 */
export function tellSnapshotState(snapshot: Pick<LocalSnapshot, 'state'>, sharing: Extract<SnapshotSharing, { role: 'syncs' }>, syncIntervalMs: number): () => void {
  const timer = setInterval(() => sharing.publish(stateOnly(snapshot.state)), syncIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Makes `snapshot` follow the worker that syncs it. That worker tells every change it commits,
 * and its state once an interval (tellSnapshotState), stale or not as its syncer says. When it has
 * said nothing for three intervals it is down, restarting or stuck, so the follower says its
 * snapshot is stale (/readyz, /metrics) until it hears again. Answers a function that stops
 * following.
 */
export function followSnapshot(snapshot: LocalSnapshot, sharing: Extract<SnapshotSharing, { role: 'follows' }>, syncIntervalMs: number): () => void {
  let heardAt = Date.now();
  const unsubscribe = sharing.subscribe((change) => {
    heardAt = Date.now();
    snapshot.follow(change);
  });
  const watch = setInterval(() => {
    if (Date.now() - heardAt > SILENT_INTERVALS * syncIntervalMs && !snapshot.state.stale) snapshot.setStale(true);
  }, syncIntervalMs);
  watch.unref();
  return () => {
    clearInterval(watch);
    unsubscribe();
  };
}
