// `portcullis webhook`: the admission webhook alone, in a cluster (sensor mode). It syncs rules,
// settings and findings from the control plane, keeps them on disk to serve from when the
// control plane is away, and sends its events through a durable outbox.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { InputError } from '../problems.js';
import { HttpEventSink } from '../sensor/outbox.js';
import { HttpSyncSource } from '../sensor/sync.js';
import { startWebhook } from '../webhook/webhook.js';
import type { Io } from './main.js';
import { processStopSignal, type StopSignal } from './stop-signal.js';
import { caBundleLines, excludedNamespaces, millis, registryOptions, tlsFiles, withWebhookOptions, type WebhookFlags } from './webhook-options.js';

interface SensorFlags extends WebhookFlags {
  controlPlane: string;
  token?: string;
  tokenFile?: string;
  cluster: string;
  dataDir: string;
  host: string;
  syncInterval: number;
  logLevel: string;
}

export function registerWebhook(program: Command, io: Io, stopSignal: StopSignal = processStopSignal): void {
  withWebhookOptions(
    program
      .command('webhook')
      .description('Run the admission webhook alone (sensor mode), synced from a control plane')
      .requiredOption('--control-plane <url>', 'the control plane, e.g. https://portcullis.example.com')
      .option('--token <token>', 'a Sensor token (prefer --token-file or PORTCULLIS_TOKEN: arguments show in `ps`)')
      .option('--token-file <file>', 'a file holding the Sensor token (a mounted Secret)')
      .requiredOption('--cluster <name>', 'this cluster, as registered on the control plane')
      .option('--data-dir <dir>', 'where the snapshot, the outbox and a self-signed certificate live', './data')
      .option('--host <address>', 'address to listen on', '0.0.0.0')
      .option('--sync-interval <duration>', 'how often to pull changes from the control plane', millis, 5000)
      .option('--log-level <level>', 'fatal, error, warn, info, debug, trace', process.env.PORTCULLIS_LOG_LEVEL ?? 'info'),
  ).action(async (flags: SensorFlags) => {
    const token = tokenOf(flags);
    const logger = pino({ level: flags.logLevel, base: { service: 'portcullis-webhook', cluster: flags.cluster } });
    const connection = { url: flags.controlPlane.replace(/\/+$/, ''), token };
    const tls = tlsFiles(flags);
    const webhook = await startWebhook({
      dataDir: resolve(flags.dataDir),
      host: flags.host,
      port: flags.webhookPort,
      source: new HttpSyncSource({ ...connection, cluster: flags.cluster }),
      sink: new HttpEventSink(connection),
      cluster: flags.cluster,
      failureMode: flags.failureMode,
      deadlineMs: flags.deadline,
      ...(tls && { tls }),
      tlsHosts: flags.tlsHost,
      registry: registryOptions(flags),
      excludedNamespaces: excludedNamespaces(flags),
      logger,
      syncIntervalMs: flags.syncInterval,
      processMetrics: true,
    });
    io.stderr(`${[`Portcullis webhook listening on ${webhook.url} (cluster ${flags.cluster}, failure mode ${flags.failureMode})`, ...caBundleLines(webhook.caPem)].join('\n')}\n`);
    const signal = await stopSignal();
    logger.info({ signal, pending: webhook.outbox.pending() }, 'shutting down: answering reviews in flight, delivering events');
    await webhook.close();
  });
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
