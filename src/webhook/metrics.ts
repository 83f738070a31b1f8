// What the webhook counts for Prometheus: decisions, how long answers take, how digests were
// found, and what could not be resolved. Its own registry: a webhook and a control plane in one
// process (serve) each scrape their own.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ResolverHooks } from '../registry/resolver.js';
import type { EvidenceCacheState } from '../sensor/local-snapshot.js';

export class WebhookMetrics {
  readonly registry = new Registry();
  readonly decisions = new Counter({
    name: 'portcullis_admission_decisions_total',
    help: 'Admission requests answered, by endpoint and decision (Skipped: not evaluated, e.g. not pod-bearing).',
    labelNames: ['endpoint', 'decision', 'dry_run'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'portcullis_admission_duration_seconds',
    help: 'Time from a review received to its answer sent, by endpoint.',
    labelNames: ['endpoint'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  readonly badReviews = new Counter({ name: 'portcullis_admission_bad_reviews_total', help: 'Reviews refused with 400 (malformed, not v1).', registers: [this.registry] });
  readonly digestLookups = new Counter({
    name: 'portcullis_digest_resolutions_total',
    help: 'Tag resolutions by where the digest came from: pinned, cache (hit), joined (a lookup in flight), lookup (a registry request).',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly digestFailures = new Counter({
    name: 'portcullis_digest_resolution_failures_total',
    help: 'Registry lookups that did not resolve, by reason (unreachable, timeout, unauthorized, …).',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly registryLatency = new Histogram({
    name: 'portcullis_registry_lookup_seconds',
    help: 'Registry lookups, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  readonly credentialFetches = new Counter({
    name: 'portcullis_registry_credential_fetches_total',
    help: "Credentials fetched from a cloud for its registries (--registry-credential-helpers), by helper and outcome: issued, or why not (config: no identity; unauthorized; unreachable; timeout; …).",
    labelNames: ['helper', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly eventsLate = new Counter({
    name: 'portcullis_admission_answered_before_recorded_total',
    help: 'Answers sent at the deadline before their event was written to the outbox (it is written when the outbox can).',
    registers: [this.registry],
  });
  readonly eventsUnrecorded = new Counter({
    name: 'portcullis_admission_events_lost_total',
    help: 'Events of answers sent at the deadline whose write to the outbox then failed.',
    registers: [this.registry],
  });
  readonly eventsHandedOver = new Counter({
    name: 'portcullis_outbox_handed_over_events_total',
    help: 'Admission events other replicas handed to this one as they stopped (the control plane away), kept in its outbox.',
    registers: [this.registry],
  });
  readonly outboxPending = new Gauge({ name: 'portcullis_outbox_pending_events', help: 'Admission events recorded and not yet delivered to the control plane.', registers: [this.registry] });
  readonly outboxRejected = new Gauge({
    name: 'portcullis_outbox_rejected_events',
    help: 'Admission events the control plane refused for what they are, set aside in the outbox and tried again every few hours.',
    registers: [this.registry],
  });
  readonly snapshotReads = new Histogram({
    name: 'portcullis_snapshot_read_seconds',
    help: "Reads of the snapshot's file for what memory does not hold (an image's findings, the image a tag names), from asked to answered, by outcome: the disk's share of admission latency.",
    labelNames: ['outcome'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
    registers: [this.registry],
  });
  // max: a worker pool's /metrics says 1 when any worker is stale.
  readonly snapshotStale = new Gauge({ name: 'portcullis_snapshot_stale', help: '1 while the webhook decides from its last-known-good snapshot because syncing fails.', registers: [this.registry], aggregator: 'max' });
  // Read at each scrape (and at each gathering of a pool's metrics) from the snapshot.
  readonly evidenceCacheImages: Gauge = new Gauge({
    name: 'portcullis_evidence_cache_images',
    help: "Images whose findings are kept built in memory (the snapshot's evidence cache).",
    registers: [this.registry],
    collect: (): void => this.evidenceCacheImages.set(this.evidenceCache?.().images ?? 0),
  });
  readonly evidenceCacheBytes: Gauge = new Gauge({
    name: 'portcullis_evidence_cache_bytes',
    help: 'What the evidence cache takes on the heap, estimated; bounded by --evidence-cache-mib.',
    registers: [this.registry],
    collect: (): void => this.evidenceCacheBytes.set(this.evidenceCache?.().bytes ?? 0),
  });
  readonly evidenceCacheLookups: Counter<'result'> = new Counter({
    name: 'portcullis_evidence_cache_lookups_total',
    help: "Images admission asked the snapshot about, by whether the evidence cache had them (hit) or their findings were read from disk (miss): many misses at a steady load say --evidence-cache-mib is too small.",
    labelNames: ['result'],
    registers: [this.registry],
    collect: (): void => {
      const state = this.evidenceCache?.();
      if (state === undefined) return;
      // The snapshot counts (a number each, on the admission path); a scrape adds what it counted
      // since the last (all it counted, should it be a snapshot opened since).
      const seen = this.evidenceLookupsSeen;
      this.evidenceCacheLookups.inc({ result: 'hit' }, state.hits >= seen.hits ? state.hits - seen.hits : state.hits);
      this.evidenceCacheLookups.inc({ result: 'miss' }, state.misses >= seen.misses ? state.misses - seen.misses : state.misses);
      this.evidenceLookupsSeen = { hits: state.hits, misses: state.misses };
    },
  });
  private evidenceLookupsSeen = { hits: 0, misses: 0 };
  private evidenceCache: (() => EvidenceCacheState) | undefined;

  /** The text /metrics answers: this registry's, or a worker pool's gathered from every worker (see poolMetrics). */
  private exposition: () => Promise<string> = () => this.registry.metrics();

  /** Where the evidence cache gauges read from. */
  observeEvidenceCache(read: () => EvidenceCacheState): void {
    this.evidenceCache = read;
  }

  constructor(collectProcess = false) {
    if (collectProcess) collectDefaultMetrics({ register: this.registry, prefix: 'portcullis_webhook_' });
  }

  text(): Promise<string> {
    return this.exposition();
  }

  /** Answers /metrics with another text (a worker pool's), in the same format. */
  exposeWith(exposition: () => Promise<string>): void {
    this.exposition = exposition;
  }

  resolverHooks(): ResolverHooks {
    return {
      onResolve: (source) => this.digestLookups.inc({ source }),
      onLookup: (outcome, durationMs) => {
        this.registryLatency.observe({ outcome: outcome === 'Resolved' ? 'resolved' : 'failed' }, durationMs / 1000);
        if (outcome !== 'Resolved') this.digestFailures.inc({ code: outcome });
      },
    };
  }
}
