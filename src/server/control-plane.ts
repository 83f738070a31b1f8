// The control plane as a running server: the store opened and migrated, the first-start
// bootstrap, the API listening, event retention on a timer, and a shutdown that lets requests
// in flight finish. `portcullis serve` and `portcullis control-plane` both start it.
import { mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import { buildApi } from '../api/app.js';
import { startRetention } from '../api/retention.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { readTls, type TlsFiles } from '../tls/serving-tls.js';
import { bootstrap, type BootstrapResult } from './bootstrap.js';

export interface ControlPlaneOptions {
  /** `sqlite:PATH` (relative to dataDir), `postgres://…`; default `sqlite:portcullis.db` in dataDir. */
  readonly database?: string;
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Admission events older than this are pruned; default 30. */
  readonly retentionDays?: number;
  /** PORTCULLIS_ADMIN_TOKEN: the first admin token's secret, instead of a random one. */
  readonly adminSecret?: string;
  /** Serve the API over HTTPS with these files (PEM). */
  readonly tls?: TlsFiles;
}

export interface RunningControlPlane {
  readonly url: string;
  /** The store's database as opened: `sqlite:FILE` (absolute), `sqlite::memory:` or `postgres://…`. */
  readonly database: string;
  readonly store: Store;
  readonly bootstrap: BootstrapResult;
  /** Stops taking connections, finishes the requests in flight, closes the store. */
  close(): Promise<void>;
}

export const DEFAULT_RETENTION_DAYS = 30;

export async function startControlPlane(options: ControlPlaneOptions): Promise<RunningControlPlane> {
  const now = options.now ?? (() => new Date());
  const database = databaseUrl(options.database, options.dataDir);
  const store = await openStore(database);
  try {
    await store.migrate();
    const result = await bootstrap(store, now(), options.adminSecret);
    const app = buildApi({ store, now, logger: options.logger, ...(options.tls && { tls: readTls(options.tls) }) });
    const stopRetention = startRetention(store, { days: options.retentionDays ?? DEFAULT_RETENTION_DAYS, now, logger: options.logger });
    let address: string;
    try {
      address = await app.listen({ host: options.host, port: options.port });
      if (options.tls) address = address.replace(/^http:/, 'https:');
    } catch (error) {
      stopRetention();
      await app.close();
      throw error;
    }
    options.logger.info({ url: address, store: store.kind }, 'control plane listening');
    return {
      url: address,
      database,
      store,
      bootstrap: result,
      close: async () => {
        stopRetention();
        await app.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** The database to open; a SQLite file is made in the data directory, which is created. */
export function databaseUrl(database: string | undefined, dataDir: string): string {
  const url = database ?? 'sqlite:portcullis.db';
  if (!url.startsWith('sqlite:') || url === 'sqlite::memory:') return url;
  const path = url.slice('sqlite:'.length);
  mkdirSync(dataDir, { recursive: true });
  return `sqlite:${isAbsolute(path) ? path : join(dataDir, path)}`;
}
