// A real OCI registry for tests: Debian's `docker-registry` (distribution v2.8, package
// docker-registry) on a free loopback port, with a throwaway config and storage, optionally
// behind htpasswd (bcrypt, made with bcryptjs) or token auth (see registry-token.ts). Images are
// made up on the spot and pushed through the distribution API, so nothing comes from a network.
// Also here: a counting proxy to put in front of a registry, a server that accepts connections
// and never answers, and a port nothing listens on.

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import bcrypt from 'bcryptjs';

export const REGISTRY_BINARY = 'docker-registry';

export type TestRegistryAuth =
  | { readonly htpasswd: { readonly username: string; readonly password: string } }
  | { readonly token: { readonly realm: string; readonly service: string; readonly issuer: string; readonly certificatePem: string } };

export interface TestRegistry {
  /** `127.0.0.1:PORT`, as an image reference names the registry. */
  readonly host: string;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts docker-registry with `auth` (none by default) and waits until it answers /v2/. */
export async function startRegistry(options: { readonly auth?: TestRegistryAuth } = {}): Promise<TestRegistry> {
  const directory = await mkdtemp(join(tmpdir(), 'portcullis-registry-'));
  const auth = await authConfig(options.auth, directory);
  let lastFailure = '';
  // A port found free can be taken before the registry binds it: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await unusedPort();
    const config = {
      version: '0.1',
      log: { level: 'error', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: join(directory, 'storage') }, delete: { enabled: true } },
      http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex') },
      ...(auth !== undefined && { auth }),
    };
    const configPath = join(directory, 'config.yml');
    await writeFile(configPath, JSON.stringify(config, null, 2)); // JSON is YAML
    const child = spawn(REGISTRY_BINARY, ['serve', configPath], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4_000)));
    const url = `http://127.0.0.1:${port}`;
    const started = await waitUntilServing(child, url);
    if (started === 'ready') {
      const killOnExit = (): void => void child.kill('SIGKILL');
      process.once('exit', killOnExit);
      return {
        host: `127.0.0.1:${port}`,
        url,
        stop: async () => {
          process.removeListener('exit', killOnExit);
          await stopChild(child);
          await rm(directory, { recursive: true, force: true });
        },
      };
    }
    await stopChild(child);
    if (started === 'missing') {
      await rm(directory, { recursive: true, force: true });
      throw new Error(`'${REGISTRY_BINARY}' is not installed: install Debian's package docker-registry (apt-get install docker-registry)`);
    }
    lastFailure = stderr.trim();
  }
  await rm(directory, { recursive: true, force: true });
  throw new Error(`docker-registry did not start: ${lastFailure || 'no output'}`);
}

async function authConfig(auth: TestRegistryAuth | undefined, directory: string): Promise<Record<string, unknown> | undefined> {
  if (auth === undefined) return undefined;
  if ('htpasswd' in auth) {
    const path = join(directory, 'htpasswd');
    // Cost 4 (bcrypt's least) keeps each authenticated request cheap for the registry.
    await writeFile(path, `${auth.htpasswd.username}:${bcrypt.hashSync(auth.htpasswd.password, 4)}\n`);
    return { htpasswd: { realm: 'portcullis-test', path } };
  }
  const rootcertbundle = join(directory, 'token-root.pem');
  await writeFile(rootcertbundle, auth.token.certificatePem);
  return { token: { realm: auth.token.realm, service: auth.token.service, issuer: auth.token.issuer, rootcertbundle } };
}

async function waitUntilServing(child: ChildProcess, url: string): Promise<'ready' | 'exited' | 'missing'> {
  let outcome: 'exited' | 'missing' | undefined;
  child.once('error', (error: NodeJS.ErrnoException) => (outcome = error.code === 'ENOENT' ? 'missing' : 'exited'));
  child.once('exit', () => (outcome ??= 'exited'));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (outcome !== undefined) return outcome;
    try {
      const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(500) });
      await response.body?.cancel();
      if (response.status === 200 || response.status === 401) return 'ready';
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return 'exited';
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

// --- Images made up for the tests, pushed through the distribution API. ---

export interface PushTarget {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Sent with every request (Basic …, or Bearer … from TokenServer.issue). */
  readonly authorization?: string;
}

export interface PushedImage {
  /** What the tag names: the index when there are several platforms. */
  readonly digest: string;
  readonly mediaType: string;
  /** The platform manifests, in the order given. */
  readonly manifests: readonly { readonly platform: string; readonly digest: string }[];
}

export interface PushOptions {
  /** `os/arch[/variant]`; more than one makes an index. Default `['linux/amd64']`. */
  readonly platforms?: readonly string[];
  /** OCI media types (default) or Docker's (schema 2 manifests, manifest list). */
  readonly format?: 'oci' | 'docker';
  /** Varies the image's content (and so its digests): a new revision under the same tag is a moved tag. */
  readonly revision?: string;
  /** Push an index even for one platform. */
  readonly index?: boolean;
}

const FORMATS = {
  oci: {
    index: 'application/vnd.oci.image.index.v1+json',
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
  docker: {
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
} as const;

/** Pushes a tiny image (one config blob, one layer) for each platform, and an index when asked or needed. */
export async function pushImage(target: PushTarget, repository: string, tag: string, options: PushOptions = {}): Promise<PushedImage> {
  const platforms = options.platforms ?? ['linux/amd64'];
  const types = FORMATS[options.format ?? 'oci'];
  const tar = Buffer.alloc(1024); // an empty tar archive: two zero blocks
  const layer = gzipSync(tar);
  await pushBlob(target, repository, layer);

  const manifests: { platform: string; digest: string; size: number; json: PlatformJson }[] = [];
  for (const platform of platforms) {
    const [os = 'linux', architecture = 'amd64', variant] = platform.split('/');
    const config = Buffer.from(
      JSON.stringify({
        architecture,
        os,
        ...(variant !== undefined && { variant }),
        config: { Labels: { 'org.example.portcullis.test': `${repository}:${tag} ${platform} ${options.revision ?? ''}` } },
        rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(tar)}`] },
      }),
    );
    const configDigest = await pushBlob(target, repository, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: types.manifest,
        config: { mediaType: types.config, digest: configDigest, size: config.length },
        layers: [{ mediaType: types.layer, digest: `sha256:${sha256(layer)}`, size: layer.length }],
      }),
    );
    const single = platforms.length === 1 && options.index !== true;
    const digest = await putManifest(target, repository, single ? tag : `sha256:${sha256(manifest)}`, types.manifest, manifest);
    manifests.push({ platform, digest, size: manifest.length, json: { os, architecture, ...(variant !== undefined && { variant }) } });
  }

  const [only] = manifests;
  if (manifests.length === 1 && options.index !== true && only !== undefined) {
    return { digest: only.digest, mediaType: types.manifest, manifests: [{ platform: only.platform, digest: only.digest }] };
  }
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: types.index,
      manifests: manifests.map((manifest) => ({ mediaType: types.manifest, digest: manifest.digest, size: manifest.size, platform: manifest.json })),
    }),
  );
  const digest = await putManifest(target, repository, tag, types.index, index);
  return { digest, mediaType: types.index, manifests: manifests.map(({ platform, digest: manifestDigest }) => ({ platform, digest: manifestDigest })) };
}

interface PlatformJson {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

async function pushBlob(target: PushTarget, repository: string, bytes: Buffer): Promise<string> {
  const digest = `sha256:${sha256(bytes)}`;
  const start = await fetch(`${target.url}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: authorization(target) });
  await expectStatus(start, 202, `starting a blob upload to ${repository}`);
  const location = new URL(start.headers.get('location') ?? '', target.url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', headers: { ...authorization(target), 'Content-Type': 'application/octet-stream' }, body: bytes });
  await expectStatus(put, 201, `uploading blob ${digest} to ${repository}`);
  return digest;
}

async function putManifest(target: PushTarget, repository: string, reference: string, mediaType: string, body: Buffer): Promise<string> {
  const response = await fetch(`${target.url}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { ...authorization(target), 'Content-Type': mediaType },
    body,
  });
  await expectStatus(response, 201, `putting manifest ${repository}:${reference}`);
  const digest = `sha256:${sha256(body)}`;
  const answered = response.headers.get('docker-content-digest');
  if (answered !== digest) throw new Error(`the registry stored ${repository}:${reference} as ${answered}, expected ${digest}`);
  return digest;
}

function authorization(target: PushTarget): Record<string, string> {
  return target.authorization === undefined ? {} : { Authorization: target.authorization };
}

async function expectStatus(response: Response, status: number, doing: string): Promise<void> {
  const body = await response.text();
  if (response.status !== status) throw new Error(`${doing}: the registry answered ${response.status}: ${body}`);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

// --- Servers around a registry. ---

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
}

export interface CountingProxy {
  /** `127.0.0.1:PORT`, to use as the registry in image references. */
  readonly host: string;
  /** Every request forwarded so far, in arrival order. */
  readonly requests: readonly ProxiedRequest[];
  /** Requests for manifests (HEAD or GET) so far: the registry round trips a lookup costs. */
  manifestRequests(): number;
  stop(): Promise<void>;
}

/** A plain-http reverse proxy to `targetUrl` that records every request it forwards. */
export async function startCountingProxy(targetUrl: string): Promise<CountingProxy> {
  const target = new URL(targetUrl);
  const requests: ProxiedRequest[] = [];
  const server = createServer((incoming, outgoing) => {
    requests.push({ method: incoming.method ?? 'GET', path: incoming.url ?? '/', authorization: incoming.headers.authorization });
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: forwardable(incoming.headers) },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    manifestRequests: () => requests.filter((request) => request.path.includes('/manifests/')).length,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { connection: _connection, 'keep-alive': _keepAlive, ...rest } = headers;
  return rest;
}

export interface SilentServer {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  /**
   * Requests received so far. Counted by the connections that sent anything: none is ever
   * answered, so each holds one request (undici sometimes opens a connection it leaves unused).
   */
  requests(): number;
  stop(): Promise<void>;
}

/** Accepts TCP connections and never answers: a registry that hangs. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => requests++);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests: () => requests,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on (now): connecting to it is refused. */
export async function unusedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
