// The all-in-one's webhook thread (started by webhook-thread.ts): the store the control plane
// opened, and a webhook synced from it and recording its events into it, as the all-in-one's
// webhook on the control plane's thread was.
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { InputError } from '../problems.js';
import { StoreEventSink } from '../sensor/event-sinks.js';
import { StoreSyncSource } from '../sensor/sync.js';
import { openStore } from '../store/open-store.js';
import { startWebhook } from './webhook.js';
import type { WebhookThreadData, WebhookThreadMessage, WebhookThreadRequest } from './webhook-thread.js';

const port = parentPort;
if (port === null) throw new Error('webhook-worker.ts runs as a worker thread (see webhook-thread.ts)');
const data = workerData as WebhookThreadData;
const post = (message: WebhookThreadMessage) => port.postMessage(message);

// The control plane's logger's fields (service) and nothing else, as its lines have.
const logger = pino({ level: data.logLevel, base: null }).child(data.logBindings);
// The control plane migrated it, and its connection checkpoints the SQLite file. On SQLite this
// one only names the file: the sync thread and the outbox's sender open it themselves. On
// PostgreSQL the events are written through it, one delivery at a time: two connections will do.
const store = await openStore(data.database, { checkpoints: false, connections: 2 });
try {
  const webhook = await startWebhook({ ...data.settings, source: new StoreSyncSource(store, data.database), sink: new StoreEventSink(store), logger });
  post({ kind: 'listening', url: webhook.url, ...(webhook.caPem !== undefined && { caPem: webhook.caPem }) });
  port.once('message', (request: WebhookThreadRequest) => {
    if (request.kind !== 'close') return;
    void webhook
      .close()
      .finally(() => store.close())
      .then(() => port.close());
  });
} catch (error) {
  await store.close();
  post({ kind: 'failed', message: (error as Error).message, ...(error instanceof InputError && { problems: error.problems }) });
  port.close();
}
