// The CLI's side of the REST API: one request function that sends the token, reads the error
// catalog's answers, and turns them into errors a person can act on.
import type { Command } from 'commander';
import { fetchTrusting, readCaFile } from '../tls/trusted-ca.js';
import { InputError, type Problem } from '../problems.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

export interface ServerOptions {
  server?: string;
  token?: string;
  caFile?: string;
}

/** Adds `--server`, `--token` and `--ca-file` (or PORTCULLIS_SERVER, PORTCULLIS_TOKEN, PORTCULLIS_CA_FILE) to a command. */
export function withServerOptions(command: Command): Command {
  return command
    .option('--server <url>', `control plane URL (env PORTCULLIS_SERVER; default ${DEFAULT_SERVER})`)
    .option('--token <token>', 'API token (env PORTCULLIS_TOKEN); prefer the environment: arguments show in `ps`')
    .option('--ca-file <file>', "a CA certificate (PEM) to trust for an HTTPS control plane, besides the system's (env PORTCULLIS_CA_FILE)");
}

/** An answer of the API other than success, with the catalog's code and the status. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; problems?: { path: string; message: string }[] };
}

export class ApiClient {
  readonly server: string;
  private readonly token: string | undefined;
  private readonly fetch: typeof fetch;

  constructor(options: ServerOptions, env: NodeJS.ProcessEnv = process.env) {
    this.server = (options.server ?? env.PORTCULLIS_SERVER ?? DEFAULT_SERVER).replace(/\/+$/, '');
    this.token = options.token ?? env.PORTCULLIS_TOKEN;
    const caFile = options.caFile ?? env.PORTCULLIS_CA_FILE;
    this.fetch = caFile === undefined || caFile === '' ? fetch : fetchTrusting(readCaFile(caFile));
  }

  async request<T>(method: string, path: string, body?: unknown, options: { raw?: string; query?: Record<string, string | string[] | undefined> } = {}): Promise<T> {
    const url = new URL(path, `${this.server}/`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      for (const item of [value ?? []].flat()) url.searchParams.append(key, item);
    }
    if (this.token === undefined) throw new ApiRequestError(401, 'unauthorized', 'No token: pass --token or set PORTCULLIS_TOKEN (an Admin creates one with `portcullis tokens create`).');
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    if (payload !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetch(url, { method, headers, ...(payload !== undefined && { body: payload }) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`Cannot reach the control plane at ${this.server}: ${cause?.code ?? cause?.message ?? (error as Error).message}. Is it running? (--server or PORTCULLIS_SERVER)`);
    }
    const text = await response.text();
    if (response.ok) return (text === '' ? undefined : JSON.parse(text)) as T;
    let parsed: ErrorBody = {};
    try {
      parsed = JSON.parse(text) as ErrorBody;
    } catch {
      // Not our API (a proxy's page): the status says enough.
    }
    const problems = parsed.error?.problems ?? [];
    if (response.status === 400 && problems.length > 0) {
      throw new InputError(problems.map((p): Problem => ({ file: `${method} ${url.pathname}`, path: p.path, message: p.message })));
    }
    throw new ApiRequestError(response.status, parsed.error?.code ?? String(response.status), `${response.status} ${parsed.error?.message ?? response.statusText}`);
  }
}
