// The webhook's HTTPS server: POST /validate and /mutate (AdmissionReview v1), /healthz, /readyz
// and /metrics, and in sensor mode POST /outbox/handoff (events another replica hands over).
// Plain node:https rather than a framework: this is the hot path in front of every deployment,
// and it has six routes. TLS material is swapped in place when it changes.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { HANDOFF_BODY_LIMIT, HANDOFF_PATH, UNAUTHORIZED, type HandoffReceiver } from '../sensor/peer-handoff.js';
import type { PolicySnapshot } from '../sensor/policy-snapshot.js';
import type { AdmissionHandler, Endpoint } from './admission-handler.js';
import type { WebhookMetrics } from './metrics.js';
import type { TlsMaterial } from '../tls/serving-tls.js';

/** The API server sends at most 3 MiB objects; a review holds the object and the old one. */
export const REVIEW_BODY_LIMIT = 8 * 1024 * 1024;

export interface WebhookServerOptions {
  readonly handler: AdmissionHandler;
  readonly snapshot: PolicySnapshot;
  readonly metrics: WebhookMetrics;
  readonly tls: TlsMaterial;
  readonly logger: Logger;
  readonly host: string;
  readonly port: number;
  /** Takes events other replicas hand over (sensor mode); absent: that route is not served. */
  readonly handoff?: HandoffReceiver;
}

export interface RunningWebhook {
  readonly url: string;
  readonly server: Server;
  /** Swaps the certificate for new connections; open ones keep theirs. */
  setTls(tls: TlsMaterial): void;
  /**
   * Stops accepting, answers the reviews in flight, then closes. A review that comes on a
   * connection kept alive is still answered, and the connection then closed; one still open
   * after CLOSE_CONNECTIONS_MS is cut.
   */
  close(): Promise<void>;
}

/** How long a closing server goes on answering on connections kept alive. */
const CLOSE_CONNECTIONS_MS = 5_000;

const ENDPOINTS: Readonly<Record<string, Endpoint>> = { '/validate': 'validate', '/mutate': 'mutate' };

export async function startWebhookServer(options: WebhookServerOptions): Promise<RunningWebhook> {
  const { handler, snapshot, metrics, logger } = options;
  let closing = false;
  const server = createServer({ cert: options.tls.cert, key: options.tls.key, keepAliveTimeout: 65_000 }, (request, response) => {
    // Closing: the answer ends its connection, so that the client (the API server) sends the
    // next review on a new one, to a replica that is not stopping.
    if (closing) response.setHeader('connection', 'close');
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const endpoint = ENDPOINTS[path];
    if (endpoint !== undefined) {
      if (request.method !== 'POST') return send(response, 405, { error: { code: 'method_not_allowed', message: `${path} takes POST` } });
      return void review(request, response, endpoint);
    }
    if (path === HANDOFF_PATH && options.handoff !== undefined) {
      if (request.method !== 'POST') return send(response, 405, { error: { code: 'method_not_allowed', message: `${path} takes POST` } });
      return void handoff(request, response, options.handoff);
    }
    if (request.method !== 'GET' && GET_PATHS.has(path)) return send(response, 405, { error: { code: 'method_not_allowed', message: `${path} takes GET` } });
    if (request.method !== 'GET') return notFound(response, request.method, path);
    if (path === '/healthz') return send(response, 200, { status: 'ok' });
    if (path === '/readyz') {
      // Ready once there is something to decide by: a completed sync, or a last-known-good snapshot.
      const state = snapshot.state;
      return state.syncedAt !== undefined ? send(response, 200, { status: 'ready', stale: state.stale }) : send(response, 503, { status: 'not synced yet' });
    }
    if (path === '/metrics') {
      metrics.snapshotStale.set(snapshot.state.stale ? 1 : 0);
      metrics.text().then(
        (text) => {
          response.writeHead(200, { 'content-type': metrics.registry.contentType });
          response.end(text);
        },
        (error: unknown) => {
          logger.warn({ err: error }, 'metrics could not be gathered');
          send(response, 503, { error: { code: 'unavailable', message: (error as Error).message } });
        },
      );
      return;
    }
    notFound(response, request.method, path);
  });

  async function review(request: IncomingMessage, response: ServerResponse, endpoint: Endpoint): Promise<void> {
    const type = request.headers['content-type'] ?? '';
    if (!/^application\/json\b/i.test(type)) return send(response, 415, { error: { code: 'unsupported_media_type', message: `Content-Type '${type}': send the AdmissionReview as application/json` } });
    let text: string | undefined;
    try {
      text = await readBody(request, REVIEW_BODY_LIMIT, 'review');
    } catch (error) {
      return send(response, 413, { error: { code: 'payload_too_large', message: (error as Error).message } });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      return send(response, 400, { error: { code: 'invalid_review', message: `The body is not valid JSON: ${(error as Error).message}` } });
    }
    try {
      const answering = handler.handle(endpoint, body);
      // A suspended async function keeps every local it has, used again or not: these would live
      // through the event's commit, and be copied by a scavenge or two (see AdmissionHandler.decide).
      text = body = undefined;
      const answer = await answering;
      send(response, answer.status, answer.body);
    } catch (error) {
      logger.error({ err: error }, 'review failed');
      send(response, 500, { error: { code: 'internal', message: 'The webhook failed; see its log.' } });
    }
  }

  async function handoff(request: IncomingMessage, response: ServerResponse, receiver: HandoffReceiver): Promise<void> {
    // Before the body: whoever lacks the token gets nothing read, and the connection goes.
    if (!receiver.authorized(request.headers.authorization)) {
      response.setHeader('connection', 'close');
      return send(response, UNAUTHORIZED.status, UNAUTHORIZED.body);
    }
    let text: string;
    try {
      text = await readBody(request, HANDOFF_BODY_LIMIT, 'batch of events');
    } catch (error) {
      return send(response, 413, { error: { code: 'payload_too_large', message: (error as Error).message } });
    }
    // Stopping, this replica would have to hand the events on in turn, within its own grace
    // period: the sender tries again, and the Service finds it another.
    if (closing) {
      response.setHeader('connection', 'close');
      return send(response, 503, { error: { code: 'unavailable', message: 'This replica is stopping: hand the events to another.' } });
    }
    try {
      const answer = await receiver.receive(text);
      if (answer.status === 200) {
        const { received } = answer.body as { received: number };
        metrics.eventsHandedOver.inc(received);
        logger.info({ received }, 'events handed over by another replica: kept in this outbox');
      }
      send(response, answer.status, answer.body);
    } catch (error) {
      logger.error({ err: error }, 'events handed over could not be kept');
      send(response, 500, { error: { code: 'internal', message: 'The events could not be kept; see the log.' } });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `https://${host}:${address.port}`,
    server,
    setTls: (tls) => server.setSecureContext({ cert: tls.cert, key: tls.key }),
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_CONNECTIONS_MS);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

const GET_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

function notFound(response: ServerResponse, method: string | undefined, path: string): void {
  send(response, 404, { error: { code: 'not_found', message: `No route ${method} ${path}: the webhook serves POST /validate, POST /mutate, GET /healthz, /readyz, /metrics.` } });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function readBody(request: IncomingMessage, limit: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > limit) {
      request.resume();
      return reject(new Error(`The ${what} is larger than the limit of ${limit} bytes.`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      if (size > limit) return;
      size += chunk.length;
      if (size > limit) {
        // Read on and drop the rest (as for a declared length): destroying the socket would
        // reset the connection before the client could read the 413.
        chunks.length = 0;
        reject(new Error(`The ${what} is larger than the limit of ${limit} bytes.`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
