// The admission webhook assembled: its snapshot of rules and findings (synced from the control
// plane, kept on disk), its outbox of events, the digest resolver, TLS, the handler and the
// HTTPS server. `portcullis webhook` (sensor mode) and `portcullis serve` (all-in-one) start it
// with different sources and sinks; the admission path is the same.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { FailureMode } from '../admission/decide.js';
import { credentialHelper, type CredentialHelperName } from '../registry/credential-helper.js';
import type { RegistryCredentials } from '../registry/hosts.js';
import { OciClient, type ManifestLookup } from '../registry/oci-client.js';
import { DigestResolver } from '../registry/resolver.js';
import { LocalSnapshot, SNAPSHOT_FILE, type SnapshotChange } from '../sensor/local-snapshot.js';
import { SnapshotReader } from '../sensor/snapshot-reader.js';
import { connectionToken } from '../sensor/control-plane.js';
import type { EventSink } from '../sensor/event-sinks.js';
import { OUTBOX_FILE, Outbox } from '../sensor/outbox.js';
import { handoffReceiver, PeerEventSink } from '../sensor/peer-handoff.js';
import { DEFAULT_SYNC_INTERVAL_MS, Syncer, type SnapshotSyncer, type SyncSource } from '../sensor/sync.js';
import { SyncThread } from '../sensor/sync-thread.js';
import { AdmissionHandler } from './admission-handler.js';
import { WebhookMetrics } from './metrics.js';
import { startWebhookServer } from './server.js';
import { followSnapshot, tellSnapshotState, type SnapshotSharing } from './shared-snapshot.js';
import { fetchPinnedTo } from '../tls/pinned-peer.js';
import { ensureSelfSigned, keepSelfSignedRenewed, readTls, watchTls, type TlsFiles } from '../tls/serving-tls.js';

export interface RegistryOptions {
  /** false: no registry reads; tags are matched through the tags scan reports name. */
  readonly resolve: boolean;
  readonly credentials?: RegistryCredentials;
  /** Cloud registries' credentials, issued to the webhook's own identity (`ecr`), for hosts without configured ones. */
  readonly credentialHelpers?: readonly CredentialHelperName[];
  readonly insecure?: readonly string[];
  readonly platform?: string;
  readonly ttlMs?: number;
  /** Resolved tags kept; default DEFAULT_RESOLVER_MAX_ENTRIES. */
  readonly cacheSize?: number;
  /** Instead of the OCI client: another way to ask registries (a benchmark's, a test's). */
  readonly lookup?: ManifestLookup;
}

export interface WebhookOptions {
  /** The outbox and a self-signed certificate; the snapshot too unless snapshotFile says otherwise. */
  readonly dataDir: string;
  /** Default `<dataDir>/snapshot.db`. */
  readonly snapshotFile?: string;
  /** A worker of a pool shares the snapshot file with the others (see shared-snapshot.ts). */
  readonly sharing?: SnapshotSharing;
  /** What the snapshot's evidence cache may take on the heap; default a share of the heap's limit (see defaultEvidenceCacheBytes). */
  readonly evidenceCacheBytes?: number;
  readonly host: string;
  readonly port: number;
  readonly source: SyncSource;
  readonly sink: EventSink;
  readonly cluster?: string;
  readonly failureMode: FailureMode;
  readonly deadlineMs: number;
  /** Operator's certificate files, reloaded on change; absent: a self-signed pair in the data directory. */
  readonly tls?: TlsFiles;
  /** DNS names for the self-signed certificate (the Service's names). */
  readonly tlsHosts?: readonly string[];
  readonly registry: RegistryOptions;
  readonly excludedNamespaces?: readonly string[];
  readonly logger: Logger;
  readonly syncIntervalMs?: number;
  /** Collect process metrics in the webhook's registry (sensor mode: the process is the webhook's). */
  readonly processMetrics?: boolean;
  /** Sensor mode: the replicas of a webhook hand each other the events they could not deliver (see peer-handoff.ts). */
  readonly peers?: PeerOptions;
}

export interface PeerOptions {
  /** The Sensor token, which another replica hands events over with (read again from tokenFile when it changes). */
  readonly token: string;
  readonly tokenFile?: string;
  /**
   * Where this replica hands over the events it could not deliver when it stops: the webhook
   * Service (`--handoff-url`). Needs the operator's certificate (`tls`), which the replicas share
   * and recognize each other by.
   */
  readonly url?: string;
  /** How long a stopping replica tries to hand its events over; default 10 s. */
  readonly handoffMs?: number;
}

export interface RunningWebhookService {
  readonly url: string;
  /** PEM of the self-signed CA, when the webhook made its own certificate. */
  readonly caPem?: string;
  readonly snapshot: LocalSnapshot;
  /** Absent when another worker syncs the snapshot this one follows. */
  readonly syncer?: SnapshotSyncer;
  readonly outbox: Outbox;
  readonly metrics: WebhookMetrics;
  /** Stops taking reviews, answers those in flight, delivers what the outbox can, closes. */
  close(): Promise<void>;
}

/** How long close() waits for the outbox to deliver before leaving the rest for the next start (or handing it over). */
const CLOSE_FLUSH_MS = 5_000;
/** How long close() then tries to hand the rest to another replica. */
const DEFAULT_HANDOFF_MS = 10_000;
/**
 * The handoff ends by this long after close() began, however long the steps before took (the
 * server answering on kept-alive connections, the flush): inside a pod's 30 s grace period, with
 * room for closing the files.
 */
const CLOSE_BUDGET_MS = 25_000;

export async function startWebhook(options: WebhookOptions): Promise<RunningWebhookService> {
  const { logger, peers } = options;
  // Replicas recognize each other by the certificate they share; a self-signed one is each its own.
  if (peers?.url !== undefined && options.tls === undefined) throw new Error('Handing events to another replica needs the certificate the replicas share (tls)');
  const log = logger.child({ component: 'webhook' });
  const metrics = new WebhookMetrics(options.processMetrics ?? false);
  const { sharing } = options;
  const snapshotFile = options.snapshotFile ?? join(options.dataDir, SNAPSHOT_FILE);
  // A source described in data syncs in a thread of its own, and this snapshot follows it (the
  // thread starts after the file is read below, so no change of its goes unseen).
  const threaded = sharing?.role === 'follows' ? undefined : options.source.portable;
  // What memory does not hold is read off the admission thread, within each review's deadline.
  const reader = new SnapshotReader(snapshotFile, log, (outcome, seconds) => metrics.snapshotReads.observe({ outcome }, seconds));
  const snapshot = LocalSnapshot.open(snapshotFile, {
    ...(options.evidenceCacheBytes !== undefined && { evidenceCacheBytes: options.evidenceCacheBytes }),
    reader,
    ...(sharing?.role === 'syncs' && threaded === undefined && { onChange: (change: SnapshotChange) => sharing.publish(change) }),
  });
  // Subscribed as the file is read: a change told before was committed before, and is in what was read.
  const syncIntervalMs = options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
  const unfollow = sharing?.role === 'follows' ? followSnapshot(snapshot, sharing, syncIntervalMs) : undefined;
  // NORMAL: an enqueued event survives the process dying at any moment; an fsync per admission
  // (FULL) would put a disk flush in front of every deployment.
  // Batches of 100: deleting what was delivered holds the event loop for each batch's page writes.
  const outbox = Outbox.open(join(options.dataDir, OUTBOX_FILE), { sink: options.sink, logger: log, synchronous: 'NORMAL', batchSize: 100 });
  const syncer: SnapshotSyncer | undefined =
    sharing?.role === 'follows'
      ? undefined
      : threaded
        ? new SyncThread({
            file: snapshotFile,
            source: threaded,
            intervalMs: syncIntervalMs,
            logger: log,
            // The thread says itself when the snapshot is stale (after failed rounds, as a syncer
            // here would). A pool's worker 0 tells the other workers too.
            onChange: (change) => {
              snapshot.follow(change);
              if (sharing?.role === 'syncs') sharing.publish(change);
            },
            // Nothing keeps the snapshot current until another thread has synced: it is stale
            // (the new thread's first round says otherwise).
            onStopped: () => snapshot.setStale(true),
          })
        : new Syncer({ source: options.source, snapshot, logger: log, intervalMs: syncIntervalMs });
  const closers: (() => unknown)[] = [];
  if (unfollow) closers.push(unfollow);
  if (sharing?.role === 'syncs') closers.push(tellSnapshotState(snapshot, sharing, syncIntervalMs));
  try {
    if (syncer) {
      syncer.start();
      closers.push(() => syncer.stop());
    }
    outbox.start();
    closers.push(() => outbox.close());
    await outbox.ready();
    await reader.ready();
    const resolver = options.registry.resolve
      ? new DigestResolver({
          lookup:
            options.registry.lookup ??
            new OciClient({
              ...(options.registry.credentials && { credentials: options.registry.credentials }),
              ...(options.registry.credentialHelpers && {
                credentialHelpers: options.registry.credentialHelpers.map((name) => credentialHelper(name, (outcome) => metrics.credentialFetches.inc({ helper: name, outcome }))),
              }),
              ...(options.registry.insecure && { insecure: options.registry.insecure }),
              ...(options.registry.platform && { platform: options.registry.platform }),
            }),
          ...(options.registry.ttlMs !== undefined && { ttlMs: options.registry.ttlMs }),
          ...(options.registry.cacheSize !== undefined && { maxEntries: options.registry.cacheSize }),
          hooks: metrics.resolverHooks(),
        })
      : undefined;
    let files: TlsFiles;
    let caPem: string | undefined;
    if (options.tls) files = options.tls;
    else {
      const made = await ensureSelfSigned(options.dataDir, options.tlsHosts ?? []);
      files = made;
      caPem = made.caPem;
    }
    const handler = new AdmissionHandler({
      snapshot,
      recorder: outbox,
      metrics,
      logger: log,
      ...(resolver && { resolver }),
      ...(options.cluster !== undefined && { cluster: options.cluster }),
      failureMode: options.failureMode,
      deadlineMs: options.deadlineMs,
      ...(options.excludedNamespaces && { excludedNamespaces: options.excludedNamespaces }),
    });
    const handoff = peers && handoffReceiver({ token: () => connectionToken(peers), record: (event) => outbox.record(event) });
    const server = await startWebhookServer({ handler, snapshot, metrics, tls: readTls(files), logger: log, host: options.host, port: options.port, ...(handoff && { handoff }) });
    const certFile = files.certFile;
    const caFileBeside = join(dirname(certFile), 'ca.crt');
    const peerSink =
      peers?.url === undefined
        ? undefined
        : new PeerEventSink({
            url: peers.url,
            token: peers.token,
            ...(peers.tokenFile !== undefined && { tokenFile: peers.tokenFile }),
            timeoutMs: 5_000,
            // The Secret's ca.crt beside the certificate (cert-manager writes one): a replica still serving the
            // certificate before a renewal's new key, or already after it, is recognized by it.
            fetch: fetchPinnedTo(
              () => readFileSync(certFile, 'utf8'),
              () => (existsSync(caFileBeside) ? readFileSync(caFileBeside, 'utf8') : ''),
            ),
          });
    closers.push(() => server.close());
    let stopWatching: (() => void) | undefined;
    if (!options.tls) {
      // Its own pair: issued anew, under the same CA, before it ends.
      closers.push(
        (stopWatching = keepSelfSignedRenewed(
          options.dataDir,
          options.tlsHosts ?? [],
          (made) => {
            server.setTls(readTls(made));
            log.info({ cert: made.certFile }, 'self-signed TLS: the serving certificate was renewed under the same CA');
          },
          (error) => log.warn({ err: error }, 'self-signed TLS could not be renewed; keeping the current certificate'),
        )),
      );
    } else {
      closers.push(
        (stopWatching = watchTls(
          files,
          (material) => {
            server.setTls(material);
            log.info({ cert: files.certFile }, 'TLS certificate reloaded');
          },
          (error) => log.warn({ err: error }, 'TLS files changed but could not be loaded; keeping the current certificate'),
        )),
      );
    }
    // Kept current between scrapes too: a worker pool's /metrics gathers every worker's values.
    const pendingTimer = setInterval(() => {
      metrics.outboxPending.set(outbox.pending());
      outbox.recountRejected().then(
        () => metrics.outboxRejected.set(outbox.rejected()),
        (error: unknown) => log.warn({ err: error }, 'the events set aside in the outbox could not be counted'),
      );
      metrics.snapshotStale.set(snapshot.state.stale ? 1 : 0);
    }, 5_000);
    pendingTimer.unref();
    closers.push(() => clearInterval(pendingTimer));
    metrics.observeEvidenceCache(() => snapshot.evidenceCache());
    log.info({ url: server.url, cluster: options.cluster, failureMode: options.failureMode, deadlineMs: options.deadlineMs }, 'webhook listening');
    return {
      url: server.url,
      ...(caPem !== undefined && { caPem }),
      snapshot,
      ...(syncer && { syncer }),
      outbox,
      metrics,
      close: async () => {
        const closing = Date.now();
        // The timer reads the outbox, which is closed below; the watcher would swap a closed server's certificate.
        clearInterval(pendingTimer);
        stopWatching?.();
        await server.close();
        await syncer?.stop();
        unfollow?.();
        // The events set aside, once more with the rest: a replica that stops for good would take them with its emptyDir.
        const flushed = (peerSink === undefined ? Promise.resolve(0) : outbox.retryRejected()).then(() => outbox.flush()).then(
          () => true,
          () => false,
        );
        const delivered = await Promise.race([flushed, delay(CLOSE_FLUSH_MS, false, { ref: false })]);
        if (peerSink !== undefined && undelivered(outbox) > 0) await handOver(outbox, peerSink, peers?.url ?? '', Math.min(peers?.handoffMs ?? DEFAULT_HANDOFF_MS, closing + CLOSE_BUDGET_MS - Date.now()), log);
        else if (!delivered) log.warn({ pending: outbox.pending() }, 'events left in the outbox for the next start');
        await outbox.close();
        snapshot.close();
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close();
    snapshot.close();
    throw error;
  }
}

/**
 * What a replica that stops for good would take with it: the events pending, and those set aside
 * (Outbox.handOff hands both; the other replica sets them aside again if the control plane still
 * refuses them).
 */
function undelivered(outbox: Outbox): number {
  return outbox.pending() + outbox.rejected();
}

/**
 * Hands what the outbox holds to another replica through the Service, trying again for a while:
 * the Service may pick a replica that is stopping too (a rolling update), and the next attempt
 * may find another. What is not handed over stays for the next start, as without a peer.
 */
async function handOver(outbox: Outbox, sink: EventSink, url: string, budgetMs: number, log: Logger): Promise<void> {
  const until = Date.now() + budgetMs;
  const before = undelivered(outbox);
  let lastError: unknown;
  while (undelivered(outbox) > 0 && Date.now() < until) {
    // Past the budget, close() aborts the handoff: its rejection then is nobody's concern.
    const attempt = outbox.handOff(sink);
    attempt.catch(() => undefined);
    try {
      await Promise.race([attempt, delay(Math.max(0, until - Date.now()), undefined, { ref: false })]);
    } catch (error) {
      lastError = error;
      await delay(250, undefined, { ref: false });
    }
  }
  const pending = undelivered(outbox);
  if (pending < before) log.info({ handed: before - pending, url }, 'events the control plane could not take were handed to another replica');
  if (pending > 0) log.warn({ pending, url, err: lastError }, 'events left in the outbox for the next start: no other replica took them in time');
}
