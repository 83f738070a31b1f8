// Prometheus metrics. Each API instance has its own registry (two apps in one process, as in
// tests, do not collide); process metrics are process-wide and collected once.
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry, type Metric } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    /** This API's metrics registry: register a module's own metrics here (see metricOn). */
    readonly metrics: Registry;
  }
}

export function useMetrics(app: FastifyInstance): void {
  const registry = new Registry();
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({ name: 'portcullis_http_requests_total', help: 'HTTP requests answered, by method, route and status.', labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'portcullis_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method, route and status.',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.decorate('metrics', registry);
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the raw URL: ids in URLs would make a series per rule.
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });
}

/** A metric of a module, created on first use in this registry and shared afterwards. */
export function metricOn<M extends Metric>(registry: Registry, name: string, create: (registers: Registry[]) => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create([registry]);
}

let processRegistry: Registry | undefined;

/** The text a Prometheus server scrapes: this API's metrics and the process's. */
export async function scrape(registry: Registry): Promise<string> {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: 'portcullis_' });
  }
  return Registry.merge([registry, processRegistry]).metrics();
}

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
