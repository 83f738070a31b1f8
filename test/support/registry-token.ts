// A token server for tests of the bearer flow: the `realm` a registry's 401 challenge sends
// clients to. It speaks Docker Hub's wire format (GET realm?service=…&scope=…, optional Basic
// credentials, `{"token","access_token","expires_in","issued_at"}`; or GHCR's bare `{"token"}`)
// and signs real distribution JWTs (ES256, x5c) with a self-signed certificate, so Debian's
// docker-registry configured with `auth: token` accepts them. Nothing here needs openssl.

import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenAccess {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

export interface TokenRequest {
  readonly service: string | undefined;
  readonly scopes: readonly string[];
  readonly account: string | undefined;
  /** The username of the Basic credentials sent, if any. */
  readonly username: string | undefined;
}

export interface TokenServerOptions {
  /** Accepted Basic credentials: username → password. */
  readonly users?: Readonly<Record<string, string>>;
  /** Whether a request without credentials gets a pull token (Docker Hub: yes). Default true. */
  readonly anonymousPull?: boolean;
  /** Docker Hub's response (token + access_token + expires_in + issued_at) or GHCR's (token only). */
  readonly shape?: 'docker-hub' | 'ghcr';
  readonly expiresInSeconds?: number;
}

export interface TokenServer {
  /** http://127.0.0.1:PORT/token */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** The self-signed certificate a registry's `rootcertbundle` must hold. */
  readonly certificatePem: string;
  /** Every token request so far, in order. */
  readonly requests: readonly TokenRequest[];
  /** A token granting `access`, e.g. to push test images straight to the registry. */
  issue(access: readonly TokenAccess[], subject?: string): string;
  stop(): Promise<void>;
}

export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const service = 'portcullis-test-registry';
  const issuer = 'portcullis-test-token-issuer';
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const certificate = selfSignedCertificate(privateKey, publicKey, issuer);
  const expiresIn = options.expiresInSeconds ?? 300;
  const requests: TokenRequest[] = [];

  const issue = (access: readonly TokenAccess[], subject = ''): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [certificate.toString('base64')] };
    const claims = { iss: issuer, sub: subject, aud: service, exp: now + expiresIn, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${base64url(signature)}`;
  };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://token.test');
    if (url.pathname !== '/token') return json(response, 404, { details: 'not found' });
    const credentials = basicCredentials(request.headers.authorization);
    const scopes = url.searchParams.getAll('scope').flatMap((scope) => scope.split(' ')).filter(Boolean);
    requests.push({ service: url.searchParams.get('service') ?? undefined, scopes, account: url.searchParams.get('account') ?? undefined, username: credentials?.username });

    if (credentials !== undefined && options.users?.[credentials.username] !== credentials.password) {
      return json(response, 401, { details: 'incorrect username or password' });
    }
    if (credentials === undefined && options.anonymousPull === false) {
      return json(response, 401, { details: 'authentication required' });
    }
    const access = scopes.map(parseScope).map((scope) => ({
      ...scope,
      actions: credentials === undefined ? scope.actions.filter((action) => action === 'pull') : scope.actions,
    }));
    const token = issue(access, credentials?.username);
    if (options.shape === 'ghcr') return json(response, 200, { token });
    return json(response, 200, { token, access_token: token, expires_in: expiresIn, issued_at: new Date().toISOString() });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certificatePem: pem(certificate),
    requests,
    issue,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  if (header === undefined || !header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** `repository:team/app:pull,push`: the name is everything between the first and the last colon. */
function parseScope(scope: string): TokenAccess {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

function pem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

// --- A minimal X.509 v3 certificate in DER (ECDSA P-256 with SHA-256), self-signed. ---

function selfSignedCertificate(privateKey: KeyObject, publicKey: KeyObject, commonName: string): Buffer {
  const algorithm = sequence(objectId('1.2.840.10045.4.3.2'));
  const name = sequence(set(sequence(objectId('2.5.4.3'), utf8String(commonName))));
  const now = Date.now();
  const serial = createHash('sha256').update(randomBytes(16)).digest().subarray(0, 8);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01; // positive and minimally encoded, as Go's parser insists
  const tbs = sequence(
    tagged(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    name,
    sequence(utcTime(new Date(now - 60 * 60_000)), utcTime(new Date(now + 24 * 60 * 60_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  const certificate = sequence(tbs, algorithm, tagged(0x03, Buffer.concat([Buffer.from([0]), signature])));
  if (!new X509Certificate(certificate).verify(publicKey)) throw new Error('the test token certificate does not verify');
  return certificate;
}

function tagged(tag: number, content: Buffer): Buffer {
  const length = content.length;
  const lengthBytes =
    length < 0x80 ? Buffer.from([length]) : length < 0x100 ? Buffer.from([0x81, length]) : Buffer.from([0x82, length >> 8, length & 0xff]);
  return Buffer.concat([Buffer.from([tag]), lengthBytes, content]);
}

function sequence(...parts: Buffer[]): Buffer {
  return tagged(0x30, Buffer.concat(parts));
}

function set(...parts: Buffer[]): Buffer {
  return tagged(0x31, Buffer.concat(parts));
}

function integer(bytes: Buffer): Buffer {
  const first = bytes[0] ?? 0;
  return tagged(0x02, first >= 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function utf8String(text: string): Buffer {
  return tagged(0x0c, Buffer.from(text, 'utf8'));
}

function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return tagged(0x17, Buffer.from(`${text}Z`, 'ascii'));
}

function objectId(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let value = arc >> 7; value > 0; value >>= 7) chunk.unshift((value & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tagged(0x06, Buffer.from(bytes));
}
