// `portcullis webhook`: the admission webhook alone, in a cluster (sensor mode). It syncs rules,
// settings and findings from the control plane, keeps them on disk to serve from when the
// control plane is away, and sends its events through a durable outbox.
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { pino, type Logger } from 'pino';
import { InputError } from '../problems.js';
import { HttpEventSink } from '../sensor/event-sinks.js';
import { deliverStrandedOutboxes, strandedOutboxes, workerDataDir } from '../sensor/stranded-outboxes.js';
import { HttpSyncSource } from '../sensor/sync.js';
import { ensureSelfSigned, keepSelfSignedRenewed } from '../tls/serving-tls.js';
import { readCaFile } from '../tls/trusted-ca.js';
import { SNAPSHOT_FILE } from '../sensor/local-snapshot.js';
import { workerSnapshotSharing } from '../webhook/shared-snapshot.js';
import { startWebhook } from '../webhook/webhook.js';
import { poolMetrics, startWorkerPool, workerHeapMiB, workerIndex } from '../webhook/worker-pool.js';
import type { Io } from './main.js';
import { processStopSignal, type StopSignal } from './stop-signal.js';
import { caBundleLines, evidenceCache, excludedNamespaces, millis, registryOptions, tlsFiles, withWebhookOptions, type WebhookFlags } from './webhook-options.js';

interface SensorFlags extends WebhookFlags {
  controlPlane: string;
  caFile?: string;
  token?: string;
  tokenFile?: string;
  handoffUrl?: string;
  cluster: string;
  dataDir: string;
  host: string;
  syncInterval: number;
  logLevel: string;
  workers: number;
}

/** The certificate a pool's primary made, handed to its workers (all serve the same one). */
const POOL_TLS_CERT = 'PORTCULLIS_POOL_TLS_CERT';
const POOL_TLS_KEY = 'PORTCULLIS_POOL_TLS_KEY';

export function registerWebhook(program: Command, io: Io, stopSignal: StopSignal = processStopSignal): void {
  withWebhookOptions(
    program
      .command('webhook')
      .description('Run the admission webhook alone (sensor mode), synced from a control plane')
      .requiredOption('--control-plane <url>', 'the control plane, e.g. https://portcullis.example.com')
      .option('--token <token>', 'a Sensor token (prefer --token-file or PORTCULLIS_TOKEN: arguments show in `ps`)')
      .option('--token-file <file>', 'a file holding the Sensor token (a mounted Secret)')
      .option('--ca-file <file>', "a CA certificate (PEM) to trust for an HTTPS control plane, besides the system's")
      .option('--handoff-url <url>', "the webhook's Service (https://<service>.<namespace>.svc): on stopping, events the control plane could not take are handed to another replica there (needs --tls-cert: replicas recognize each other by it)", httpsUrl)
      .requiredOption('--cluster <name>', 'this cluster, as registered on the control plane')
      .option('--data-dir <dir>', 'where the snapshot, the outbox and a self-signed certificate live', './data')
      .option('--host <address>', 'address to listen on', '0.0.0.0')
      .option('--sync-interval <duration>', 'how often to pull changes from the control plane', millis, 5000)
      .option('--log-level <level>', 'fatal, error, warn, info, debug, trace', process.env.PORTCULLIS_LOG_LEVEL ?? 'info')
      .option('--workers <n>', 'processes answering reviews on the port, each with its own outbox, sharing one snapshot (one per core the replica has)', workerCount, 1),
  ).action(async (flags: SensorFlags) => {
    const token = tokenOf(flags);
    if (flags.handoffUrl !== undefined && tlsFiles(flags) === undefined) {
      throw InputError.of({ path: '--handoff-url', message: 'needs --tls-cert and --tls-key: replicas recognize each other by the certificate they share, and a self-signed one is each its own' });
    }
    // Read before a pool starts: a bad file is one clear error, not workers failing in turn.
    const caPem = flags.caFile === undefined ? undefined : readCaFile(flags.caFile);
    const index = workerIndex();
    const logger = pino({ level: flags.logLevel, base: { service: 'portcullis-webhook', cluster: flags.cluster, ...(index !== undefined && { worker: index }) } });
    if (flags.workers > 1 && index === undefined) return runPool(flags, io, stopSignal, logger);
    // Listened for from the start: a signal while starting (a pool's Ctrl-C) stops it once started.
    const stopping = stopSignal();
    const url = flags.controlPlane.replace(/\/+$/, '');
    // A token from a file (a mounted Secret) is read again when the file changes: rotated, it is used from the next request on.
    const tokenFile = flags.tokenFile === undefined ? undefined : resolve(flags.tokenFile);
    // In data alone: the sync thread and the outbox's sender thread make their own connections to it.
    const endpoint = { url, token, ...(tokenFile !== undefined && { tokenFile }), ...(caPem !== undefined && { caPem }) };
    const dataDir = resolve(flags.dataDir);
    const poolCert = process.env[POOL_TLS_CERT];
    const poolKey = process.env[POOL_TLS_KEY];
    const tls = index !== undefined && poolCert !== undefined && poolKey !== undefined ? { certFile: poolCert, keyFile: poolKey } : tlsFiles(flags);
    const webhook = await startWebhook({
      dataDir: index === undefined ? dataDir : workerDataDir(dataDir, index),
      // A pool's workers share one snapshot at the top of the data directory: worker 0 syncs it.
      ...(index !== undefined && { snapshotFile: join(dataDir, SNAPSHOT_FILE), sharing: workerSnapshotSharing(index) }),
      host: flags.host,
      port: flags.webhookPort,
      source: new HttpSyncSource({ ...endpoint, cluster: flags.cluster }),
      sink: new HttpEventSink(endpoint),
      cluster: flags.cluster,
      failureMode: flags.failureMode,
      deadlineMs: flags.deadline,
      ...(tls && { tls }),
      tlsHosts: flags.tlsHost,
      registry: registryOptions(flags),
      ...evidenceCache(flags),
      excludedNamespaces: excludedNamespaces(flags),
      logger,
      syncIntervalMs: flags.syncInterval,
      processMetrics: true,
      peers: { token, ...(tokenFile !== undefined && { tokenFile }), ...(flags.handoffUrl !== undefined && { url: flags.handoffUrl }) },
    });
    if (index === undefined) io.stderr(`${[`Portcullis webhook listening on ${webhook.url} (cluster ${flags.cluster}, failure mode ${flags.failureMode})`, ...caBundleLines(webhook.caPem)].join('\n')}\n`);
    else webhook.metrics.exposeWith(poolMetrics(webhook.metrics.registry));
    // Outboxes that this layout no longer writes (the webhook ran alone before, or with more
    // workers): the webhook alone, or a pool's worker 0, delivers their events and removes them.
    const stranded = index === undefined || index === 0 ? strandedOutboxes(dataDir, index === undefined ? undefined : flags.workers) : [];
    const leftovers = stranded.length > 0 ? deliverStrandedOutboxes(stranded, { sink: new HttpEventSink(endpoint), logger }) : undefined;
    const signal = await stopping;
    logger.info({ signal, pending: webhook.outbox.pending() }, 'shutting down: answering reviews in flight, delivering events');
    await leftovers?.stop();
    await webhook.close();
    // A worker's channel to the primary keeps it alive: let go of it, and the process ends.
    cluster.worker?.disconnect();
  });
}

/** The primary of `--workers N`: makes the certificate once, starts the workers, stops them on a signal. */
async function runPool(flags: SensorFlags, io: Io, stopSignal: StopSignal, logger: Logger): Promise<void> {
  const stopping = stopSignal();
  let env: Record<string, string> = {};
  let caPem: string | undefined;
  let stopRenewing: (() => void) | undefined;
  if (tlsFiles(flags) === undefined) {
    const dataDir = resolve(flags.dataDir);
    const made = await ensureSelfSigned(dataDir, flags.tlsHost);
    env = { [POOL_TLS_CERT]: made.certFile, [POOL_TLS_KEY]: made.keyFile };
    caPem = made.caPem;
    // Renewed here, before it ends; the workers reload the files as they would an operator's.
    stopRenewing = keepSelfSignedRenewed(
      dataDir,
      flags.tlsHost,
      () => logger.info('self-signed TLS: the serving certificate was renewed under the same CA'),
      (error) => logger.warn({ err: error }, 'self-signed TLS could not be renewed; keeping the current certificate'),
    );
  }
  const heapMiB = workerHeapMiB(flags.workers, process.constrainedMemory?.() ?? 0, totalmem(), [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]);
  if (heapMiB !== undefined) logger.info({ workers: flags.workers, heapMiB }, "each worker's heap is its share of the memory limit");
  const pool = await startWorkerPool({ count: flags.workers, env, logger, ...(heapMiB !== undefined && { workerHeapMiB: heapMiB }) });
  const host = pool.address.address.includes(':') ? `[${pool.address.address}]` : pool.address.address;
  const url = `https://${host}:${pool.address.port}`;
  io.stderr(`${[`Portcullis webhook listening on ${url} (cluster ${flags.cluster}, ${flags.workers} workers, failure mode ${flags.failureMode})`, ...caBundleLines(caPem)].join('\n')}\n`);
  // A signal to this process, or every worker stopped by one of its own (Ctrl-C reaches them all).
  const signal = await Promise.race([stopping, pool.ended.then(() => 'workers stopped')]);
  logger.info({ signal }, 'shutting down: each worker answers its reviews in flight and delivers its events');
  stopRenewing?.();
  await pool.stop();
}

function httpsUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a URL: https://<service>.<namespace>.svc');
  }
  if (url.protocol !== 'https:') throw new InvalidArgumentError('must be an https:// URL: the webhook serves HTTPS only');
  return value.replace(/\/+$/, '');
}

function workerCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('must be a whole number from 1 to 64');
  return n;
}

function tokenOf(flags: SensorFlags): string {
  if (flags.tokenFile !== undefined) {
    try {
      return readFileSync(flags.tokenFile, 'utf8').trim();
    } catch (error) {
      throw InputError.of({ file: flags.tokenFile, message: `cannot be read: ${(error as Error).message}` });
    }
  }
  const token = flags.token ?? process.env.PORTCULLIS_TOKEN;
  if (token === undefined || token === '') throw InputError.of({ path: '--token', message: 'a Sensor token is needed: --token-file, --token or PORTCULLIS_TOKEN' });
  return token;
}
