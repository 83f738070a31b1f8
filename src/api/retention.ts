// Retention of admission events: a timer that deletes events older than the retention period.
// The period is the installation's `retentionDays` setting (PUT /api/v1/settings) when an Admin
// has set one, else the `days` the server was started with; it is read at every run, so a change
// takes effect without a restart.
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';

export interface RetentionOptions {
  /** Days events are kept when the installation has no `retentionDays` setting. */
  readonly days: number;
  readonly now: () => Date;
  /** Between two runs, from the first; default one hour. */
  readonly intervalMs?: number;
  /** Before the first run, so a starting server is not slowed by it; default one minute. */
  readonly firstRunMs?: number;
  readonly logger?: Logger | false;
}

/** Stops the timer (a run in flight finishes, or on SQLite stops between chunks once the store is closed); `runOnce` prunes now and answers how many events went. */
export interface StopRetention {
  (): void;
  runOnce(): Promise<number>;
}

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
/** The setting of settings.ts, read here without its defaults: unset means `days`. */
const SETTING = 'retentionDays';

export function startRetention(store: Store, options: RetentionOptions): StopRetention {
  if (!Number.isInteger(options.days) || options.days < 1) throw new RangeError(`retention days must be a whole number of at least 1, not ${options.days}`);
  const intervalMs = options.intervalMs ?? HOUR_MS;
  const log = options.logger || undefined;

  const runOnce = async (): Promise<number> => {
    const days = await retentionDays(store, options.days);
    const before = new Date(options.now().getTime() - days * DAY_MS).toISOString();
    const pruned = await store.events.prune(before);
    if (pruned > 0) log?.info({ pruned, before, days }, 'admission events pruned');
    return pruned;
  };

  let running = false;
  let stopped = false;
  const tick = (): void => {
    // A run slower than the interval is not stacked on: the next tick finds it still going.
    if (running || stopped) return;
    running = true;
    runOnce()
      .catch((error: unknown) => log?.warn({ err: error }, 'pruning admission events failed; trying again at the next interval'))
      .finally(() => {
        running = false;
      });
  };
  // Unref'd: retention never keeps a process alive that has nothing else to do.
  let every: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    tick();
    every = setInterval(tick, intervalMs).unref();
  }, options.firstRunMs ?? 60_000).unref();

  const stop = (): void => {
    stopped = true;
    clearTimeout(first);
    clearInterval(every);
  };
  return Object.assign(stop, { runOnce });
}

async function retentionDays(store: Store, fallback: number): Promise<number> {
  const setting = await store.settings.get<unknown>(SETTING);
  return typeof setting === 'number' && Number.isInteger(setting) && setting >= 1 ? setting : fallback;
}
