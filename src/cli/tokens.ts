// `portcullis tokens …`: API tokens (Admin only). The secret is printed once, on creation.
import { InvalidArgumentError, type Command } from 'commander';
import { ROLES } from '../store/roles.js';
import { ApiClient, withServerOptions, type ServerOptions } from './api-client.js';
import type { Io } from './main.js';
import { serialized, table, withOutputOption, type OutputFormat } from './output.js';

interface TokenAnswer {
  id: string;
  name: string;
  role: string;
  state: string;
  createdAt: string;
  createdBy?: string;
  expiresAt?: string;
  revokedAt?: string;
  token?: string;
}

type Options = ServerOptions & { output: OutputFormat };

export function registerTokens(program: Command, io: Io): void {
  const tokens = program.command('tokens').description('Manage API tokens (Admin)');

  withOutputOption(
    withServerOptions(
      tokens
        .command('create')
        .description('Create a token; its secret is shown this once')
        .requiredOption('--role <role>', ROLES.join(', '), role)
        .requiredOption('--name <name>', 'who or what uses it: alice, ci-scanner, cluster-prod-eu')
        .option('--expires <iso-8601>', 'when it stops working (default: never)'),
    ),
  ).action(async (options: Options & { role: string; name: string; expires?: string }) => {
    const body = { role: options.role, name: options.name, ...(options.expires !== undefined && { expiresAt: options.expires }) };
    const created = await new ApiClient(options).request<TokenAnswer>('POST', '/api/v1/tokens', body);
    io.stdout(serialized(created, options.output) ?? `token/${created.name} created (role ${created.role}, id ${created.id}). Its secret, shown this once:\n\n  ${created.token}\n\n`);
  });

  withOutputOption(withServerOptions(tokens.command('list').description('List tokens (never their secrets)'))).action(async (options: Options) => {
    const { tokens: list } = await new ApiClient(options).request<{ tokens: TokenAnswer[] }>('GET', '/api/v1/tokens');
    io.stdout(
      serialized({ tokens: list }, options.output) ??
        table(['ID', 'NAME', 'ROLE', 'STATE', 'CREATED', 'EXPIRES'], list.map((t) => [t.id, t.name, t.role, t.state, t.createdAt, t.expiresAt ?? 'never'])),
    );
  });

  withServerOptions(tokens.command('revoke').argument('<id>', 'the token id (from `tokens list`)').description('Revoke a token: it answers 401 from now on')).action(
    async (id: string, options: ServerOptions) => {
      const revoked = await new ApiClient(options).request<TokenAnswer>('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
      io.stdout(`token/${revoked.name} revoked\n`);
    },
  );
}

function role(value: string): string {
  if (!(ROLES as readonly string[]).includes(value)) throw new InvalidArgumentError(`'${value}' is not one of ${ROLES.join(', ')}`);
  return value;
}
