// The webhook's HTTP side of the control plane's API: one request function with the bearer
// token, a timeout, and errors that say whether sending the same request again can help.
import { readFileSync, statSync } from 'node:fs';
import { fetchTrusting } from '../tls/trusted-ca.js';

export interface ControlPlaneConnection {
  /** The control plane's base URL: `https://portcullis.example.com`. */
  readonly url: string;
  /** A Sensor (or Admin) token. */
  readonly token: string;
  /**
   * The file the token was read from (a mounted Secret): read again whenever it changes, so a
   * rotated token is used from the next request on. `token` stands while the file cannot be read.
   */
  readonly tokenFile?: string;
  /** Per request, the answer's body included; default 10 s. */
  readonly timeoutMs?: number;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** A control plane in data alone (it can be handed to a thread): what a connection is made from. */
export interface ControlPlaneEndpoint {
  /** The control plane's base URL. */
  readonly url: string;
  /** A Sensor token. */
  readonly token: string;
  /** Where it was read from, read again when it changes (see ControlPlaneConnection.tokenFile). */
  readonly tokenFile?: string;
  readonly timeoutMs?: number;
  /** Certificates trusted for it besides the system's roots (`--ca-file`). */
  readonly caPem?: string;
}

/** The connection to an endpoint: its own connection pool when it trusts a CA of its own. */
export function connectionTo(endpoint: ControlPlaneEndpoint): ControlPlaneConnection {
  const { url, token, tokenFile, timeoutMs, caPem } = endpoint;
  return { url, token, ...(tokenFile !== undefined && { tokenFile }), ...(timeoutMs !== undefined && { timeoutMs }), ...(caPem !== undefined && { fetch: fetchTrusting(caPem) }) };
}

/**
 * POSTs events as the outbox keeps them (JSON text) in one `{events: [...]}` body, as the control
 * plane's POST /api/v1/events and a replica's POST /outbox/handoff take them, and checks that all
 * of them were received. The body is written into `spare` when it is large enough (else into a
 * new buffer), and the buffer written into is answered, for the caller's next batch: a sink
 * posting a megabyte a batch, several times a second, would otherwise allocate as much outside
 * the heap each time, and V8 answers that with a full collection every few batches. `spare` must
 * not be in another post's hands.
 */
export async function postEvents(connection: ControlPlaneConnection, path: string, events: readonly string[], signal?: AbortSignal, spare?: Buffer): Promise<Buffer> {
  // As bytes: fetch would check a string body for lone surrogates character by character (megabytes here).
  const rawBody = eventsBody(events, spare);
  const answer = await requestControlPlane(connection, 'POST', path, { rawBody, ...(signal && { signal }) });
  const received = (answer as { received?: unknown } | null)?.received;
  if (received !== events.length) throw new Error(`POST ${path} answered received: ${String(received)} for ${events.length} events`);
  return spare !== undefined && rawBody.buffer === spare.buffer ? spare : rawBody;
}

const EVENTS_OPEN = '{"events":[';
const EVENTS_CLOSE = ']}';

/**
 * `{"events":[…]}`, each event's JSON text written straight into one buffer (the start of `into`
 * when it is large enough). Joining the texts first made a string of a megabyte per batch that
 * was then flattened and encoded: three times the time (measured: 17 µs an event of 10 KB,
 * against 6), on the outbox's sender thread.
 */
export function eventsBody(events: readonly string[], into?: Buffer): Buffer {
  let length = EVENTS_OPEN.length + EVENTS_CLOSE.length + Math.max(0, events.length - 1);
  for (const event of events) length += Buffer.byteLength(event);
  // Slow: a buffer of its own, never a slice of Node's shared pool, since it may be written again.
  const body = into !== undefined && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafeSlow(length);
  let at = body.write(EVENTS_OPEN, 0, 'latin1');
  events.forEach((event, i) => {
    if (i > 0) at = body.writeUInt8(0x2c, at); // ,
    at += body.write(event, at, 'utf8');
  });
  body.write(EVENTS_CLOSE, at, 'latin1');
  return body;
}

/** A request the control plane did not answer with success, or did not answer at all. */
export class ControlPlaneError extends Error {
  constructor(
    message: string,
    /** Absent when no answer came (refused, timed out). */
    readonly status?: number,
    /** The API's error code (`invalid_request`, `unauthorized`, …) when it answered one. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ControlPlaneError';
  }

  /**
   * The same request will be refused again, whenever it is sent: it is malformed or too large.
   * Everything else (unreachable, 5xx, and also 401/403/404, which a fixed token or URL cures)
   * is worth retrying.
   */
  get permanent(): boolean {
    return this.status === 400 || this.status === 413 || this.status === 422;
  }
}

interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  /** A body already serialized (JSON text, or its UTF-8 bytes), sent as is. */
  readonly rawBody?: string | Uint8Array;
  readonly signal?: AbortSignal;
}

/** Sends one request and answers its parsed JSON body. */
export async function requestControlPlane(connection: ControlPlaneConnection, method: 'GET' | 'POST', path: string, options: RequestOptions = {}): Promise<unknown> {
  const url = new URL(path, `${connection.url.replace(/\/+$/, '')}/`);
  for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
  const where = `${method} ${url.pathname}`;
  const timeout = AbortSignal.timeout(connection.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const token = connectionToken(connection);
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers['content-type'] = 'application/json';
  const send = connection.fetch ?? fetch;
  let text: string;
  let response: Response;
  try {
    response = await send(url, { method, headers, signal, ...(body !== undefined && bodyInit(body, headers)) });
    text = await response.text();
  } catch (error) {
    throw new ControlPlaneError(`${where} at ${url.origin}: ${reasonOf(error, timeout)}`);
  }
  if (!response.ok) {
    const answer = errorOf(text);
    throw new ControlPlaneError(`${where} at ${url.origin}: ${response.status} ${answer?.message ?? response.statusText}`, response.status, answer?.code);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ControlPlaneError(`${where} at ${url.origin}: the answer is not JSON (is the URL the control plane's?)`, response.status);
  }
}

/**
 * Bytes go as a stream of one chunk, with their length: fetch copies a body given as bytes
 * (a megabyte per batch of events, outside the heap), but sends a stream's chunks as they are.
 */
function bodyInit(body: string | Uint8Array, headers: Record<string, string>): RequestInit {
  if (typeof body === 'string') return { body };
  headers['content-length'] = String(body.byteLength);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(body);
      controller.close();
    },
  });
  return { body: stream, duplex: 'half' } as RequestInit;
}

/** The token to send now: `token`, or the token file's as it is now (see currentToken). */
export function connectionToken(connection: Pick<ControlPlaneConnection, 'token' | 'tokenFile'>): string {
  return connection.tokenFile === undefined ? connection.token : currentToken(connection.tokenFile, connection.token);
}

/** The last token read from each file, and the file's modification time then. */
const tokensRead = new Map<string, { readonly mtimeMs: number; readonly token: string }>();

/**
 * The token in `file` as it is now: a stat per request, a read only when the file changed (a
 * Secret's update swaps the file under its mount). A file gone or blank keeps the last token.
 */
function currentToken(file: string, fallback: string): string {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return tokensRead.get(file)?.token ?? fallback;
  }
  const known = tokensRead.get(file);
  if (known?.mtimeMs === mtimeMs) return known.token;
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch {
    return known?.token ?? fallback;
  }
  if (token === '') return known?.token ?? fallback;
  tokensRead.set(file, { mtimeMs, token });
  return token;
}

function reasonOf(error: unknown, timeout: AbortSignal): string {
  if (timeout.aborted) return 'no answer in time';
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** The API's `{error: {code, message}}`, when the body is one. */
function errorOf(text: string): { code?: string; message?: string } | undefined {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = parsed.error ?? {};
    return { ...(typeof code === 'string' && { code }), ...(typeof message === 'string' && { message }) };
  } catch {
    return undefined;
  }
}
