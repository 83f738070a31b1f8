// `portcullis rules …`: the security rules on the control plane. `apply -f` reads the same
// files `evaluate` does, so rules can live in Git and be applied from CI.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { readRuleFiles, ruleToDocument } from '../policy/rule-document.js';
import { ApiClient, withServerOptions, type ServerOptions } from './api-client.js';
import type { Io } from './main.js';
import { serialized, table, withOutputOption, type OutputFormat } from './output.js';

/** A rule as the API answers it (the fields the CLI shows). */
export interface RuleAnswer {
  id: string;
  name: string;
  version: number;
  enabled: boolean;
  action: string;
  description: string;
  document: Record<string, unknown>;
  exemptions: { index: number; type: string; criterion: string; value: string; expires?: string; reason?: string; expired: boolean }[];
  updatedAt: string;
  updatedBy: string;
}

interface RuleVersionAnswer {
  version: number;
  name: string;
  change: string;
  actor: string;
  at: string;
}

type Options = ServerOptions & { output: OutputFormat };

const path = (idOrName: string, rest = ''): string => `/api/v1/rules/${encodeURIComponent(idOrName)}${rest}`;

export function registerRules(program: Command, io: Io): void {
  const rules = program.command('rules').description('Manage the security rules on the control plane');

  withOutputOption(withServerOptions(rules.command('list').description('List rules'))).action(async (options: Options) => {
    const { rules: list } = await new ApiClient(options).request<{ rules: RuleAnswer[] }>('GET', '/api/v1/rules');
    io.stdout(
      serialized({ rules: list }, options.output) ??
        table(
          ['NAME', 'ACTION', 'ENABLED', 'VERSION', 'EXEMPTIONS', 'DESCRIPTION'],
          list.map((r) => [r.name, r.action, r.enabled ? 'yes' : 'no', String(r.version), exemptionCount(r), r.description]),
        ),
    );
  });

  withOutputOption(withServerOptions(rules.command('get').argument('<rule>', 'id or name').description('Show a rule: in plain words, its exemptions, its document'))).action(
    async (rule: string, options: Options) => {
      const answer = await new ApiClient(options).request<RuleAnswer>('GET', path(rule));
      io.stdout(serialized(answer, options.output) ?? ruleDetail(answer));
    },
  );

  withServerOptions(
    rules
      .command('apply')
      .description('Create or replace rules from YAML or JSON files (the files `evaluate --rules` reads); matched by name')
      .requiredOption('-f, --filename <file>', 'rule documents (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[]),
  ).action(async (options: ServerOptions & { filename: string[] }) => {
    const documents = readRuleFiles(options.filename, (file) => readFileSync(file, 'utf8'));
    const client = new ApiClient(options);
    const { rules: existing } = await client.request<{ rules: RuleAnswer[] }>('GET', '/api/v1/rules');
    const byName = new Map(existing.map((r) => [r.name.toLowerCase(), r]));
    for (const rule of documents) {
      const current = byName.get(rule.name.toLowerCase());
      const document = ruleToDocument(rule);
      if (!current) {
        const created = await client.request<RuleAnswer>('POST', '/api/v1/rules', document);
        io.stdout(`rule/${created.name} created (version ${created.version})\n`);
        continue;
      }
      const replaced = await client.request<RuleAnswer>('PUT', path(current.id), document);
      io.stdout(`rule/${replaced.name} ${replaced.version === current.version ? 'unchanged' : `configured (version ${replaced.version})`}\n`);
    }
  });

  for (const verb of ['enable', 'disable'] as const) {
    withServerOptions(rules.command(verb).argument('<rule>', 'id or name').description(`${verb === 'enable' ? 'Enable' : 'Disable (keep, do not evaluate)'} a rule`)).action(
      async (rule: string, options: ServerOptions) => {
        const answer = await new ApiClient(options).request<RuleAnswer>('POST', path(rule, `/${verb}`));
        io.stdout(`rule/${answer.name} ${verb}d (version ${answer.version})\n`);
      },
    );
  }

  withServerOptions(rules.command('delete').argument('<rule>', 'id or name').description('Delete a rule (its history stays)')).action(async (rule: string, options: ServerOptions) => {
    const client = new ApiClient(options);
    const answer = await client.request<RuleAnswer>('GET', path(rule));
    await client.request('DELETE', path(answer.id));
    io.stdout(`rule/${answer.name} deleted\n`);
  });

  withOutputOption(withServerOptions(rules.command('versions').argument('<rule>', 'id or name').description('Who changed a rule, what, and when'))).action(
    async (rule: string, options: Options) => {
      const client = new ApiClient(options);
      const answer = await client.request<RuleAnswer>('GET', path(rule));
      const { versions } = await client.request<{ versions: RuleVersionAnswer[] }>('GET', path(answer.id, '/versions'));
      io.stdout(serialized({ versions }, options.output) ?? table(['VERSION', 'CHANGE', 'BY', 'AT', 'NAME'], versions.map((v) => [String(v.version), v.change, v.actor, v.at, v.name])));
    },
  );

  withOutputOption(withServerOptions(rules.command('export').description('Every rule as documents `rules apply -f` takes back (YAML by default)')), 'yaml').action(async (options: Options) => {
    const { rules: list } = await new ApiClient(options).request<{ rules: RuleAnswer[] }>('GET', '/api/v1/rules');
    const documents = list.map((r) => r.document);
    if (options.output === 'json') io.stdout(`${JSON.stringify(documents, null, 2)}\n`);
    else io.stdout(documents.map((d) => stringify(d, { lineWidth: 0 })).join('---\n'));
  });
}

function exemptionCount(rule: RuleAnswer): string {
  const expired = rule.exemptions.filter((e) => e.expired).length;
  return expired > 0 ? `${rule.exemptions.length} (${expired} expired)` : String(rule.exemptions.length);
}

function ruleDetail(rule: RuleAnswer): string {
  const lines = [
    `Name:        ${rule.name}`,
    `Id:          ${rule.id}`,
    `Action:      ${rule.action}${rule.enabled ? '' : ' (disabled)'}`,
    `Version:     ${rule.version}, by ${rule.updatedBy} at ${rule.updatedAt}`,
    `Policy:      ${rule.description}`,
  ];
  if (rule.exemptions.length > 0) {
    lines.push('Exemptions:');
    for (const e of rule.exemptions) {
      const until = e.expires ? ` until ${e.expires}${e.expired ? ' (expired)' : ''}` : '';
      lines.push(`  [${e.index}] ${e.type} ${e.criterion} ${e.value}${until}${e.reason ? `: ${e.reason}` : ''}`);
    }
  }
  lines.push('Document:', ...stringify(rule.document, { lineWidth: 0 }).trimEnd().split('\n').map((line) => `  ${line}`));
  return `${lines.join('\n')}\n`;
}
