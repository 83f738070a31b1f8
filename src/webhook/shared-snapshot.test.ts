// A follower of a shared snapshot, on its own: it follows what it is told, and says its snapshot
// is stale when the worker that syncs has said nothing for three sync rounds.
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { LocalSnapshot, type SnapshotChange } from '../sensor/local-snapshot.js';
import { followSnapshot } from './shared-snapshot.js';

let snapshot: LocalSnapshot;
let tell: (change: SnapshotChange) => void = () => {};
let subscribed = 0;
const sharing = {
  role: 'follows' as const,
  subscribe: (follow: (change: SnapshotChange) => void) => {
    tell = follow;
    subscribed += 1;
    return () => {
      subscribed -= 1;
    };
  },
};
const round = (syncedAt: string, stale = false): SnapshotChange => ({ rules: false, settings: false, keys: [], tags: [], swept: false, state: { rulesSeq: 1, scansSeq: 1, syncedAt, stale } });

beforeEach(() => {
  vi.useFakeTimers();
  snapshot = LocalSnapshot.open(':memory:');
});
afterEach(() => {
  snapshot.close();
  vi.useRealTimers();
});

test('rounds told keep it fresh; three silent rounds make it stale; the next round told makes it fresh again', () => {
  const stop = followSnapshot(snapshot, sharing, 1_000);
  expect(subscribed).toBe(1);
  for (let i = 1; i <= 5; i++) {
    vi.advanceTimersByTime(1_000);
    tell(round(`2026-03-01T00:00:0${i}.000Z`));
  }
  expect(snapshot.state).toMatchObject({ syncedAt: '2026-03-01T00:00:05.000Z', stale: false });

  // Worker 0 is down: nothing for three rounds, then the next check says stale.
  vi.advanceTimersByTime(3_000);
  expect(snapshot.state.stale).toBe(false);
  vi.advanceTimersByTime(1_000);
  expect(snapshot.state.stale).toBe(true);
  // Its last synced state stays: /readyz still answers ready, and says stale.
  expect(snapshot.state.syncedAt).toBe('2026-03-01T00:00:05.000Z');

  tell(round('2026-03-01T00:00:20.000Z'));
  expect(snapshot.state.stale).toBe(false);
  stop();
  expect(subscribed).toBe(0);
  // Stopped: silence no longer counts.
  vi.advanceTimersByTime(10_000);
  expect(snapshot.state.stale).toBe(false);
});
