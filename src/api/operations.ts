// What an orchestrator and a monitoring system ask: alive, ready, metrics. Public: probes and
// Prometheus scrapes carry no tokens, and none of these answers says anything secret.
import { z } from 'zod';
import { ApiError } from './errors.js';
import { METRICS_CONTENT_TYPE, scrape } from './metrics.js';
import { defineRoute, type Route } from './route.js';

const StatusSchema = z.object({ status: z.string() });

export const operationRoutes: readonly Route[] = [
  defineRoute({
    operationId: 'getHealth',
    method: 'GET',
    url: '/healthz',
    access: 'public',
    summary: 'Liveness: the process answers',
    tags: ['operations'],
    response: StatusSchema,
    handler: () => ({ status: 'ok' }),
  }),
  defineRoute({
    operationId: 'getReadiness',
    method: 'GET',
    url: '/readyz',
    access: 'public',
    summary: 'Readiness: the database answers',
    description: '503 (unavailable) while the database cannot be reached, so a load balancer sends requests to other replicas.',
    tags: ['operations'],
    response: StatusSchema,
    handler: async (_input, { store, request }) => {
      try {
        await store.ping();
      } catch (error) {
        request.log.warn({ err: error }, 'not ready: the database does not answer');
        throw new ApiError('unavailable');
      }
      return { status: 'ready' };
    },
  }),
  defineRoute({
    operationId: 'getMetrics',
    method: 'GET',
    url: '/metrics',
    access: 'public',
    summary: 'Prometheus metrics',
    tags: ['operations'],
    response: z.string().describe('Prometheus text exposition format.'),
    contentType: METRICS_CONTENT_TYPE,
    handler: (_input, { request }) => scrape(request.server.metrics),
  }),
];
