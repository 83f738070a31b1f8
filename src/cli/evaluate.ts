// `portcullis evaluate`: manifests against rules and scan reports, offline, as in a CI pipeline.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { FindingsCatalog } from '../findings/catalog.js';
import { parseScanReport } from '../findings/parsers/scan-report.js';
import { evaluateWorkload, type WorkloadVerdict } from '../evaluation/evaluate-workloads.js';
import { readManifestFiles } from '../manifests/read.js';
import { compileRules } from '../policy/compile.js';
import { readRuleFiles } from '../policy/rule-document.js';
import { CLOUD_PROVIDERS, DEFAULT_RULE, type CloudProvider, type Rule } from '../policy/rule.js';
import type { ClusterContext } from '../policy/target.js';
import { InputError, type Problem } from '../problems.js';
import { renderJson, renderTable } from './evaluation-report.js';
import { EXIT } from './exit-codes.js';
import { reportFiles } from './report-files.js';
import type { Io } from './main.js';

interface EvaluateOptions {
  filename: string[];
  rules: string[];
  scans: string[];
  scanFormat?: 'trivy' | 'grype';
  cluster?: string;
  cloud?: string;
  namespace: string;
  now?: string;
  output: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerEvaluate(program: Command, io: Io, setExitCode: (code: number) => void): void {
  program
    .command('evaluate')
    .description('Evaluate Kubernetes manifests against rules and scan reports, offline. Exit 0: nothing denied; 3: something denied; 2: bad input.')
    .option('-f, --filename <file>', 'manifests: YAML or JSON, multi-document, kind: List; - for stdin (repeatable)', collect, [])
    .option('--rules <file>', 'rule documents, YAML or JSON (repeatable); without it the default rule applies', collect, [])
    .option('--scans <file|dir>', 'Trivy or Grype JSON reports, or a folder of them (repeatable)', collect, [])
    .option('--scan-format <format>', 'trivy or grype: skip format detection')
    .option('--cluster <name>', 'the cluster the manifests are meant for (for Cluster scopes)')
    .option('--cloud <provider:account>', 'the cloud account of the cluster, e.g. aws:123456789012 (for cloud scopes)')
    .option('-n, --namespace <namespace>', 'namespace of objects that name none', 'default')
    .option('--now <iso-8601>', 'evaluate as of this instant (exemption expiry, scan age)')
    .option('-o, --output <format>', 'table or json', 'table')
    .action((options: EvaluateOptions) => {
      const verdicts = runEvaluate(options, io);
      io.stdout(options.output === 'json' ? renderJson(verdicts) : renderTable(verdicts));
      setExitCode(verdicts.some((v) => v.evaluation.decision === 'Denied') ? EXIT.denied : EXIT.ok);
    });
}

export function runEvaluate(options: EvaluateOptions, io: Io): WorkloadVerdict[] {
  if (options.filename.length === 0) throw usage('-f', 'name at least one manifest file (or - for standard input)');
  if (!['table', 'json'].includes(options.output)) throw usage('--output', `'${options.output}' is not one of table, json`);
  if (options.scanFormat !== undefined && !['trivy', 'grype'].includes(options.scanFormat)) {
    throw usage('--scan-format', `'${options.scanFormat}' is not one of trivy, grype`);
  }
  const now = parseNow(options.now);
  const cluster = clusterContext(options.cluster, options.cloud);
  const rules = readRules(options.rules, io);
  const catalog = readScans(options.scans, options.scanFormat, io);

  const stdin = options.filename.includes('-') ? io.readStdin() : undefined;
  const manifests = readManifestFiles(options.filename, undefined, { defaultNamespace: options.namespace, ...(stdin !== undefined && { stdin }) });

  const compiled = compileRules(rules.map((rule) => ({ rule })));
  return manifests.flatMap((m) => (m.workload ? [evaluateWorkload(m.workload, catalog, compiled, cluster, now)] : []));
}

function readRules(files: readonly string[], io: Io): Rule[] {
  if (files.length === 0) {
    io.stderr(`note: no --rules given: evaluating against the default rule (${DEFAULT_RULE.name}: audit High and Critical everywhere)\n`);
    return [DEFAULT_RULE];
  }
  return readRuleFiles(files, (file) => readFileSync(file, 'utf8'));
}

function readScans(paths: readonly string[], format: 'trivy' | 'grype' | undefined, io: Io): FindingsCatalog {
  const catalog = new FindingsCatalog();
  const problems: Problem[] = [];
  for (const file of reportFiles(paths)) {
    try {
      const scan = parseScanReport(readText(file), file, format);
      for (const warning of scan.warnings) io.stderr(`warning: ${file}: ${warning}\n`);
      catalog.add(scan);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return catalog;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw InputError.of({ file, message: describeFsError(error) });
  }
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory, not a file';
  if (code === 'EACCES') return 'permission denied';
  return (error as Error).message;
}

function parseNow(now: string | undefined): Date {
  if (now === undefined) return new Date();
  const date = new Date(now);
  if (!/^\d{4}-\d{2}-\d{2}/.test(now) || Number.isNaN(date.getTime())) throw usage('--now', `'${now}' is not an ISO-8601 instant (e.g. 2026-03-31T12:00:00Z)`);
  return date;
}

function clusterContext(name: string | undefined, cloud: string | undefined): ClusterContext {
  if (cloud === undefined) return name === undefined ? {} : { name };
  const [provider, account, ...rest] = cloud.split(':');
  if (!CLOUD_PROVIDERS.includes(provider as CloudProvider) || !account || rest.length > 0) {
    throw usage('--cloud', `'${cloud}' is not PROVIDER:ACCOUNT with a provider of ${CLOUD_PROVIDERS.join(', ')} (e.g. aws:123456789012)`);
  }
  return { ...(name !== undefined && { name }), provider: provider as CloudProvider, account };
}

function usage(option: string, message: string): InputError {
  return InputError.of({ path: option, message });
}
