// How the API commands print what they get: a table for people, JSON or YAML for scripts.
import { InvalidArgumentError, type Command } from 'commander';
import { stringify } from 'yaml';
import { SEVERITIES } from '../findings/severity.js';
import type { SeverityCounts } from '../policy/evidence.js';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function withOutputOption(command: Command, fallback: OutputFormat = 'table'): Command {
  return command.option('-o, --output <format>', OUTPUT_FORMATS.join(', '), outputFormat, fallback);
}

function outputFormat(value: string): OutputFormat {
  if (!(OUTPUT_FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`'${value}' is not one of ${OUTPUT_FORMATS.join(', ')}`);
  return value as OutputFormat;
}

/** JSON or YAML of a value, or undefined for `table` (the caller draws its own). */
export function serialized(value: unknown, format: OutputFormat): string | undefined {
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  if (format === 'yaml') return stringify(value, { lineWidth: 0 });
  return undefined;
}

/** Columns padded to their widest cell; the last column is not padded. Cells are one line each. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows].map((row) => row.map(oneLine));
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return `${all.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n')}\n`;
}

/** Control characters (a newline in a rule description, an escape sequence in a name) cannot break or restyle a terminal. */
function oneLine(cell: string): string {
  // eslint-disable-next-line no-control-regex
  return cell.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
}

/** `1 Critical, 4 Medium` (and any `extra` parts), or `no findings`. */
export function countsSummary(counts: SeverityCounts, extra: readonly string[] = []): string {
  const parts = [...SEVERITIES.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`), ...extra];
  return parts.length > 0 ? parts.join(', ') : 'no findings';
}
