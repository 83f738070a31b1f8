// `portcullis outbox …`: what a webhook's outbox holds that only it knows of. The events the
// control plane refused for what they are wait there, set aside and tried again every few hours
// (portcullis_outbox_rejected_events counts them); this says which they are and why, on the
// webhook's own machine or pod (`kubectl exec … -- portcullis outbox rejected`).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../problems.js';
import { dropRejected, readRejected, type RejectedEvent } from '../sensor/rejected-events.js';
import { outboxesIn } from '../sensor/stranded-outboxes.js';
import type { Io } from './main.js';
import { serialized, table, withOutputOption, type OutputFormat } from './output.js';

interface RejectedOptions {
  dataDir: string;
  output: OutputFormat;
}

interface DropOptions {
  dataDir: string;
  event: string[];
  all?: boolean;
}

/** The outbox files of a webhook's data directory, or bad input naming it. */
function outboxFiles(dataDirOption: string): string[] {
  const dataDir = resolve(dataDirOption);
  const files = outboxesIn(dataDir);
  if (files.length === 0) throw InputError.of({ path: '--data-dir', message: `${dataDir} holds no outbox.db, nor does any worker-<i> directory in it: is it the webhook's data directory?` });
  return files;
}

function rejectedIn(files: readonly string[]): RejectedEvent[] {
  return files.flatMap((file) => {
    try {
      return readRejected(file);
    } catch (error) {
      throw InputError.of({ path: file, message: `cannot be read as an outbox: ${(error as Error).message}` });
    }
  });
}

export function registerOutbox(program: Command, io: Io): void {
  const outbox = program.command('outbox').description("A webhook's outbox of admission events, read on its own machine");
  withOutputOption(
    outbox
      .command('rejected')
      .description('The events the control plane refused for what they are: set aside in the outbox, tried again every 6 hours')
      .option('--data-dir <dir>', "the webhook's data directory (its outbox.db, and each worker's under worker-<i>/)", './data'),
  ).action((options: RejectedOptions) => {
    const files = outboxFiles(options.dataDir);
    const rejected = rejectedIn(files);
    const text = serialized(rejected, options.output);
    if (text !== undefined) return io.stdout(text);
    if (rejected.length === 0) return io.stdout(`No events set aside in ${files.join(', ')}.\n`);
    io.stdout(table(['EVENT', 'REFUSED AT', 'OUTBOX', 'REASON'], rejected.map((event) => [event.id, event.rejectedAt, event.file, event.reason])));
  });

  outbox
    .command('drop-rejected')
    .description('Delete events set aside, for good: those no control plane will take (list them first with `outbox rejected`)')
    .option('--data-dir <dir>', "the webhook's data directory (its outbox.db, and each worker's under worker-<i>/)", './data')
    .option('--event <id>', 'an event to drop, by id (repeatable)', (id: string, previous: string[]) => [...previous, id], [] as string[])
    .option('--all', 'every event set aside')
    .action((options: DropOptions) => {
      if ((options.all === true) === options.event.length > 0) throw InputError.of({ path: '--event', message: 'name the events to drop (--event ID, repeatable), or give --all' });
      const files = outboxFiles(options.dataDir);
      // Every id must be set aside somewhere before anything is dropped: a mistyped id drops nothing.
      const held = new Set(rejectedIn(files).map((event) => event.id));
      const unknown = options.event.filter((id) => !held.has(id));
      if (unknown.length > 0) throw new InputError(unknown.map((id) => ({ path: '--event', message: `${id} is not an event set aside in ${files.join(', ')}` })));
      const wanted = options.all === true ? 'all' : new Set(options.event);
      const dropped = files.flatMap((file) => dropRejected(file, wanted).map((id) => ({ file, id })));
      io.stdout(dropped.length === 0 ? 'No events set aside to drop.\n' : dropped.map(({ file, id }) => `dropped ${id} from ${file}\n`).join(''));
    });
}
