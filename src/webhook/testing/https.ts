// An HTTPS client for webhook tests: node:https with the webhook's CA (global fetch cannot be
// told to trust a self-signed CA), answering status, body and the certificate the server showed.
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type Agent } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AdmissionResponse } from '../../admission/answer.js';

export interface HttpsOptions {
  readonly method?: string;
  /** An object is sent as JSON (content-type application/json unless headers say otherwise). */
  readonly body?: string | Buffer | object;
  readonly headers?: Readonly<Record<string, string>>;
  /** The CA(s) to trust. Absent: the certificate is not checked (tests that are not about TLS). */
  readonly ca?: string | readonly string[];
  /** Default: a fresh connection per request (agent: false). */
  readonly agent?: Agent;
  /** Send the body chunked, without a Content-Length. */
  readonly chunked?: boolean;
  readonly timeoutMs?: number;
}

export interface HttpsAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** SHA-256 fingerprint of the certificate the server presented (`AA:BB:…`). */
  readonly fingerprint?: string;
  json<T = Record<string, unknown>>(): T;
}

export function https(url: string, options: HttpsOptions = {}): Promise<HttpsAnswer> {
  const target = new URL(url);
  const { body, chunked = false } = options;
  const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const headers: Record<string, string> = {
    ...(body !== undefined && typeof body === 'object' && !Buffer.isBuffer(body) && { 'content-type': 'application/json' }),
    ...(payload !== undefined && !chunked && { 'content-length': String(Buffer.byteLength(payload)) }),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? (payload === undefined ? 'GET' : 'POST'),
        headers,
        agent: options.agent ?? false,
        ...(options.ca === undefined ? { rejectUnauthorized: false } : { ca: typeof options.ca === 'string' ? options.ca : [...options.ca] }),
        timeout: options.timeoutMs ?? 15_000,
      },
      (response) => {
        const socket = response.socket as TLSSocket;
        const fingerprint = socket.getPeerCertificate?.().fingerprint256;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text,
            ...(fingerprint !== undefined && { fingerprint }),
            json: <T>() => JSON.parse(text) as T,
          });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer from ${url} in time`)));
    request.on('error', reject);
    if (payload !== undefined) request.write(payload);
    request.end();
  });
}

/** An AdmissionReview v1 around a request (as the API server sends it). */
export function reviewOf(request: object): Record<string, unknown> {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request };
}

/** The `response` of an AdmissionReview answer, after checking it is one. */
export function admissionResponse(answer: HttpsAnswer): AdmissionResponse {
  if (answer.status !== 200) throw new Error(`the webhook answered ${answer.status}: ${answer.text}`);
  const review = answer.json<{ apiVersion?: string; kind?: string; response?: AdmissionResponse }>();
  if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview' || review.response === undefined) {
    throw new Error(`not an AdmissionReview v1 answer: ${answer.text}`);
  }
  return review.response;
}
