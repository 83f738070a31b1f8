// defineRoute: how every endpoint is declared. One declaration gives the route its method and
// URL, who may call it, the zod schemas that validate its input (and document its answer), and
// the handler; registerRoute turns it into a fastify route with authentication, validation and
// the OpenAPI entry (openapi.ts reads the same declarations).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Store } from '../store/store.js';
import type { Access } from './access.js';
import { authenticate, type Caller } from './auth.js';
import type { ApiDeps, ApiLimits } from './deps.js';
import { ApiError, type ApiProblem } from './errors.js';
import { parseAt } from './validation.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route declared with defineRoute on this API: the registry OpenAPI and the role matrix read. */
    readonly apiRoutes: readonly Route[];
  }
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

type ObjectSchema = z.ZodObject;
type Output<S> = S extends z.ZodType ? z.output<S> : undefined;
type Answer<R> = R extends z.ZodType ? z.input<R> : void;

export interface RouteInput<P, Q, H, B> {
  readonly params: P;
  readonly query: Q;
  readonly headers: H;
  readonly body: B;
}

export interface RouteContext {
  readonly deps: ApiDeps;
  readonly store: Store;
  /** The request's instant, read once: every time a handler stores comes from here. */
  readonly now: Date;
  /** The authenticated token; undefined on public routes. */
  readonly caller: Caller | undefined;
  /** Who is acting, as versions and audit records name them: the token's name. */
  readonly actor: string;
  readonly request: FastifyRequest;
  /** To set headers or another status than the route's; the handler still returns the body. */
  readonly reply: FastifyReply;
}

export interface RouteSpec<P, Q, H, B, R> {
  /** Unique; the OpenAPI operationId and the name clients generate. */
  readonly operationId: string;
  readonly method: HttpMethod;
  /** Fastify syntax: `/api/v1/rules/:id`. */
  readonly url: string;
  readonly access: Access;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly params?: P;
  readonly query?: Q;
  readonly headers?: H;
  /** Validated before the handler runs. */
  readonly body?: B;
  /**
   * For a body a domain validator checks in the handler (a rule document goes through
   * validateRule, which knows more than a schema can say): documented, not validated here.
   */
  readonly documentedBody?: z.ZodType;
  /** `scan`: the larger limit for scan reports. */
  readonly bodyLimit?: 'standard' | 'scan';
  /** The success status; default 200, or 204 when there is no response schema. */
  readonly status?: number;
  readonly response?: R;
  /** Of the answer; default JSON. */
  readonly contentType?: string;
  readonly handler: (input: RouteInput<Output<P>, Output<Q>, Output<H>, B extends z.ZodType ? z.output<B> : unknown>, context: RouteContext) => Answer<R> | Promise<Answer<R>>;
}

/** A declared route with its types erased, as the registry and OpenAPI see it. */
export type Route = Omit<RouteSpec<ObjectSchema, ObjectSchema, ObjectSchema, z.ZodType, z.ZodType>, 'handler'> & {
  readonly handler: (input: RouteInput<unknown, unknown, unknown, unknown>, context: RouteContext) => unknown;
};

/**
 * Declares a route. Types flow from the schemas to the handler's input and from the response
 * schema to what the handler must return.
 */
export function defineRoute<
  P extends ObjectSchema | undefined = undefined,
  Q extends ObjectSchema | undefined = undefined,
  H extends ObjectSchema | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  R extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<P, Q, H, B, R>): Route {
  // Safe: registerRoute hands the handler only input its own schemas have validated.
  return spec as unknown as Route;
}

export function successStatus(route: Route): number {
  return route.status ?? (route.response ? 200 : 204);
}

export function registerRoute(app: FastifyInstance, route: Route, deps: ApiDeps, limits: ApiLimits): void {
  app.route({
    method: route.method,
    url: route.url,
    bodyLimit: route.bodyLimit === 'scan' ? limits.scanBodyBytes : limits.bodyBytes,
    // Authentication comes before the body is read: an unknown caller's body is never parsed.
    onRequest: async (request) => {
      request.caller = await authenticate(deps.store, route.access, request.headers.authorization, deps.now());
    },
    handler: async (request, reply) => {
      const input = parseInput(route, request);
      const caller = request.caller;
      const context: RouteContext = { deps, store: deps.store, now: deps.now(), caller, actor: caller?.name ?? 'anonymous', request, reply };
      reply.code(successStatus(route));
      const answer = await route.handler(input, context);
      if (reply.sent) return reply;
      if (!route.response || reply.statusCode === 204) return reply.send();
      if (deps.checkResponses) checkAnswer(route, answer);
      if (route.contentType) reply.type(route.contentType);
      return reply.send(answer);
    },
  });
}

const NOTHING = z.strictObject({});

/** Every problem of every part of the request at once, so a client can fix them in one go. */
function parseInput(route: Route, request: FastifyRequest): RouteInput<unknown, unknown, unknown, unknown> {
  const problems: ApiProblem[] = [];
  const part = (schema: z.ZodType | undefined, value: unknown, root: string): unknown => {
    if (!schema) return undefined;
    const parsed = parseAt(schema, value, root);
    if (parsed.ok) return parsed.value;
    problems.push(...parsed.problems);
    return undefined;
  };
  const input = {
    params: part(route.params, request.params, 'params'),
    // Without a schema a route takes no query parameters and no body: a stray one is an error
    // (a typo in a parameter name must not be silently ignored).
    query: part(route.query ?? NOTHING, request.query ?? {}, 'query'),
    headers: part(route.headers, request.headers, 'headers'),
    body: route.documentedBody ? request.body : part(route.body ?? NOTHING.optional(), request.body, 'body'),
  };
  if (problems.length > 0) throw ApiError.invalid(problems);
  return input;
}

/** An answer that does not match its documented schema is a bug of ours: a 500 with the details logged. */
function checkAnswer(route: Route, answer: unknown): void {
  if (!route.response) return;
  const parsed = parseAt(route.response, answer, 'response');
  if (!parsed.ok) {
    const where = parsed.problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
    throw new Error(`${route.method} ${route.url} answered outside its response schema: ${where}`);
  }
}
