// The JSON body parser. Fastify's own parser says only "not valid JSON"; this one names the
// line, column and position, and keeps fastify's guard against prototype poisoning.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';
import { findJsonFault } from './json-position.js';

/** JSON media types: `application/json` and `+json` suffixes (`application/merge-patch+json`). */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json(?:\s*;.*)?$/i;

export function useJsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_MEDIA_TYPE, { parseAs: 'string' }, (_request: FastifyRequest, text: string | Buffer, done) => {
    try {
      done(null, parseJsonBody(String(text)));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/** An empty body is no body (some clients send `Content-Type: application/json` on every POST). */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const where = findJsonFault(text)?.message ?? 'cannot be parsed';
    throw ApiError.invalid([{ path: 'body', message: `not valid JSON: ${where}` }], `The request body is not valid JSON: ${where}.`);
  }
  // Scanning the parsed value costs time on large scan reports: only when the text could hide it.
  if (text.includes('__proto__') || text.includes('constructor')) rejectPoisonedKeys(value, 'body');
  return value;
}

/**
 * `__proto__` keys and `constructor.prototype` change prototypes when a body is merged into an
 * object. Iterative: a deeply nested body cannot overflow the stack.
 */
function rejectPoisonedKeys(root: unknown, rootPath: string): void {
  const pending: { value: unknown; path: string }[] = [{ value: root, path: rootPath }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, path } = next;
    if (value === null || typeof value !== 'object') continue;
    for (const [key, child] of Object.entries(value)) {
      const childPath = Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`;
      const poisoned = key === '__proto__' || (key === 'constructor' && child !== null && typeof child === 'object' && 'prototype' in child);
      if (poisoned) throw ApiError.invalid([{ path: childPath, message: 'forbidden key' }]);
      pending.push({ value: child, path: childPath });
    }
  }
}
