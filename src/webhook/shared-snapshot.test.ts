// A follower of a shared snapshot, on its own: it follows what it is told, and says its snapshot
// is stale when the worker that syncs has said nothing for three sync intervals; the worker that
// syncs tells its state once an interval, so a slow round is not silence.
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { LocalSnapshot, type SnapshotChange } from '../sensor/local-snapshot.js';
import type { SnapshotState } from '../sensor/policy-snapshot.js';
import { followSnapshot, tellSnapshotState } from './shared-snapshot.js';

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

test('worker 0 tells its state every interval: a round that takes ten intervals leaves the follower fresh; a stale worker 0 makes it stale at once', () => {
  let state: SnapshotState = { rulesSeq: 1, scansSeq: 1, syncedAt: '2026-03-01T00:00:00.000Z', stale: false };
  const told: SnapshotChange[] = [];
  const stopTelling = tellSnapshotState({ get state() { return state; } }, { role: 'syncs', publish: (change) => { told.push(change); tell(change); } }, 1_000);
  const stopFollowing = followSnapshot(snapshot, sharing, 1_000);

  // A round that pages in a large snapshot: no change committed for ten intervals.
  let staleSeen = false;
  for (let i = 0; i < 10; i++) {
    vi.advanceTimersByTime(1_000);
    staleSeen ||= snapshot.state.stale;
  }
  expect(staleSeen).toBe(false);
  expect(told).toHaveLength(10);
  expect(told[0]).toEqual({ rules: false, settings: false, keys: [], tags: [], swept: false, state });
  expect(snapshot.state).toEqual(state);

  // Its rounds fail: its syncer says stale, and the followers hear it with the next word.
  state = { ...state, stale: true };
  vi.advanceTimersByTime(1_000);
  expect(snapshot.state.stale).toBe(true);

  // Worker 0 stops: no more words. The follower keeps the last state it heard.
  stopTelling();
  state = { ...state, stale: false };
  vi.advanceTimersByTime(5_000);
  expect(told).toHaveLength(11);
  expect(snapshot.state.stale).toBe(true);
  stopFollowing();
});

test('worker 0 gone silent while fresh: the follower says stale after three intervals of silence', () => {
  const state: SnapshotState = { rulesSeq: 1, scansSeq: 1, syncedAt: '2026-03-01T00:00:00.000Z', stale: false };
  const stopTelling = tellSnapshotState({ state }, { role: 'syncs', publish: (change) => tell(change) }, 1_000);
  const stopFollowing = followSnapshot(snapshot, sharing, 1_000);
  vi.advanceTimersByTime(5_000);
  expect(snapshot.state.stale).toBe(false);
  stopTelling();
  vi.advanceTimersByTime(3_000);
  expect(snapshot.state.stale).toBe(false);
  vi.advanceTimersByTime(1_000);
  expect(snapshot.state.stale).toBe(true);
  stopFollowing();
});
