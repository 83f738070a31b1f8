// The sync thread (started by sync-thread.ts): its own snapshot on the webhook's snapshot file,
// synced from the control plane (or the all-in-one's store) by a Syncer as on the admission
// thread, and each change it commits told to the admission thread, which follows it.
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { Store } from '../store/store.js';
import { LocalSnapshot } from './local-snapshot.js';
import { HttpSyncSource, StoreSyncSource, Syncer, type SyncSource } from './sync.js';
import type { SyncThreadData, SyncThreadMessage, SyncThreadRequest } from './sync-thread.js';

const port = parentPort;
if (port === null) throw new Error('sync-worker.ts runs as a worker thread (see sync-thread.ts)');
const data = workerData as SyncThreadData;
const post = (message: SyncThreadMessage) => port.postMessage(message);

// The admission thread's logger's fields (service, cluster, component) and nothing else, as its lines have.
const logger = pino({ level: data.logLevel, base: null }).child(data.logBindings);
// Nothing is looked up here: no evidence is kept built.
const snapshot = LocalSnapshot.open(data.file, { evidenceCacheSize: 2, onChange: (change) => post({ kind: 'change', change }) });
// The all-in-one's store through a connection of this thread's own (its checkpoints are the
// control plane's connection's). Imported only then: a sensor's thread starts without the
// store's modules (PostgreSQL's client among them).
let store: Store | undefined;
let source: SyncSource;
if (data.source.kind === 'store') {
  const { openStore } = await import('../store/open-store.js');
  // One sync at a time: two connections will do (on PostgreSQL).
  source = new StoreSyncSource((store = await openStore(data.source.database, { checkpoints: false, connections: 2 })));
} else source = new HttpSyncSource(data.source.endpoint);
const syncer = new Syncer({ source, snapshot, logger, ...(data.intervalMs !== undefined && { intervalMs: data.intervalMs }) });
syncer.start();

port.on('message', (request: SyncThreadRequest) => {
  if (request.kind === 'syncNow') {
    syncer.syncNow().then(
      (report) => post({ kind: 'synced', ticket: request.ticket, report }),
      (error: unknown) => post({ kind: 'failed', ticket: request.ticket, message: (error as Error).message }),
    );
    return;
  }
  void syncer.stop().then(async () => {
    snapshot.close();
    await store?.close();
    port.close();
  });
});
