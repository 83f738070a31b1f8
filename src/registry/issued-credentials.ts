// Credentials a cloud issued, kept by key (a region, a registry, an identity) for the credential
// helpers: one fetch however many lookups ask at once, renewed in the background before they
// expire, a failure never kept.
import { RegistryError, fromFetchFailure, type RegistryErrorCode } from './errors.js';
import type { RegistryCredential } from './hosts.js';

/** Credentials a cloud issued, and for how long from now they hold. */
export interface Issued {
  readonly credential: RegistryCredential;
  readonly lifetimeMs: number;
}

interface Kept {
  readonly credential: RegistryCredential;
  /** Milliseconds since the epoch: at nine tenths of the lifetime, new ones are fetched… */
  readonly refreshAt: number;
  /** …while these still serve, until they expire. */
  readonly expiresAt: number;
}

/** How a fetch from the cloud ended: issued, or the failure's code (for a metric: renewals fail unseen while the old still serve). */
export type FetchOutcome = 'issued' | RegistryErrorCode;

/**
 * Issued credentials by key (a region, a registry, an identity), each fetched once however many
 * lookups ask at once; a fetch that fails is not kept. At nine tenths of their lifetime new ones
 * are fetched in the background while the old still serve, so no admission waits on the cloud
 * for a renewal; only the first lookup, or one after they expired, does. A fetch goes on when the
 * lookup that started it gives up (its deadline): the next lookups use what it brings.
 */
export class IssuedCredentials {
  private readonly kept = new Map<string, Kept>();
  private readonly fetching = new Map<string, Promise<Issued>>();

  constructor(
    private readonly now: () => number,
    private readonly onFetch: (outcome: FetchOutcome) => void = () => undefined,
  ) {}

  async get(key: string, fetch: () => Promise<Issued>, host: string, signal: AbortSignal): Promise<RegistryCredential> {
    const kept = this.kept.get(key);
    const now = this.now();
    if (kept !== undefined && now < kept.refreshAt) return kept.credential;
    const fetching = this.fetching.get(key) ?? this.start(key, fetch);
    if (kept !== undefined && now < kept.expiresAt) {
      // Renewing: a failure is retried by the next lookup, and said once these expire.
      fetching.catch(() => undefined);
      return kept.credential;
    }
    return (await untilAborted(fetching, signal, host)).credential;
  }

  private start(key: string, fetch: () => Promise<Issued>): Promise<Issued> {
    const fetching = fetch().finally(() => this.fetching.delete(key));
    this.fetching.set(key, fetching);
    fetching.then(
      ({ credential, lifetimeMs }) => {
        const at = this.now();
        const lifetime = Math.max(0, lifetimeMs);
        this.kept.set(key, { credential, refreshAt: at + lifetime * 0.9, expiresAt: at + lifetime });
        this.onFetch('issued');
      },
      (error: unknown) => this.onFetch(error instanceof RegistryError ? error.code : 'bad-response'),
    );
    return fetching;
  }
}

/** The shared fetch, given up on by this lookup alone when its own signal aborts. */
export function untilAborted<T>(shared: Promise<T>, signal: AbortSignal, host: string): Promise<T> {
  if (signal.aborted) return Promise.reject(fromFetchFailure(signal.reason, host, signal));
  return new Promise<T>((resolve, reject) => {
    const abandon = () => reject(fromFetchFailure(signal.reason, host, signal));
    signal.addEventListener('abort', abandon, { once: true });
    shared.then(resolve, reject).finally(() => signal.removeEventListener('abort', abandon));
  });
}
