// Tag → digest resolution for admission: a TTL cache (bounded, LRU) in front of the registry,
// and single-flight, so a burst of pods with the same image makes one registry lookup.
//
// - Only answers are cached. A failed or timed-out lookup is not: the next resolve tries again.
//   Callers that joined that lookup while it was in flight share its failure.
// - A caller's signal (its admission deadline) ends that caller's wait, not the lookup: other
//   callers may still be waiting for it, and its answer is cached for the next request. Each
//   lookup is bounded by its own timeout instead.
// - A reference pinned to a digest resolves to it without asking the registry, unless the caller
//   asks which platform manifest it stands for (`followIndex`: a pinned multi-arch index). A
//   digest's manifests never change, and a tag's lookup that found an index also answers for the
//   index's digest, so a tag pinned by the mutating step costs no second lookup.
// - resolve() never throws: what could not be resolved is `Unresolved`, with a reason.

import { formatImageReference, type ImageReference } from '../images/reference.js';
import { RegistryError, type RegistryErrorCode } from './errors.js';
import type { ManifestDigests, ManifestLookup } from './oci-client.js';
import { TtlCache } from './ttl-cache.js';

export type Resolution =
  | {
      readonly status: 'Resolved';
      /** What the reference names: its pinned digest, or the tag's manifest (the index for a multi-arch image). */
      readonly digest: string;
      /** Set when the tag names a multi-arch index (equal to `digest`). */
      readonly indexDigest?: string;
      /** The index's manifest for the resolver's platform (findings of either digest count). */
      readonly platformDigest?: string;
    }
  | { readonly status: 'Unresolved'; readonly code: UnresolvedCode; readonly reason: string };

/** A registry failure, or `deadline`: the caller's own deadline passed while it waited. */
export type UnresolvedCode = RegistryErrorCode | 'deadline' | 'error';

/** Where an answer came from: a pinned digest, the cache, a lookup already in flight, or a new lookup. */
export type ResolveSource = 'pinned' | 'cache' | 'joined' | 'lookup';

export interface ResolverStats {
  /** Answered from the cache. */
  readonly hits: number;
  /** Not in the cache: started a registry lookup. */
  readonly misses: number;
  /** Not in the cache: joined a lookup already in flight. */
  readonly coalesced: number;
  /** Registry lookups that failed (once per lookup, however many callers shared it). */
  readonly failures: number;
  /** Callers whose deadline passed before their lookup finished. */
  readonly abandoned: number;
  /** Lookups running now. */
  readonly inFlight: number;
  /** Entries in the cache now (expired ones included until they are read or pushed out). */
  readonly cached: number;
}

/** For metrics (e.g. Prometheus counters and a histogram); a hook that throws is ignored. */
export interface ResolverHooks {
  readonly onResolve?: (source: ResolveSource) => void;
  /** A registry lookup finished: `Resolved`, or why it failed. */
  readonly onLookup?: (outcome: 'Resolved' | UnresolvedCode, durationMs: number) => void;
  readonly onAbandoned?: () => void;
}

export interface DigestResolverOptions {
  /** Usually an OciClient (which fixes the platform that indexes are followed to). */
  readonly lookup: ManifestLookup;
  /** How long an answer is reused. Default 5 minutes. */
  readonly ttlMs?: number;
  /** The most tags kept; those not read for longest go first. Default 10,000. */
  readonly maxEntries?: number;
  /** Bounds each registry lookup, whoever waits for it. Default 10 s. */
  readonly lookupTimeoutMs?: number;
  /** Milliseconds since the epoch. Default Date.now. */
  readonly now?: () => number;
  readonly hooks?: ResolverHooks;
}

export interface ResolveOptions {
  /** The caller's deadline (e.g. the admission request's): aborting it ends this caller's wait. */
  readonly signal?: AbortSignal;
  /** The same as a signal that aborts after this many milliseconds. */
  readonly timeoutMs?: number;
  /** For a reference pinned to a digest: ask the registry whether it is an index, and for which platform manifest. */
  readonly followIndex?: boolean;
}

export const DEFAULT_RESOLVER_TTL_MS = 5 * 60_000;
export const DEFAULT_RESOLVER_MAX_ENTRIES = 10_000;
export const DEFAULT_LOOKUP_TIMEOUT_MS = 10_000;

const ABANDONED = Symbol('abandoned');

export class DigestResolver {
  private readonly lookup: ManifestLookup;
  private readonly cache: TtlCache<Resolution & { status: 'Resolved' }>;
  private readonly inFlight = new Map<string, Promise<Resolution>>();
  private readonly lookupTimeoutMs: number;
  private readonly now: () => number;
  private readonly hooks: ResolverHooks;
  private readonly counts = { hits: 0, misses: 0, coalesced: 0, failures: 0, abandoned: 0 };

  constructor(options: DigestResolverOptions) {
    this.lookup = options.lookup;
    this.cache = new TtlCache(options.ttlMs ?? DEFAULT_RESOLVER_TTL_MS, options.maxEntries ?? DEFAULT_RESOLVER_MAX_ENTRIES);
    this.lookupTimeoutMs = options.lookupTimeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
    this.hooks = options.hooks ?? {};
  }

  async resolve(ref: ImageReference, options: ResolveOptions = {}): Promise<Resolution> {
    if (ref.digest !== undefined && options.followIndex !== true) {
      this.emit(() => this.hooks.onResolve?.('pinned'));
      return { status: 'Resolved', digest: ref.digest };
    }
    if (ref.digest === undefined && ref.tag === undefined) {
      return { status: 'Unresolved', code: 'config', reason: `${formatImageReference(ref)} names neither a tag nor a digest` };
    }

    const key = ref.digest !== undefined ? digestKey(ref, ref.digest) : `${ref.registry}/${ref.repository}:${ref.tag}`;
    const cached = this.cache.get(key, this.now());
    if (cached !== undefined) {
      this.counts.hits++;
      this.emit(() => this.hooks.onResolve?.('cache'));
      return cached;
    }

    let lookup = this.inFlight.get(key);
    if (lookup === undefined) {
      this.counts.misses++;
      this.emit(() => this.hooks.onResolve?.('lookup'));
      // Started a microtask later, so it is registered before it can settle.
      lookup = Promise.resolve().then(() => this.runLookup(key, ref));
      this.inFlight.set(key, lookup);
    } else {
      this.counts.coalesced++;
      this.emit(() => this.hooks.onResolve?.('joined'));
    }

    const outcome = await untilDeadline(lookup, options);
    if (outcome !== ABANDONED) return outcome;
    this.counts.abandoned++;
    this.emit(() => this.hooks.onAbandoned?.());
    return {
      status: 'Unresolved',
      code: 'deadline',
      reason: `${formatImageReference(ref)} could not be resolved to a digest before the deadline (${ref.registry} has not answered yet)`,
    };
  }

  stats(): ResolverStats {
    return { ...this.counts, inFlight: this.inFlight.size, cached: this.cache.size };
  }

  /** Forgets every cached answer (lookups in flight still finish and are cached). */
  clear(): void {
    this.cache.clear();
  }

  private async runLookup(key: string, ref: ImageReference): Promise<Resolution> {
    const started = performance.now();
    // A timer cleared when the lookup ends (AbortSignal.timeout's would stay armed for the whole
    // timeout: thousands of them under load).
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new DOMException(`the lookup took longer than ${this.lookupTimeoutMs} ms`, 'TimeoutError')), this.lookupTimeoutMs);
    try {
      const found = await this.lookup.manifestDigests(ref, abort.signal);
      const resolution = resolutionOf(found);
      this.cache.set(key, resolution, this.now());
      // The index the tag names, pinned later (by the mutating step, say), is the same lookup.
      if (found.indexDigest !== undefined && ref.digest === undefined) this.cache.set(digestKey(ref, found.indexDigest), resolution, this.now());
      this.emit(() => this.hooks.onLookup?.('Resolved', performance.now() - started));
      return resolution;
    } catch (error) {
      this.counts.failures++;
      const failure = unresolvedOf(error, ref, this.lookupTimeoutMs);
      this.emit(() => this.hooks.onLookup?.(failure.code, performance.now() - started));
      return failure;
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(key);
    }
  }

  private emit(hook: () => void): void {
    try {
      hook();
    } catch {
      // Metrics must never change an admission answer.
    }
  }
}

function digestKey(ref: ImageReference, digest: string): string {
  return `${ref.registry}/${ref.repository}@${digest}`;
}

function resolutionOf(found: ManifestDigests): Resolution & { status: 'Resolved' } {
  return {
    status: 'Resolved',
    digest: found.digest,
    ...(found.indexDigest !== undefined && { indexDigest: found.indexDigest }),
    ...(found.platformDigest !== undefined && { platformDigest: found.platformDigest }),
  };
}

function unresolvedOf(error: unknown, ref: ImageReference, timeoutMs: number): Resolution & { status: 'Unresolved' } {
  const image = formatImageReference(ref);
  if (error instanceof RegistryError) {
    // Messages about the connection do not name the image; the others do.
    const reason =
      error.code === 'timeout'
        ? `${image}: ${error.host} did not answer within ${timeoutMs} ms`
        : error.code === 'unreachable' || error.code === 'aborted'
          ? `${image}: ${error.message}`
          : error.message;
    return { status: 'Unresolved', code: error.code, reason };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: 'Unresolved', code: 'error', reason: `${image} could not be resolved: ${message}` };
}

/** The promise's value, or ABANDONED as soon as the caller's signal aborts or its timeout passes. */
function untilDeadline<T>(promise: Promise<T>, { signal, timeoutMs }: ResolveOptions): Promise<T | typeof ABANDONED> {
  if (signal === undefined && timeoutMs === undefined) return promise;
  if (signal?.aborted) return Promise.resolve(ABANDONED);
  return new Promise((resolve, reject) => {
    const stopWatching = signal === undefined ? undefined : whenAborted(signal, () => settle(() => resolve(ABANDONED)));
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => settle(() => resolve(ABANDONED)), timeoutMs);
    function settle(finish: () => void): void {
      stopWatching?.();
      clearTimeout(timer);
      finish();
    }
    promise.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error instanceof Error ? error : new Error(String(error)))),
    );
  });
}

// One admission request resolves all its images under one deadline signal. A listener per
// resolve would pile up on it (and Node warns past 10), so each signal gets one listener that
// calls whoever waits on it now.
const waitersBySignal = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `onAbort` when `signal` aborts, until the returned function is called. */
function whenAborted(signal: AbortSignal, onAbort: () => void): () => void {
  let waiters = waitersBySignal.get(signal);
  if (waiters === undefined) {
    const created = new Set<() => void>();
    waiters = created;
    waitersBySignal.set(signal, created);
    signal.addEventListener(
      'abort',
      () => {
        for (const waiter of created) waiter();
        created.clear();
      },
      { once: true },
    );
  }
  const set = waiters;
  set.add(onAbort);
  return () => set.delete(onAbort);
}
