// Schemas shared by several route modules. A schema with a `meta({ id })` becomes a named
// component of the OpenAPI document.
import { z } from 'zod';
import { ERROR_CODES, ERRORS } from './errors.js';

/** An instant as the store keeps it: ISO-8601. */
export const InstantSchema = z.iso.datetime({ offset: true }).describe('An instant, ISO-8601 (2026-03-31T12:00:00.000Z).');

export const ProblemSchema = z
  .object({
    path: z.string().describe('Where in the request: body.scope.resources[0].criterion, query.limit, params.index, headers.if-match.'),
    message: z.string(),
  })
  .meta({ id: 'Problem' });

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES).describe(ERROR_CODES.map((code) => `${code} (${ERRORS[code].status})`).join(', ')),
      message: z.string().describe('What went wrong and what to do, for people.'),
      problems: z.array(ProblemSchema).optional().describe('Every problem found (invalid_request), each with its place.'),
    }),
  })
  .meta({ id: 'Error', description: 'Every error answer of the API has this shape.' });

/** Lists answer `{ <things>: [...] }`, so a page cursor or a count can join later without breaking clients. */
export function listOf<K extends string, S extends z.ZodType>(key: K, item: S): z.ZodObject<{ [k in K]: z.ZodArray<S> }> {
  return z.object({ [key]: z.array(item) } as { [k in K]: z.ZodArray<S> });
}
