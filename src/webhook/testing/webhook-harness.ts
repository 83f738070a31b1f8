// Webhooks for tests: startWebhook on a real store (in-process sync source and event sink, as
// `portcullis serve` runs it) in a throwaway data directory, with a few shortcuts to post
// reviews, and builders for the rules and scans the store is given.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { AdmissionResponse } from '../../admission/answer.js';
import type { AdmissionEvent } from '../../events/admission-event.js';
import type { Finding, ImageScan } from '../../findings/model.js';
import type { Severity } from '../../findings/severity.js';
import type { Rule } from '../../policy/rule.js';
import { validateRule } from '../../policy/rule-document.js';
import { StoreEventSink, type EventSink } from '../../sensor/event-sinks.js';
import { StoreSyncSource, type SyncSource } from '../../sensor/sync.js';
import type { Store } from '../../store/store.js';
import { startWebhook, type RunningWebhookService, type WebhookOptions } from '../webhook.js';
import { admissionResponse, https, type HttpsAnswer, type HttpsOptions } from './https.js';
import { until } from '../../../test/support/until.js';

export { until };

export const silentLogger = () => pino({ level: 'silent' });

export interface TestWebhook {
  readonly service: RunningWebhookService;
  readonly url: string;
  readonly dataDir: string;
  /** The CA to trust: the self-signed one, or the one given. */
  readonly ca: string | readonly string[] | undefined;
  /** POSTs `body` to /validate (or the path given) and answers the raw answer. */
  post(body: unknown, options?: HttpsOptions & { path?: string }): Promise<HttpsAnswer>;
  /** POSTs a review to /validate and answers its `response`, with how long the answer took. */
  review(body: unknown, path?: '/validate' | '/mutate'): Promise<AdmissionResponse & { elapsedMs: number }>;
  get(path: string): Promise<HttpsAnswer>;
  /**
   * Delivers what the outbox holds, then answers the event stored under `id`; tries again for a
   * few seconds while it is not there (an answer sent at the deadline does not wait for its event's write).
   */
  event(id: string | undefined): Promise<AdmissionEvent | undefined>;
  close(): Promise<void>;
}

export type TestWebhookOptions = Partial<Omit<WebhookOptions, 'source' | 'sink'>> & {
  readonly source?: SyncSource;
  /** Default: the store itself. */
  readonly sink?: EventSink;
  /** Wait for the first sync before answering (default true). */
  readonly synced?: boolean;
};

/** A webhook on the store, in a new data directory (removed on close unless it was given). */
export async function startTestWebhook(store: Store, options: TestWebhookOptions = {}): Promise<TestWebhook> {
  const { synced = true, source, sink, ...rest } = options;
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'portcullis-webhook-'));
  const service = await startWebhook({
    dataDir,
    host: '127.0.0.1',
    port: 0,
    source: source ?? new StoreSyncSource(store),
    sink: sink ?? new StoreEventSink(store),
    failureMode: 'closed',
    deadlineMs: 2_000,
    registry: { resolve: false },
    excludedNamespaces: ['kube-system'],
    logger: silentLogger(),
    syncIntervalMs: 100,
    ...rest,
  });
  if (synced) await until(() => service.snapshot.state.syncedAt !== undefined, 'the first sync');
  const ca = options.tls ? undefined : service.caPem;
  const post = (body: unknown, { path = '/validate', ...request }: HttpsOptions & { path?: string } = {}) =>
    https(`${service.url}${path}`, { method: 'POST', ...(ca !== undefined && { ca }), ...(body !== undefined && { body: body as object }), ...request });
  return {
    service,
    url: service.url,
    dataDir,
    ca,
    post,
    review: async (body, path = '/validate') => {
      const started = performance.now();
      const answer = await post(body, { path });
      return { ...admissionResponse(answer), elapsedMs: performance.now() - started };
    },
    get: (path) => https(`${service.url}${path}`, { ...(ca !== undefined && { ca }) }),
    event: async (id) => {
      if (id === undefined) return undefined;
      for (const waitUntil = Date.now() + 5_000; ; await new Promise((resolve) => setTimeout(resolve, 20))) {
        await service.outbox.flush();
        const event = await store.events.get(id);
        if (event !== undefined || Date.now() > waitUntil) return event;
      }
    },
    close: async () => {
      await service.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}


/** A rule document, defaults filled in as the API would. */
export function ruleOf(name: string, fields: Record<string, unknown> = {}): Rule {
  const checked = validateRule({ apiVersion: 'portcullis.dev/v1', kind: 'Rule', name, action: 'Deny', conditions: { severities: ['Critical'] }, ...fields }, name);
  if (!checked.rule) throw new Error(`rule ${name}: ${JSON.stringify(checked.problems)}`);
  return checked.rule;
}

export function findingsOf(severity: Severity, count: number, prefix = 'CVE-2024-1'): Finding[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `${prefix}${String(index).padStart(3, '0')}`,
    aliases: [],
    severity,
    cvss: { score: severity === 'Critical' ? 9.8 : 7.5, version: '3.1' },
    package: { name: `lib${index}`, version: '1.0.0', type: 'deb' },
    fixedVersion: `1.0.${index + 1}`,
    fixAvailable: true,
  }));
}

/**
 * A native scan of the image at `digests` (the first is the manifest digest), reported under
 * `tags` (normalized `registry/repository:tag`) when given: without tags, only a resolved digest
 * finds it.
 */
export function scanOf(digests: readonly string[], findings: readonly Finding[], tags: readonly string[] = []): ImageScan {
  return {
    source: { scanner: 'trivy' },
    scannedAt: new Date().toISOString(),
    ...(digests[0] !== undefined && { manifestDigest: digests[0] }),
    digests,
    repoTags: tags,
    repoDigests: [],
    artifactName: tags[0] ?? digests[0] ?? 'image',
    findings,
    warnings: [],
  };
}

/** Stores a scan as the API would. */
export async function putScan(store: Store, scan: ImageScan): Promise<void> {
  await store.scans.put(scan, createHash('sha256').update(JSON.stringify(scan)).digest('hex'), new Date().toISOString());
}

/** A sha256 digest of one repeated hex character. */
export function fakeDigest(hex: string): string {
  return `sha256:${hex.repeat(64).slice(0, 64)}`;
}
