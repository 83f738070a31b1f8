// The all-in-one's webhook in a thread of its own (webhook-worker.ts). On the control plane's
// thread, every admission waited behind whatever the API was doing: a scan report of tens of
// thousands of findings parsed and stored, a page of events read, retention's deletes. Here the
// webhook answers reviews on its own event loop, on the machine's other core; it syncs its
// snapshot from the store the control plane opened, and records its events into it, through
// connections of its own (its sync thread's and its outbox's sender's to the SQLite file, or
// pools of their own on PostgreSQL).
import type { Logger } from 'pino';
import { InputError, type Problem } from '../problems.js';
import { startModuleWorker } from '../threads/module-worker.js';
import type { RegistryOptions, WebhookOptions } from './webhook.js';

/** The webhook's options that the thread can be given as they are (data, no functions). */
export type WebhookThreadSettings = Omit<WebhookOptions, 'source' | 'sink' | 'logger' | 'registry' | 'sharing' | 'peers' | 'processMetrics'> & {
  readonly registry: Omit<RegistryOptions, 'lookup'>;
};

export interface WebhookThreadOptions extends WebhookThreadSettings {
  /** The store the control plane opened and migrated: `sqlite:FILE` (absolute) or `postgres://…`. */
  readonly database: string;
  readonly logger: Logger;
}

/** What the thread is started with. */
export interface WebhookThreadData {
  readonly settings: WebhookThreadSettings;
  readonly database: string;
  readonly logLevel: string;
  readonly logBindings: Record<string, unknown>;
}

export type WebhookThreadRequest = { readonly kind: 'close' };

export type WebhookThreadMessage =
  | { readonly kind: 'listening'; readonly url: string; readonly caPem?: string }
  | { readonly kind: 'failed'; readonly message: string; readonly problems?: readonly Problem[] };

export interface RunningWebhookThread {
  readonly url: string;
  /** PEM of the self-signed CA, when the webhook made its own certificate. */
  readonly caPem?: string;
  /** Resolves if the thread ends without being asked to (an error in it): the webhook is gone. */
  readonly ended: Promise<Error>;
  /** Stops taking reviews, answers those in flight, delivers what the outbox can, closes; the thread ends. */
  close(): Promise<void>;
}

/**
 * How long close() waits for the thread to end after asking: the webhook's own close takes 25 s
 * at most (its outbox's flush and handoff), and a few more close the store.
 */
const CLOSE_WAIT_MS = 35_000;

/** Starts the thread and resolves once its webhook listens; rejects with the error that stopped it from starting. */
export function startWebhookThread(options: WebhookThreadOptions): Promise<RunningWebhookThread> {
  const { database, logger, ...settings } = options;
  const workerData: WebhookThreadData = { settings, database, logLevel: logger.level, logBindings: logger.bindings() };
  const worker = startModuleWorker(import.meta.url, 'webhook-worker', { workerData });
  let closing = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let errorInThread: Error | undefined;
  worker.on('error', (error) => (errorInThread = error));

  return new Promise((resolve, reject) => {
    const onMessage = (message: WebhookThreadMessage) => {
      if (message.kind === 'failed') {
        worker.off('message', onMessage);
        reject(message.problems ? new InputError(message.problems) : new Error(message.message));
        return;
      }
      if (message.kind !== 'listening') return;
      worker.off('message', onMessage);
      // Only an end nobody asked for is the caller's concern: after close(), it never resolves.
      const ended = exited.then(() => {
        if (closing) return new Promise<Error>(() => undefined);
        const error = errorInThread ?? new Error('the webhook thread ended');
        logger.fatal({ err: error }, 'the webhook thread stopped');
        return error;
      });
      resolve({
        url: message.url,
        ...(message.caPem !== undefined && { caPem: message.caPem }),
        ended,
        close: async () => {
          closing = true;
          worker.postMessage({ kind: 'close' } satisfies WebhookThreadRequest);
          // Should something keep the thread's loop alive once its webhook closed, it is ended:
          // the outbox holds only committed events, whatever moment a thread ends at.
          const stuck = setTimeout(() => void worker.terminate(), CLOSE_WAIT_MS);
          await exited;
          clearTimeout(stuck);
        },
      });
    };
    worker.on('message', onMessage);
    void exited.then(() => reject(errorInThread ?? new Error('the webhook thread ended before it listened')));
  });
}
