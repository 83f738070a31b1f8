// `portcullis outbox …`: what a webhook's outbox holds that only it knows of. The events the
// control plane refused for what they are wait there, set aside and tried again every few hours
// (portcullis_outbox_rejected_events counts them); this says which they are and why, on the
// webhook's own machine or pod (`kubectl exec … -- portcullis outbox rejected`).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../problems.js';
import { readRejected, type RejectedEvent } from '../sensor/rejected-events.js';
import { outboxesIn } from '../sensor/stranded-outboxes.js';
import type { Io } from './main.js';
import { serialized, table, withOutputOption, type OutputFormat } from './output.js';

interface RejectedOptions {
  dataDir: string;
  output: OutputFormat;
}

export function registerOutbox(program: Command, io: Io): void {
  const outbox = program.command('outbox').description("A webhook's outbox of admission events, read on its own machine");
  withOutputOption(
    outbox
      .command('rejected')
      .description('The events the control plane refused for what they are: set aside in the outbox, tried again every 6 hours')
      .option('--data-dir <dir>', "the webhook's data directory (its outbox.db, and each worker's under worker-<i>/)", './data'),
  ).action((options: RejectedOptions) => {
    const dataDir = resolve(options.dataDir);
    const files = outboxesIn(dataDir);
    if (files.length === 0) throw InputError.of({ path: '--data-dir', message: `${dataDir} holds no outbox.db, nor does any worker-<i> directory in it: is it the webhook's data directory?` });
    const rejected: RejectedEvent[] = files.flatMap((file) => {
      try {
        return readRejected(file);
      } catch (error) {
        throw InputError.of({ path: file, message: `cannot be read as an outbox: ${(error as Error).message}` });
      }
    });
    const text = serialized(rejected, options.output);
    if (text !== undefined) return io.stdout(text);
    if (rejected.length === 0) return io.stdout(`No events set aside in ${files.join(', ')}.\n`);
    io.stdout(table(['EVENT', 'REFUSED AT', 'OUTBOX', 'REASON'], rejected.map((event) => [event.id, event.rejectedAt, event.file, event.reason])));
  });
}
