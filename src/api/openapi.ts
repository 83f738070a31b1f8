// The OpenAPI 3.1 document, built from the same route declarations (and zod schemas) that
// register and validate the routes: it cannot list a route that does not exist or miss one.
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { describeAccess } from './access.js';
import { ERRORS, type ErrorCode } from './errors.js';
import { defineRoute, successStatus, type Route } from './route.js';
import { ErrorBodySchema } from './schemas.js';

type Json = Record<string, unknown>;
type Io = 'input' | 'output';

// A type, not an interface: it must fit the route's loose response schema (an index signature).
export type OpenApiDocument = {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly paths: Record<string, Record<string, Json>>;
  readonly components: { readonly schemas: Record<string, Json>; readonly securitySchemes: Record<string, Json> };
  readonly tags: readonly { readonly name: string }[];
};

export const BEARER = 'bearerAuth';

export function buildOpenApi(routes: readonly Route[]): OpenApiDocument {
  const components = new Components();
  const errorRef = components.toJson(ErrorBodySchema, 'output');
  // Answers first: a schema named in both directions keeps its name for the answer's reading.
  for (const route of routes) if (route.response) components.toJson(route.response, 'output');
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route, components, errorRef);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Portcullis control plane',
      version: 'v1',
      description: 'Rules, exemptions, findings, clusters and admission events of Portcullis. Send a token as `Authorization: Bearer <token>`; each operation names the roles it allows.',
    },
    paths,
    components: { schemas: components.schemas, securitySchemes: { [BEARER]: { type: 'http', scheme: 'bearer', description: 'A Portcullis token (pcl_…), created by an Admin.' } } },
    tags: [...new Set(routes.flatMap((route) => route.tags))].sort().map((name) => ({ name })),
  };
}

function operation(route: Route, components: Components, errorRef: Json): Json {
  const roles = route.access === 'public' ? [] : [...route.access];
  const body = route.body ?? route.documentedBody;
  const parameters = [...parametersOf(route.params, 'path', components), ...parametersOf(route.query, 'query', components), ...parametersOf(route.headers, 'header', components)];
  const status = successStatus(route);
  const success: Json = { description: route.summary };
  if (route.response) success.content = { [route.contentType ?? 'application/json']: { schema: components.toJson(route.response, 'output') } };
  const error = (code: ErrorCode): Json => ({ description: ERRORS[code].message, content: { 'application/json': { schema: errorRef } } });
  const responses: Json = { [String(status)]: success };
  if (parameters.length > 0 || body) responses['400'] = error('invalid_request');
  if (route.access !== 'public') Object.assign(responses, { '401': error('unauthorized'), '403': error('forbidden') });
  if (route.params) responses['404'] = error('not_found');
  responses.default = { description: 'Any other error of the catalog (409 conflict, 413, 415, 500…).', content: { 'application/json': { schema: errorRef } } };
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: [route.description, `Access: ${describeAccess(route.access)}.`].filter(Boolean).join('\n\n'),
    tags: [...route.tags],
    security: route.access === 'public' ? [] : [{ [BEARER]: [] }],
    'x-roles': roles,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body ? { requestBody: { required: !body.safeParse(undefined).success, content: { 'application/json': { schema: components.toJson(body, 'input') } } } } : {}),
    responses,
  };
}

function parametersOf(schema: z.ZodObject | undefined, where: 'path' | 'query' | 'header', components: Components): Json[] {
  if (!schema) return [];
  const json = components.toJson(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: where, required: where === 'path' || required.has(name), schema: rest, ...(description ? { description } : {}) };
  });
}

/**
 * Named schemas (`meta({ id })`) become components. A schema can read differently as input and
 * as output (defaults are optional going in, always present coming out): then the input one is
 * `<id>Input`.
 */
class Components {
  readonly schemas: Record<string, Json> = {};

  toJson(schema: z.ZodType, io: Io): Json {
    const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
    const defs = (json.$defs ?? {}) as Record<string, Json>;
    delete json.$defs;
    delete json.$schema;
    const names = new Map<string, string>();
    for (const [id, def] of Object.entries(defs)) names.set(id, this.place(id, def, io));
    for (const [id, def] of Object.entries(defs)) this.schemas[names.get(id) ?? id] = withRefs(def, names) as Json;
    return withRefs(json, names) as Json;
  }

  private place(id: string, def: Json, io: Io): string {
    const existing = this.schemas[id];
    if (existing === undefined || isDeepStrictEqual(existing, withRefs(def, new Map()))) return id;
    if (io === 'output') throw new Error(`two different schemas are named '${id}'`);
    const inputId = `${id}Input`;
    const existingInput = this.schemas[inputId];
    if (existingInput !== undefined && !isDeepStrictEqual(existingInput, withRefs(def, new Map()))) throw new Error(`two different schemas are named '${id}'`);
    return inputId;
  }
}

/** Points `#/$defs/<id>` references at the components, under their final names. */
function withRefs(value: unknown, names: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => withRefs(item, names));
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string' && child.startsWith('#/$defs/')) {
      const id = child.slice('#/$defs/'.length);
      out[key] = `#/components/schemas/${names.get(id) ?? id}`;
    } else out[key] = withRefs(child, names);
  }
  return out;
}

const documents = new WeakMap<readonly Route[], OpenApiDocument>();

export const openApiRoutes: readonly Route[] = [
  defineRoute({
    operationId: 'getOpenApi',
    method: 'GET',
    url: '/api/v1/openapi.json',
    access: 'public',
    summary: 'This OpenAPI document',
    tags: ['operations'],
    response: z.looseObject({ openapi: z.literal('3.1.0') }).describe('An OpenAPI 3.1 document.'),
    handler: (_input, { request }) => {
      const routes = request.server.apiRoutes;
      let document = documents.get(routes);
      if (!document) documents.set(routes, (document = buildOpenApi(routes)));
      return document;
    },
  }),
];
