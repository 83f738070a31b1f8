// IssuedCredentials, the cache every cloud's credential helper keeps its credentials in: one
// fetch for many askers, renewal in the background while the old ones serve, failures not kept,
// a lookup that gives up leaving the fetch to the next.
import { describe, expect, test } from 'vitest';
import { until } from '../../test/support/until.js';
import { RegistryError } from './errors.js';
import { IssuedCredentials, type Issued } from './issued-credentials.js';

const HOST = 'registry.example.com';
const signal = () => AbortSignal.timeout(5_000);

/** A fetch the test answers by hand, counting calls. */
function fetches() {
  const pending: { resolve: (issued: Issued) => void; reject: (error: Error) => void }[] = [];
  return {
    pending,
    fetch: () => new Promise<Issued>((resolve, reject) => void pending.push({ resolve, reject })),
    issue: (password: string, lifetimeMs = 1_000_000) => pending.shift()?.resolve({ credential: { username: 'u', password }, lifetimeMs }),
    fail: (message: string) => pending.shift()?.reject(new RegistryError('unauthorized', message, HOST)),
  };
}

describe('IssuedCredentials', () => {
  test('one fetch however many ask at once; kept until nine tenths of its lifetime', async () => {
    let now = 0;
    const cache = new IssuedCredentials(() => now);
    const { fetch, issue, pending } = fetches();
    const asked = Promise.all([1, 2, 3].map(() => cache.get('k', fetch, HOST, signal())));
    await until(() => pending.length === 1, 'the fetch');
    issue('first');
    expect((await asked).map((c) => c.password)).toEqual(['first', 'first', 'first']);
    now = 899_999;
    expect((await cache.get('k', fetch, HOST, signal())).password).toBe('first');
    expect(pending).toHaveLength(0);
  });

  /** A cache holding `first` (issued at 0 for 1,000 s), and its clock. */
  async function holdingFirst() {
    const clock = { now: 0 };
    const cache = new IssuedCredentials(() => clock.now);
    const fetching = fetches();
    const first = cache.get('k', fetching.fetch, HOST, signal());
    await until(() => fetching.pending.length === 1, 'the fetch');
    fetching.issue('first');
    await first;
    return { clock, cache, ...fetching };
  }

  test('from nine tenths on, renewed in the background: the old serves at once until the new is there', async () => {
    const { clock, cache, fetch, issue, pending } = await holdingFirst();
    clock.now = 950_000;
    expect((await cache.get('k', fetch, HOST, signal())).password).toBe('first');
    expect((await cache.get('k', fetch, HOST, signal())).password).toBe('first');
    expect(pending).toHaveLength(1);
    issue('second');
    await until(async () => (await cache.get('k', fetch, HOST, signal())).password === 'second', 'the renewed credentials');
  });

  test('a renewal that fails: the old still serve until they expire, then the next fetch is waited for, and its failure said', async () => {
    const { clock, cache, fetch, fail, pending } = await holdingFirst();
    clock.now = 950_000;
    expect((await cache.get('k', fetch, HOST, signal())).password).toBe('first');
    fail('refused');
    await until(async () => (await cache.get('k', fetch, HOST, signal()), pending.length === 1), 'a renewal tried again');
    clock.now = 1_000_000;
    const waiting = cache.get('k', fetch, HOST, signal());
    fail('refused again');
    await expect(waiting).rejects.toThrow('refused again');
  });

  test('each fetch is told: issued, or the code of its failure, a failed background renewal too', async () => {
    const clock = { now: 0 };
    const outcomes: string[] = [];
    const cache = new IssuedCredentials(() => clock.now, (outcome) => outcomes.push(outcome));
    const { fetch, issue, fail, pending } = fetches();
    const first = cache.get('k', fetch, HOST, signal());
    await until(() => pending.length === 1, 'the fetch');
    issue('first');
    await first;
    clock.now = 950_000;
    await cache.get('k', fetch, HOST, signal());
    fail('refused');
    await until(() => outcomes.length === 2, 'the renewal told');
    expect(outcomes).toEqual(['issued', 'unauthorized']);
  });

  test('a lookup that gives up leaves the fetch to the next; keys are apart', async () => {
    const cache = new IssuedCredentials(() => 0);
    const { fetch, issue, pending } = fetches();
    const error = await cache.get('k', fetch, HOST, AbortSignal.timeout(20)).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'timeout' });
    const next = cache.get('k', fetch, HOST, signal());
    const other = cache.get('other', fetch, HOST, signal());
    expect(pending).toHaveLength(2);
    issue('for k');
    issue('for other');
    expect((await next).password).toBe('for k');
    expect((await other).password).toBe('for other');
  });
});
