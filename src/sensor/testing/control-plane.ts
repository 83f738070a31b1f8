// A real control plane for sensor tests: the API harness (in-memory SQLite store, one token per
// role) listening on a local port, which a test can stop and start again on the same store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../api/app.js';
import { startApi, type ApiHarness } from '../../api/testing/harness.js';
import type { Role } from '../../store/roles.js';
import type { ControlPlaneConnection } from '../control-plane.js';

export interface ListeningControlPlane {
  readonly api: ApiHarness;
  readonly url: string;
  /** The control plane as a webhook reaches it, with the token of `role` (default Sensor). */
  connection(role?: Role): ControlPlaneConnection;
  /** Stops answering (connections are refused); the store stays. */
  stop(): Promise<void>;
  /** Answers again, on the same port and the same store. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function listeningControlPlane(): Promise<ListeningControlPlane> {
  const api = await startApi();
  let app: FastifyInstance | undefined = api.app;
  const url = await api.app.listen({ port: 0, host: HOST });
  const port = Number(new URL(url).port);
  return {
    api,
    url,
    connection: (role = 'Sensor') => ({ url, token: api.secrets[role], timeoutMs: 5_000 }),
    stop: async () => {
      await app?.close();
      app = undefined;
    },
    restart: async () => {
      if (app) return;
      const next = buildApi({ store: api.store, now: api.now, logger: false, checkResponses: true });
      await next.listen({ port, host: HOST });
      app = next;
    },
    close: async () => {
      await app?.close();
      app = undefined;
      await api.store.close();
    },
  };
}

/** A fresh temporary directory, removed by the function it answers with. */
export function tempDir(): { readonly dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-sensor-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A sha256 digest of one repeated hex character (or the hex given). */
export function digestOf(hex: string): string {
  return `sha256:${hex.repeat(Math.ceil(64 / hex.length)).slice(0, 64)}`;
}

export interface NativeFinding {
  readonly id: string;
  readonly severity: 'Critical' | 'High' | 'Medium' | 'Low' | 'Unknown';
  readonly aliases?: readonly string[];
  readonly pkg?: string;
}

/** A scan in the API's native format, with the fields a compact finding leaves out (title, url, vector) filled in. */
export function nativeScan(options: { digest: string; tag?: string; scanner?: string; scannedAt?: string; findings: readonly NativeFinding[] }): Record<string, unknown> {
  return {
    source: { scanner: options.scanner ?? 'trivy' },
    ...(options.scannedAt !== undefined && { scannedAt: options.scannedAt }),
    manifestDigest: options.digest,
    repoTags: options.tag === undefined ? [] : [options.tag],
    findings: options.findings.map((finding) => ({
      id: finding.id,
      aliases: finding.aliases ?? [],
      severity: finding.severity,
      cvss: { score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', version: '3.1' },
      package: { name: finding.pkg ?? 'openssl', version: '3.0.1', purl: `pkg:deb/debian/${finding.pkg ?? 'openssl'}@3.0.1` },
      fixedVersion: '3.0.2',
      title: `${finding.id} in ${finding.pkg ?? 'openssl'}`,
      url: `https://example.com/${finding.id}`,
    })),
  };
}

/** A rule document as a security admin writes it. */
export function ruleDocument(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'portcullis.dev/v1', kind: 'Rule', name, action: 'Deny', conditions: { severities: ['Critical'] }, ...overrides };
}
