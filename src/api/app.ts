// The control-plane API as a fastify instance, not yet listening: `portcullis serve` and
// `control-plane` listen on it, tests inject requests into it. It serves the web UI at / too.
import type { RequestListener, Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { DEFAULT_LIMITS, type ApiDeps } from './deps.js';
import { answerError, answerNotFound } from './error-handler.js';
import { useJsonBodies } from './json-body.js';
import { useMetrics } from './metrics.js';
import { registerRoute, type Route } from './route.js';
import { API_ROUTES } from './routes.js';
import { BUILT_UI_DIRECTORY, useUiAssets } from './ui-assets.js';

/** Never in a log line: a token is a password. (Bodies are never logged at all.) */
const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'];

export function buildApi(deps: ApiDeps, routes: readonly Route[] = API_ROUTES): FastifyInstance {
  const limits = deps.limits ?? DEFAULT_LIMITS;
  const logger: FastifyBaseLogger | undefined = deps.logger ? deps.logger.child({ component: 'api' }, { redact: { paths: REDACT, censor: '[redacted]' } }) : undefined;
  const app = fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    // HTTPS through a server factory keeps the instance's types those of the HTTP default.
    ...(deps.tls && { serverFactory: (handler: RequestListener) => createHttpsServer({ cert: deps.tls?.cert, key: deps.tls?.key }, handler) as unknown as HttpServer }),
    bodyLimit: limits.bodyBytes,
    routerOptions: { ignoreTrailingSlash: true },
  });
  assertUniqueOperations(routes);
  app.decorate('apiRoutes', routes);
  app.decorateRequest('caller', undefined);
  useMetrics(app);
  useJsonBodies(app);
  app.setErrorHandler(answerError);
  app.setNotFoundHandler(answerNotFound);
  useUiAssets(app, deps.uiDirectory ?? BUILT_UI_DIRECTORY);
  for (const route of routes) registerRoute(app, route, deps, limits);
  return app;
}

function assertUniqueOperations(routes: readonly Route[]): void {
  const seen = new Set<string>();
  for (const { operationId } of routes) {
    if (seen.has(operationId)) throw new Error(`two routes have the operationId '${operationId}'`);
    seen.add(operationId);
  }
}
