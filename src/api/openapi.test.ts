import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { ERROR_CODES } from './errors.js';
import { buildOpenApi, type OpenApiDocument } from './openapi.js';
import { defineRoute } from './route.js';
import { API_ROUTES } from './routes.js';
import { startApi, type ApiHarness } from './testing/harness.js';

let api: ApiHarness;
let document: OpenApiDocument;
beforeAll(async () => {
  api = await startApi();
  const response = await api.call('anonymous', 'GET', '/api/v1/openapi.json');
  expect(response.statusCode).toBe(200);
  document = response.json();
});
afterAll(() => api.close());

type Json = Record<string, unknown>;

/** Every `$ref` anywhere in a JSON value. */
function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => (key === '$ref' && typeof child === 'string' ? [child] : refsIn(child)));
}

describe('the OpenAPI document', () => {
  test('is OpenAPI 3.1 with bearer security', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.title).toBeTruthy();
    expect(document.components.securitySchemes.bearerAuth).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
  });

  test.each(API_ROUTES.map((route) => [`${route.method} ${route.url}`, route] as const))('describes %s with its security and schemas', (_name, route) => {
    const operation = document.paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()] as Json | undefined;
    expect(operation).toBeDefined();
    expect(operation?.operationId).toBe(route.operationId);
    if (route.access === 'public') expect(operation?.security).toEqual([]);
    else {
      expect(operation?.security).toEqual([{ bearerAuth: [] }]);
      expect(operation?.['x-roles']).toEqual([...route.access]);
      expect(Object.keys(operation?.responses as Json)).toEqual(expect.arrayContaining(['401', '403']));
    }
    const pathParams = [...route.url.matchAll(/:(\w+)/g)].map((match) => match[1]);
    const documented = ((operation?.parameters ?? []) as Json[]).filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name);
    expect(documented).toEqual(pathParams);
    if (route.body || route.documentedBody) expect(operation?.requestBody).toMatchObject({ content: { 'application/json': { schema: expect.any(Object) } } });
    else expect(operation?.requestBody).toBeUndefined();
    const success = (operation?.responses as Json)[String(route.status ?? (route.response ? 200 : 204))] as Json;
    if (route.response) expect(success.content).toBeDefined();
  });

  test('every path is a registered route, and every reference resolves', () => {
    const operations = Object.values(document.paths).flatMap((methods) => Object.keys(methods));
    expect(operations).toHaveLength(API_ROUTES.length);
    for (const ref of refsIn(document)) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(document.components.schemas).toHaveProperty(ref.slice('#/components/schemas/'.length));
    }
  });

  test('the error schema lists exactly the catalog', () => {
    const error = document.components.schemas.Error as { properties: { error: { properties: { code: { enum: string[] } } } } };
    expect(error.properties.error.properties.code.enum).toEqual(ERROR_CODES);
  });

  test('the rule document is described, with defaults optional going in', () => {
    const input = document.components.schemas.RuleDocumentInput as { required: string[] };
    const output = document.components.schemas.RuleDocument as { required: string[] };
    expect(input.required).toEqual(['name', 'action', 'conditions']);
    expect(output.required).toContain('exemptions');
  });

  test('two different schemas under one name are refused', () => {
    const route = (id: string, schema: z.ZodType) =>
      defineRoute({ operationId: id, method: 'GET', url: `/${id}`, access: 'public', summary: id, tags: ['t'], response: schema, handler: () => undefined as never });
    expect(() => buildOpenApi([route('a', z.object({ a: z.string() }).meta({ id: 'Same' })), route('b', z.object({ b: z.string() }).meta({ id: 'Same' }))])).toThrow(/Same/);
  });
});
