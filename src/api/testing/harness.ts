// The API on a real in-memory SQLite store, with one token per role and a clock tests move.
// Answers are checked against their response schemas (checkResponses), so every test also
// proves the OpenAPI document true for the answers it sees.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Logger } from 'pino';
import { openStore } from '../../store/open-store.js';
import { ROLES, type Role } from '../../store/roles.js';
import type { Store } from '../../store/store.js';
import { buildApi } from '../app.js';
import { createToken } from '../auth.js';
import type { ApiLimits } from '../deps.js';
import type { Route } from '../route.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** Who calls: a role's token, no token at all, or a given secret. */
export type As = Role | 'anonymous' | { readonly secret: string };

export interface CallOptions {
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Sent as is (malformed JSON, other media types). */
  readonly payload?: string | Buffer;
  readonly headers?: Record<string, string>;
}

export interface ApiHarness {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly secrets: Readonly<Record<Role, string>>;
  now(): Date;
  setNow(iso: string): void;
  call(as: As, method: Method, url: string, options?: CallOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export const START = '2026-03-01T12:00:00.000Z';

export interface HarnessOptions {
  readonly limits?: ApiLimits;
  readonly logger?: Logger;
  /** Other routes than the API's own (the API's plus a test route). */
  readonly routes?: readonly Route[];
  /** The web UI's directory instead of the package's dist/ui. */
  readonly uiDirectory?: string;
}

export async function startApi(options: HarnessOptions = {}): Promise<ApiHarness> {
  const store = await openStore('sqlite::memory:');
  await store.migrate();
  let now = new Date(START);
  const deps = { store, now: () => now, logger: options.logger ?? false, checkResponses: true, ...(options.limits ? { limits: options.limits } : {}), ...(options.uiDirectory !== undefined && { uiDirectory: options.uiDirectory }) } as const;
  let app: FastifyInstance;
  try {
    app = buildApi(deps, options.routes);
  } catch (error) {
    await store.close();
    throw error;
  }
  const secrets = {} as Record<Role, string>;
  for (const role of ROLES) secrets[role] = (await createToken(store, { name: `${role.toLowerCase()}-token`, role, createdBy: 'test' }, now)).secret;
  await app.ready();
  return {
    app,
    store,
    secrets,
    now: () => now,
    setNow: (iso) => {
      now = new Date(iso);
    },
    call: (as, method, url, call = {}) => {
      const headers: Record<string, string> = { ...call.headers };
      if (as !== 'anonymous') headers.authorization = `Bearer ${typeof as === 'string' ? secrets[as] : as.secret}`;
      const request: InjectOptions = { method, url, headers };
      if (call.payload !== undefined) request.payload = call.payload;
      else if (call.body !== undefined) {
        request.payload = JSON.stringify(call.body);
        headers['content-type'] ??= 'application/json';
      }
      return app.inject(request);
    },
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

/** A URL of a route with every `:param` filled in. */
export function fillParams(url: string, value = 'x'): string {
  return url.replace(/:(\w+)/g, value);
}
