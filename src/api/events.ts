// /api/v1/events: Admission Monitoring. Webhooks post the events they record (each stored once,
// however often a delivery is retried); people list them newest first, filtered, page by page.
import { z } from 'zod';
import { EVENT_DECISIONS } from '../events/admission-event.js';
import { InputError } from '../problems.js';
import type { EventFilter } from '../store/store.js';
import { ACCESS } from './access.js';
import { ApiError } from './errors.js';
import { AdmissionEventSchema, EventBatchSchema, EventSummarySchema, eventView, writable } from './event-schemas.js';
import { defineRoute, type Route } from './route.js';
import { InstantSchema } from './schemas.js';

const TAGS = ['events'];

export const EVENT_PAGE_DEFAULT = 50;
export const EVENT_PAGE_MAX = 500;

/** `decision=Denied&decision=Audited` and `decision=Denied,Audited` say the same. */
const DecisionsParam = z
  .union([z.string(), z.array(z.string())])
  .transform((value, context) => {
    const words = (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(',')).map((word) => word.trim()).filter((word) => word !== '');
    const known = new Set<string>(EVENT_DECISIONS);
    const unknown = words.filter((word) => !known.has(word));
    if (unknown.length > 0) context.addIssue({ code: 'custom', message: `${unknown.map((word) => `'${word}'`).join(', ')} is not one of ${EVENT_DECISIONS.join(', ')}` });
    return words as (typeof EVENT_DECISIONS)[number][];
  })
  .describe(`One or more of ${EVENT_DECISIONS.join(', ')}: repeat the parameter or separate with commas.`);

const EventQuery = z.strictObject({
  from: InstantSchema.optional().describe('Events at or after this instant.'),
  to: InstantSchema.optional().describe('Events before this instant.'),
  decision: DecisionsParam.optional(),
  cluster: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  rule: z.string().min(1).optional().describe('A rule name (any case): events where it triggered.'),
  image: z.string().min(1).optional().describe('An image reference as written in the spec, or a digest.'),
  cve: z.string().min(1).optional().describe('A vulnerability id (any case) among the matched findings.'),
  dryRun: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
  limit: z.coerce.number().int().min(1).max(EVENT_PAGE_MAX).default(EVENT_PAGE_DEFAULT).describe(`Events per page, 1 to ${EVENT_PAGE_MAX} (default ${EVENT_PAGE_DEFAULT}).`),
  cursor: z.string().min(1).optional().describe('nextCursor of the previous page, as received.'),
});

const EventPageSchema = z
  .object({
    events: z.array(EventSummarySchema).describe('Newest first.'),
    nextCursor: z.string().optional().describe('Pass as `cursor` for the next (older) page; absent on the last page.'),
  })
  .meta({ id: 'EventPage' });

const EventParams = z.object({ id: z.string().min(1) });

export const eventRoutes: readonly Route[] = [
  defineRoute({
    operationId: 'listEvents',
    method: 'GET',
    url: '/api/v1/events',
    access: ACCESS.read,
    summary: 'List admission events, newest first',
    description: 'Every filter given must hold. A page is at most `limit` events; follow `nextCursor` for older ones.',
    tags: TAGS,
    query: EventQuery,
    response: EventPageSchema,
    handler: async ({ query }, { store }) => {
      const { limit, cursor, decision, ...rest } = query;
      const filter: EventFilter = { ...rest, ...(decision !== undefined && decision.length > 0 && { decisions: decision }) };
      try {
        const page = await store.events.list(filter, { limit, ...(cursor !== undefined && { cursor }) });
        return { events: writable(page.events), ...(page.nextCursor !== undefined && { nextCursor: page.nextCursor }) };
      } catch (error) {
        // The store names the parameter (`cursor`, `from`); the client sent it in the query.
        if (error instanceof InputError) throw ApiError.invalid(error.problems.map((problem) => ({ path: `query.${problem.path ?? ''}`, message: problem.message })));
        throw error;
      }
    },
  }),
  defineRoute({
    operationId: 'getEvent',
    method: 'GET',
    url: '/api/v1/events/:id',
    access: ACCESS.read,
    summary: 'Get an admission event: images, violations, the rules as applied',
    tags: TAGS,
    params: EventParams,
    response: AdmissionEventSchema,
    handler: async ({ params }, { store }) => {
      const event = await store.events.get(params.id);
      if (!event) throw new ApiError('not_found', `No admission event '${params.id}' (it may have been pruned by retention).`);
      return eventView(event);
    },
  }),
  defineRoute({
    operationId: 'postEvents',
    method: 'POST',
    url: '/api/v1/events',
    access: ACCESS.sensor,
    summary: "Deliver a webhook's admission events",
    description:
      'Each event is stored once by its id: a delivery sent again (the webhook did not see the answer) stores nothing new. ' +
      '`stored` says how many were new. A batch takes the larger body limit: events carry their matched findings.',
    tags: TAGS,
    body: EventBatchSchema,
    bodyLimit: 'scan',
    response: z.object({ received: z.number().int().min(0), stored: z.number().int().min(0) }).meta({ id: 'EventDelivery' }),
    handler: async ({ body }, { store }) => ({ received: body.events.length, stored: await store.events.insert(body.events) }),
  }),
];
