// `portcullis webhook --workers N`: N processes answer reviews on one port (node:cluster shares
// the listening socket and hands connections round-robin), so a replica uses N cores. Each
// worker is a whole webhook with its own outbox under `<data-dir>/worker-<i>`; they share the
// snapshot file, which worker 0 syncs (see shared-snapshot.ts), and the port and the
// certificate. The primary starts them, starts again one that dies, stops them on a signal,
// passes worker 0's snapshot changes on to the others, and gathers their metrics, so that
// /metrics (answered by whichever worker takes the scrape) counts them all.
import cluster, { type Address, type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { isSnapshotChangeMessage } from './shared-snapshot.js';

/** Set in a worker's environment: its index, which names its data directory. */
export const WORKER_ENV = 'PORTCULLIS_WORKER';

/** The worker's index when this process is a worker of a pool. */
export function workerIndex(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const index = Number(process.env[WORKER_ENV]);
  return Number.isInteger(index) && index >= 0 ? index : undefined;
}

export interface WorkerPoolOptions {
  readonly count: number;
  /** More environment for every worker (e.g. the certificate the primary made). */
  readonly env?: Readonly<Record<string, string>>;
  readonly logger: Logger;
  /** How long a stop waits for workers to finish before killing them; default 30 s. */
  readonly stopTimeoutMs?: number;
  /** The wait before a worker that died is started again; default 1 s, doubled for one that dies again soon, up to 30 s. */
  readonly restartDelayMs?: number;
  /** Each worker's heap limit (`--max-old-space-size`, MiB); absent: V8's own (see workerHeapMiB). */
  readonly workerHeapMiB?: number;
}

/** Of each worker's share of the memory limit, what its heap may take: SQLite's cache, buffers and code live outside it. */
const HEAP_SHARE = 0.75;

/**
 * Each worker's heap limit under a memory limit (a container's cgroup): V8 sizes each process's
 * heap from the whole limit, so N workers would together count on N times the memory there is,
 * and the container would be killed before their garbage collectors felt any pressure. Absent
 * when there is no limit (`constrained` is 0 or not below the machine's memory) or when the
 * heap limit is set already (NODE_OPTIONS or the command line).
 */
export function workerHeapMiB(count: number, constrained: number, total: number, nodeOptions: readonly string[]): number | undefined {
  if (nodeOptions.some((option) => /^--max[-_]old[-_]space[-_]size\b/.test(option))) return undefined;
  if (!(constrained > 0) || constrained >= total) return undefined;
  return Math.max(64, Math.floor((constrained / count / 1_048_576) * HEAP_SHARE));
}

export interface RunningWorkerPool {
  /** Where the workers listen (the same port for all). */
  readonly address: Address;
  /** Resolves once every worker has stopped on its own (each was asked to, e.g. a terminal's Ctrl-C reached them all). */
  readonly ended: Promise<void>;
  /** Asks every worker to stop (SIGTERM: they answer the reviews in flight and flush their outboxes) and waits. */
  stop(): Promise<void>;
}

/** A worker that dies sooner than this after its start counts as dying at start. */
const QUICK_DEATH_MS = 60_000;
const MAX_RESTART_DELAY_MS = 30_000;

interface MetricsRequest {
  readonly portcullis: 'metrics';
  readonly id: number;
}

interface MetricsAnswer {
  readonly portcullis: 'metrics';
  readonly id: number;
  readonly text?: string;
  readonly error?: string;
}

/** Starts the workers (this process is the primary) and resolves once every one listens. */
export async function startWorkerPool(options: WorkerPoolOptions): Promise<RunningWorkerPool> {
  const { count, logger } = options;
  const aggregator = new AggregatorRegistry();
  const workers = new Map<number, Worker>();
  let stopping = false;
  const restarts = new Set<NodeJS.Timeout>();
  let markEnded = () => {};
  const ended = new Promise<void>((resolve) => (markEnded = resolve));

  const onMessage = (worker: Worker, message: unknown) => {
    if (isSnapshotChangeMessage(message)) {
      for (const other of workers.values()) if (other !== worker && other.isConnected()) other.send(message, undefined, () => undefined);
      return;
    }
    if (!isMetricsRequest(message)) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ portcullis: 'metrics', id: message.id, text } satisfies MetricsAnswer),
      (error: unknown) => worker.send({ portcullis: 'metrics', id: message.id, error: (error as Error).message } satisfies MetricsAnswer),
    );
  };
  cluster.on('message', onMessage);
  if (options.workerHeapMiB !== undefined) cluster.setupPrimary({ execArgv: [...process.execArgv, `--max-old-space-size=${options.workerHeapMiB}`] });

  /** Per worker index: restarts in a row of a worker that died within a minute of starting. */
  const quickDeaths = new Map<number, number>();
  const fork = (index: number): Worker => {
    const worker = cluster.fork({ ...options.env, [WORKER_ENV]: String(index) });
    const startedAt = Date.now();
    workers.set(index, worker);
    worker.once('exit', (code, signal) => {
      if (workers.get(index) === worker) workers.delete(index);
      if (stopping) return;
      // Stopped on purpose (it let go of its channel after closing): a terminal's Ctrl-C reaches
      // every process of the group, the workers before the primary sometimes.
      if (worker.exitedAfterDisconnect) {
        logger.info({ worker: index, code }, 'webhook worker stopped');
        if (workers.size === 0) markEnded();
        return;
      }
      // One that keeps dying at start (a bad disk, a broken snapshot) is retried ever more slowly.
      const inARow = Date.now() - startedAt < QUICK_DEATH_MS ? (quickDeaths.get(index) ?? 0) + 1 : 0;
      quickDeaths.set(index, inARow);
      const delayMs = Math.min((options.restartDelayMs ?? 1_000) * 2 ** Math.max(0, inARow - 1), MAX_RESTART_DELAY_MS);
      logger.error({ worker: index, code, signal, restartInMs: delayMs }, 'webhook worker died: starting it again');
      // Not unref'd: keeping the workers running is what the primary is for, even when all died.
      const restart = setTimeout(() => {
        restarts.delete(restart);
        if (!stopping) fork(index);
      }, delayMs);
      restarts.add(restart);
    });
    return worker;
  };

  const listening = Array.from({ length: count }, (_, index) => {
    const worker = fork(index);
    return new Promise<Address>((resolve, reject) => {
      worker.once('listening', resolve);
      worker.once('exit', (code) => reject(new Error(`webhook worker ${index} exited with ${code} before it listened`)));
    });
  });

  const stop = async (): Promise<void> => {
    stopping = true;
    for (const restart of restarts) clearTimeout(restart);
    restarts.clear();
    const exits = [...workers.values()].map((worker) => new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))));
    for (const worker of workers.values()) worker.process.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const worker of workers.values()) worker.process.kill('SIGKILL');
    }, options.stopTimeoutMs ?? 30_000);
    await Promise.all(exits);
    clearTimeout(killer);
    cluster.off('message', onMessage);
    markEnded();
  };

  try {
    const addresses = await Promise.all(listening);
    const address = addresses[0] as Address;
    return {
      address,
      ended,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * In a worker: the text of /metrics for the whole pool, which the primary gathers from every
 * worker's `registry`. Call once, early: it also makes this worker answer the primary's requests.
 */
export function poolMetrics(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // The constructor installs prom-client's listener for the primary's requests.
  new AggregatorRegistry();
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  let next = 0;
  process.on('message', (message: unknown) => {
    if (!isMetricsAnswer(message)) return;
    const request = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.text !== undefined) request?.resolve(message.text);
    else request?.reject(new Error(`the pool's metrics could not be gathered: ${message.error ?? 'no answer'}`));
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      process.send?.({ portcullis: 'metrics', id } satisfies MetricsRequest);
    });
}

function isMetricsRequest(message: unknown): message is MetricsRequest {
  return typeof message === 'object' && message !== null && (message as MetricsRequest).portcullis === 'metrics' && typeof (message as MetricsRequest).id === 'number' && !('text' in message) && !('error' in message);
}

function isMetricsAnswer(message: unknown): message is MetricsAnswer {
  return typeof message === 'object' && message !== null && (message as MetricsAnswer).portcullis === 'metrics' && ('text' in message || 'error' in message);
}
