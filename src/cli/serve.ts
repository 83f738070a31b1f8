// `portcullis serve` (all-in-one: what `npm start` runs) and `portcullis control-plane` (the API
// alone, for several replicas over PostgreSQL). Both run until SIGINT or SIGTERM, then finish
// the requests in flight and exit 0.
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { pino, type Logger } from 'pino';
import { InputError } from '../problems.js';
import { DEFAULT_RETENTION_DAYS, startControlPlane } from '../server/control-plane.js';
import { StoreEventSink } from '../sensor/event-sinks.js';
import { StoreSyncSource } from '../sensor/sync.js';
import type { Store } from '../store/store.js';
import { startWebhook } from '../webhook/webhook.js';
import { startWebhookThread, type WebhookThreadSettings } from '../webhook/webhook-thread.js';
import type { Io } from './main.js';
import { processStopSignal, type StopSignal } from './stop-signal.js';
import { caBundleLines, evidenceCache, excludedNamespaces, port, registryOptions, tlsFiles, withWebhookOptions, type WebhookFlags } from './webhook-options.js';

interface ServeOptions extends Partial<WebhookFlags> {
  dataDir: string;
  port: number;
  host: string;
  cluster?: string;
  database?: string;
  retentionDays: number;
  logLevel: string;
  apiTlsCert?: string;
  apiTlsKey?: string;
}

const MIN_ADMIN_SECRET = 24;

export function registerServe(program: Command, io: Io, stopSignal: StopSignal = processStopSignal): void {
  const common = (command: Command) =>
    command
      .option('--data-dir <dir>', 'where the SQLite database (and TLS material) live', './data')
      .option('--port <n>', 'HTTP port of the API (and UI)', port, 8080)
      .option('--host <address>', 'address to listen on', '0.0.0.0')
      .option('--database <url>', 'sqlite:PATH (relative to --data-dir) or postgres://user:pass@host/db', process.env.PORTCULLIS_DATABASE)
      .option('--retention-days <n>', 'admission events older than this are deleted', positive, DEFAULT_RETENTION_DAYS)
      .option('--api-tls-cert <file>', 'serve the API over HTTPS with this certificate (PEM); without it, plain HTTP for a TLS-terminating ingress')
      .option('--api-tls-key <file>', 'its private key (PEM)')
      .option('--log-level <level>', 'fatal, error, warn, info, debug, trace', process.env.PORTCULLIS_LOG_LEVEL ?? 'info');

  withWebhookOptions(common(program.command('serve')))
    .description('Run Portcullis all-in-one: control plane, API and admission webhook in one process (SQLite by default).')
    .option('--cluster <name>', 'the cluster this webhook guards, as registered (for cluster and cloud scopes)')
    .action((options: ServeOptions) => run('serve', options, io, stopSignal));

  common(program.command('control-plane'))
    .description('Run the control plane alone (API, no webhook): several replicas over one PostgreSQL database.')
    .action((options: ServeOptions) => run('control-plane', options, io, stopSignal));
}

async function run(mode: 'serve' | 'control-plane', options: ServeOptions, io: Io, stopSignal: StopSignal): Promise<void> {
  const logger: Logger = pino({ level: options.logLevel, base: { service: `portcullis-${mode}` } });
  const adminSecret = process.env.PORTCULLIS_ADMIN_TOKEN;
  if (adminSecret !== undefined && adminSecret.length < MIN_ADMIN_SECRET) {
    throw InputError.of({ path: 'PORTCULLIS_ADMIN_TOKEN', message: `must be at least ${MIN_ADMIN_SECRET} characters: it is the admin's password` });
  }
  const server = await startControlPlane({
    dataDir: resolve(options.dataDir),
    host: options.host,
    port: options.port,
    logger,
    retentionDays: options.retentionDays,
    ...(options.database !== undefined && { database: options.database }),
    ...(adminSecret !== undefined && { adminSecret }),
    ...apiTls(options),
  });
  const { adminToken, adminTokenFromEnvironment, defaultRuleCreated } = server.bootstrap;
  // For a person at the terminal, not the log: the secret must never reach a log collector.
  // One write, so whoever waits for the "listening" line has the rest of it too.
  const lines = [`Portcullis ${mode} listening on ${server.url} (store: ${server.store.kind})`];
  if (defaultRuleCreated) lines.push('Created the default rule: audit images with High or Critical vulnerabilities everywhere.');
  if (adminToken !== undefined && !adminTokenFromEnvironment) {
    lines.push('', 'Admin token (shown this once; store it now):', '', `  ${adminToken}`, '', `  export PORTCULLIS_SERVER=${server.url} PORTCULLIS_TOKEN=${adminToken}`, '');
  } else if (adminTokenFromEnvironment) lines.push('Created the admin token from PORTCULLIS_ADMIN_TOKEN.');
  let webhook: AllInOneWebhook | undefined;
  if (mode === 'serve') {
    try {
      webhook = await startAllInOneWebhook(options as ServeOptions & WebhookFlags, server.database, server.store, logger);
    } catch (error) {
      await server.close();
      throw error;
    }
    lines.push(`Admission webhook listening on ${webhook.url}/validate (failure mode ${options.failureMode ?? 'open'})`, ...caBundleLines(webhook.caPem));
  }
  io.stderr(`${lines.join('\n')}\n`);

  const stopped = await Promise.race([stopSignal().then((signal) => ({ signal })), ...(webhook?.ended ? [webhook.ended.then((error) => ({ error }))] : [])]);
  if ('error' in stopped) {
    // The webhook thread failed: the process ends, as it would have with the webhook on this
    // thread, so that what runs it (systemd, Kubernetes) starts it again.
    await server.close();
    throw new Error(`the admission webhook stopped: ${stopped.error.message}`);
  }
  logger.info({ signal: stopped.signal }, 'shutting down: finishing requests in flight');
  await webhook?.close();
  await server.close();
}

interface AllInOneWebhook {
  readonly url: string;
  readonly caPem?: string;
  /** The webhook's thread, when it has one: resolves if it ends on its own. */
  readonly ended?: Promise<Error>;
  close(): Promise<void>;
}

function apiTls(options: ServeOptions): { tls?: { certFile: string; keyFile: string } } {
  if (options.apiTlsCert === undefined && options.apiTlsKey === undefined) return {};
  if (options.apiTlsCert === undefined || options.apiTlsKey === undefined) {
    throw InputError.of({ path: options.apiTlsCert === undefined ? '--api-tls-cert' : '--api-tls-key', message: 'is needed too: --api-tls-cert and --api-tls-key go together' });
  }
  return { tls: { certFile: options.apiTlsCert, keyFile: options.apiTlsKey } };
}

/**
 * The webhook beside the control plane: the same admission path, synced from the store, its
 * events into the store. In a thread of its own (webhook-thread.ts), so that admissions never
 * wait behind the API's work; on this thread only for a store in memory, which no other
 * connection can open.
 */
function startAllInOneWebhook(options: ServeOptions & WebhookFlags, database: string, store: Store, logger: Logger): Promise<AllInOneWebhook> {
  const tls = tlsFiles(options);
  const settings: WebhookThreadSettings = {
    dataDir: join(resolve(options.dataDir), 'webhook'),
    host: options.host,
    port: options.webhookPort,
    ...(options.cluster !== undefined && { cluster: options.cluster }),
    failureMode: options.failureMode,
    deadlineMs: options.deadline,
    ...(tls && { tls }),
    tlsHosts: options.tlsHost,
    registry: registryOptions(options),
    ...evidenceCache(options),
    excludedNamespaces: excludedNamespaces(options),
    // Beside its store: a change reaches the webhook within a second.
    syncIntervalMs: 1000,
  };
  if (store.sqliteFile === undefined && store.kind === 'sqlite') return startWebhook({ ...settings, source: new StoreSyncSource(store), sink: new StoreEventSink(store), logger });
  return startWebhookThread({ ...settings, database, logger });
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}
