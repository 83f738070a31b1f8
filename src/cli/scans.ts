// `portcullis scans import FILE…`: Trivy, Grype or native reports to the control plane. Each
// report is stored whole or not at all; posting one again changes nothing.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { SeverityCounts } from '../policy/evidence.js';
import { InputError, type Problem } from '../problems.js';
import { ApiClient, withServerOptions, type ServerOptions } from './api-client.js';
import type { Io } from './main.js';
import { countsSummary } from './output.js';
import { reportFiles } from './report-files.js';

interface ScanResult {
  id: string;
  keys: string[];
  scanner: string;
  created: boolean;
  counts: SeverityCounts;
  warnings: string[];
}

const FORMATS = ['auto', 'trivy', 'grype', 'native'] as const;
/** Reports in flight at once: enough to hide latency, few enough not to swamp the server. */
const PARALLEL = 4;

export function registerScans(program: Command, io: Io): void {
  const scans = program.command('scans').description('Scan reports on the control plane');
  withServerOptions(
    scans
      .command('import')
      .description('Send Trivy or Grype JSON reports (files or folders of *.json) to the control plane')
      .argument('<files...>', 'reports, or folders of them')
      .option('--format <format>', FORMATS.join(', '), format, 'auto'),
  ).action(async (paths: string[], options: ServerOptions & { format: (typeof FORMATS)[number] }) => {
    const files = reportFiles(paths);
    const client = new ApiClient(options);
    const progress = new Progress(io, files.length);
    const problems: Problem[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < files.length; i = next++) {
        const file = files[i] as string;
        try {
          const result = await client.request<ScanResult>('POST', '/api/v1/scans', undefined, {
            raw: readFileSync(file, 'utf8'),
            query: { format: options.format === 'auto' ? undefined : options.format },
          });
          progress.clear();
          io.stdout(`${file}: ${result.created ? 'stored' : 'unchanged'} (${result.scanner}, ${countsSummary(result.counts)}) as ${result.keys.join(', ')}\n`);
          for (const warning of result.warnings) io.stderr(`warning: ${file}: ${warning}\n`);
        } catch (error) {
          // The server names the place inside the report; the file is ours to name.
          if (error instanceof InputError) problems.push(...error.problems.map((p) => ({ ...p, file })));
          else if ((error as NodeJS.ErrnoException).code === 'ENOENT') problems.push({ file, message: 'no such file' });
          else throw error;
        }
        progress.tick();
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, files.length) }, worker));
    progress.clear();
    if (problems.length > 0) throw new InputError(problems);
  });
}

function format(value: string): (typeof FORMATS)[number] {
  if (!(FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`'${value}' is not one of ${FORMATS.join(', ')}`);
  return value as (typeof FORMATS)[number];
}

/** A one-line bar on a terminal's stderr for many files; nothing when stderr is a file or pipe. */
class Progress {
  private done = 0;
  private readonly shown: boolean;

  constructor(
    private readonly io: Io,
    private readonly total: number,
  ) {
    this.shown = io.stderrIsTerminal === true && total > 1;
  }

  tick(): void {
    this.done += 1;
    if (!this.shown) return;
    const width = 30;
    const filled = Math.round((this.done / this.total) * width);
    this.io.stderr(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} reports`);
  }

  clear(): void {
    if (this.shown) this.io.stderr('\r\u001b[2K');
  }
}
