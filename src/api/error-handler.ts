// Every failure, whoever raised it (a route, the store, fastify's body parser), answered in the
// shape of the error catalog. 5xx are logged with their cause; a client sees only the code.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, NotFoundError } from '../store/errors.js';
import { InputError } from '../problems.js';
import { ApiError, apiProblems, errorBody } from './errors.js';

export function answerError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const answer = toApiError(error, request);
  if (answer.status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code: answer.code, status: answer.status }, answer.message);
  return reply.code(answer.status).send(answer.body());
}

export function answerNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0] ?? request.url;
  return reply.code(404).send(errorBody('not_found', `No route ${request.method} ${path}; GET /api/v1/openapi.json lists them all.`));
}

export function toApiError(error: unknown, request: FastifyRequest): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof InputError) return ApiError.invalid(apiProblems(error.problems));
  if (error instanceof NotFoundError) return new ApiError('not_found', error.message);
  if (error instanceof ConflictError) return new ApiError('conflict', error.message);
  const status = statusOf(error);
  if (status === 413) return new ApiError('payload_too_large', `The request body is larger than the limit of ${request.routeOptions.bodyLimit ?? 'this route'} bytes.`);
  if (status === 415) {
    const type = request.headers['content-type'] ?? 'none';
    return new ApiError('unsupported_media_type', `Content-Type '${type}' is not accepted: send the body as JSON (Content-Type: application/json).`);
  }
  // Fastify's other 4xx (a body shorter than its Content-Length, …) carry a useful message.
  if (status !== undefined && status >= 400 && status < 500) return ApiError.invalid([{ path: 'request', message: (error as Error).message }], (error as Error).message);
  return new ApiError('internal');
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('statusCode' in error)) return undefined;
  return typeof error.statusCode === 'number' ? error.statusCode : undefined;
}
