// `portcullis events …`: Admission Monitoring from the terminal: what was decided, and why.
import { InvalidArgumentError, type Command } from 'commander';
import type { AdmissionEvent } from '../events/admission-event.js';
import { parseDuration } from '../policy/duration.js';
import type { SeverityCounts } from '../policy/evidence.js';
import { ApiClient, withServerOptions, type ServerOptions } from './api-client.js';
import type { Io } from './main.js';
import { countsSummary, serialized, table, withOutputOption, type OutputFormat } from './output.js';

interface EventSummary {
  id: string;
  time: string;
  cluster?: string;
  namespace: string;
  kind: string;
  name: string;
  decision: string;
  dryRun: boolean;
  message: string;
  images: { reference: string; digest?: string; scanStatus: string; counts: SeverityCounts; violations: number }[];
  rules: string[];
}

interface ListOptions extends ServerOptions {
  output: OutputFormat;
  since?: number;
  from?: string;
  to?: string;
  decision: string[];
  cluster?: string;
  namespace?: string;
  rule?: string;
  image?: string;
  cve?: string;
  limit: number;
  cursor?: string;
  all?: boolean;
}

export function registerEvents(program: Command, io: Io, now: () => Date = () => new Date()): void {
  const events = program.command('events').description('Admission Monitoring: the decisions the webhook and evaluate recorded');

  withOutputOption(
    withServerOptions(
      events
        .command('list')
        .description('List admission events, newest first')
        .option('--since <duration>', 'events of the last 30m, 12h, 7d', since)
        .option('--from <iso-8601>', 'events at or after this instant')
        .option('--to <iso-8601>', 'events before this instant')
        .option('--decision <decision>', 'Allowed, Audited, Denied, BreakGlass, Error (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
        .option('--cluster <name>')
        .option('-n, --namespace <namespace>')
        .option('--rule <name>', 'events where this rule triggered')
        .option('--image <reference|digest>')
        .option('--cve <id>', 'events where this vulnerability matched')
        .option('--limit <n>', 'events per page (1 to 500)', count, 50)
        .option('--cursor <cursor>', 'continue after a previous page')
        .option('--all', 'follow every page'),
    ),
  ).action(async (options: ListOptions) => {
    const client = new ApiClient(options);
    const from = options.from ?? (options.since === undefined ? undefined : new Date(now().getTime() - options.since).toISOString());
    const query = {
      from,
      to: options.to,
      decision: options.decision.length > 0 ? options.decision : undefined,
      cluster: options.cluster,
      namespace: options.namespace,
      rule: options.rule,
      image: options.image,
      cve: options.cve,
      limit: String(options.limit),
    };
    const all: EventSummary[] = [];
    let cursor = options.cursor;
    do {
      const page = await client.request<{ events: EventSummary[]; nextCursor?: string }>('GET', '/api/v1/events', undefined, { query: { ...query, cursor } });
      all.push(...page.events);
      cursor = page.nextCursor;
    } while (options.all && cursor !== undefined);
    const text = serialized({ events: all, ...(cursor !== undefined && { nextCursor: cursor }) }, options.output);
    if (text !== undefined) return io.stdout(text);
    io.stdout(
      table(
        ['TIME', 'DECISION', 'CLUSTER', 'NAMESPACE', 'OBJECT', 'RULES', 'ID'],
        all.map((e) => [e.time, e.decision + (e.dryRun ? ' (dry run)' : ''), e.cluster ?? '-', e.namespace, `${e.kind}/${e.name}`, e.rules.join(',') || '-', e.id]),
      ),
    );
    if (cursor !== undefined) io.stdout(`(more: --cursor ${cursor}, or --all)\n`);
  });

  withOutputOption(withServerOptions(events.command('show').argument('<id>', 'the event id').description('One event in full: images, violations, findings, the rules as applied'))).action(
    async (id: string, options: ServerOptions & { output: OutputFormat }) => {
      const event = await new ApiClient(options).request<AdmissionEvent>('GET', `/api/v1/events/${encodeURIComponent(id)}`);
      io.stdout(serialized(event, options.output) ?? eventDetail(event));
    },
  );
}

function eventDetail(event: AdmissionEvent): string {
  const lines = [
    `Event:     ${event.id}`,
    `Time:      ${event.time}`,
    `Decision:  ${event.decision}${event.dryRun ? ' (dry run)' : ''}`,
    `Object:    ${event.kind} ${event.namespace}/${event.name} (workload ${event.workload}), ${event.operation}${event.user ? ` by ${event.user}` : ''}`,
    `Cluster:   ${event.cluster ?? '-'}${event.provider ? ` (${event.provider} ${event.account ?? ''})` : ''}`,
    `Message:   ${event.message}`,
  ];
  if (event.breakGlass !== undefined) lines.push(`Break-glass: ${event.breakGlass}`);
  lines.push('Images:');
  for (const image of event.images) {
    lines.push(`  ${image.reference}${image.digest ? ` (${image.digest})` : ''}: ${image.scanStatus}, ${countsSummary(image.counts)}`);
    const findings = new Map(image.findings.map((f) => [f.id, f]));
    for (const v of image.violations) {
      lines.push(`    ${v.action}${v.enforced ? '' : ' (not enforced)'} ${v.rule}${v.ruleVersion !== undefined ? ` v${v.ruleVersion}` : ''}: ${v.detail}`);
      for (const id of v.findings.slice(0, 5)) {
        const f = findings.get(id);
        lines.push(f ? `      ${f.id} ${f.severity} ${f.package} ${f.version}: ${f.fixedVersion ? `fixed in ${f.fixedVersion}` : 'no fix yet'}` : `      ${id}`);
      }
      if (v.findingCount > 5) lines.push(`      … and ${v.findingCount - 5} more`);
    }
  }
  if (event.rules.length > 0) lines.push('Rules as applied:');
  for (const rule of event.rules) {
    lines.push(`  ${rule.name}${rule.version !== undefined ? ` (version ${rule.version})` : ''}: ${rule.description}`);
    for (const e of rule.exemptions) lines.push(`    exemption ${e.type} ${e.criterion} ${e.value}${e.expires ? ` until ${e.expires}` : ''}: ${e.state}${e.applied ? ', applied here' : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

function since(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new InvalidArgumentError('must be a whole number from 1 to 500');
  return n;
}
