// The resolver's cache and single-flight rules, against a scripted lookup (the same rules
// against a real registry are in resolver.registry.test.ts).
import { describe, expect, test } from 'vitest';
import { parseImageReference, type ImageReference } from '../images/reference.js';
import { RegistryError, fromFetchFailure } from './errors.js';
import type { ManifestDigests, ManifestLookup } from './oci-client.js';
import { DigestResolver, type ResolveSource } from './resolver.js';

const digest = (c: string): string => `sha256:${c.repeat(64)}`;

/** A lookup whose answers the test hands out one by one. */
class ScriptedLookup implements ManifestLookup {
  readonly calls: { ref: ImageReference; signal: AbortSignal; answer: (value: ManifestDigests) => void; fail: (error: Error) => void }[] = [];

  manifestDigests(ref: ImageReference, signal: AbortSignal): Promise<ManifestDigests> {
    return new Promise((answer, fail) => this.calls.push({ ref, signal, answer, fail }));
  }

  last(): (typeof this.calls)[number] {
    const call = this.calls.at(-1);
    if (call === undefined) throw new Error('no lookup was made');
    return call;
  }
}

/** A lookup that answers at once, every time. */
const answering = (answer: ManifestDigests): ManifestLookup & { calls: number } => ({
  calls: 0,
  manifestDigests() {
    this.calls++;
    return Promise.resolve(answer);
  },
});

const clock = (): { now: () => number; advance: (ms: number) => void } => {
  let time = 1_700_000_000_000;
  return { now: () => time, advance: (ms) => (time += ms) };
};

const nginx = parseImageReference('nginx:1.27');
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('a reference pinned to a digest resolves to it without a lookup', async () => {
  const lookup = answering({ digest: digest('a'), mediaType: 'x' });
  const resolver = new DigestResolver({ lookup });
  expect(await resolver.resolve(parseImageReference(`nginx:1.27@${digest('b')}`))).toEqual({ status: 'Resolved', digest: digest('b') });
  expect(lookup.calls).toBe(0);
});

test('followIndex: a pinned digest is looked up once for its platform manifest; a tag that found the index answers for it', async () => {
  const index = { digest: digest('e'), mediaType: 'application/vnd.oci.image.index.v1+json', indexDigest: digest('e'), platformDigest: digest('f') };
  const expected = { status: 'Resolved', digest: digest('e'), indexDigest: digest('e'), platformDigest: digest('f') };
  const pinned = parseImageReference(`registry.example/shop/web@${digest('e')}`);

  const byDigest = answering(index);
  const fresh = new DigestResolver({ lookup: byDigest });
  expect(await fresh.resolve(pinned, { followIndex: true })).toEqual(expected);
  expect(await fresh.resolve(pinned, { followIndex: true })).toEqual(expected);
  expect(byDigest.calls).toBe(1);

  const byTag = answering(index);
  const warm = new DigestResolver({ lookup: byTag });
  expect(await warm.resolve(parseImageReference('registry.example/shop/web:2.0'))).toEqual(expected);
  expect(await warm.resolve(pinned, { followIndex: true })).toEqual(expected);
  // Another repository's same digest is another question.
  await warm.resolve(parseImageReference(`registry.example/other/web@${digest('e')}`), { followIndex: true });
  expect(byTag.calls).toBe(2);
});

test('1,000 concurrent resolves of one tag make one lookup and all get its answer', async () => {
  const lookup = new ScriptedLookup();
  const resolver = new DigestResolver({ lookup });
  const pending = Array.from({ length: 1_000 }, () => resolver.resolve(nginx));
  await flush();
  expect(lookup.calls).toHaveLength(1);
  lookup.last().answer({ digest: digest('1'), mediaType: 'index', indexDigest: digest('1'), platformDigest: digest('2') });
  const answers = await Promise.all(pending);
  expect(new Set(answers.map((answer) => JSON.stringify(answer)))).toEqual(
    new Set([JSON.stringify({ status: 'Resolved', digest: digest('1'), indexDigest: digest('1'), platformDigest: digest('2') })]),
  );
  // Cached twice: for the tag, and for the index's digest it named (a reference pinned to it later).
  expect(resolver.stats()).toMatchObject({ misses: 1, coalesced: 999, hits: 0, inFlight: 0, cached: 2 });
});

test('an answer is reused until its TTL has passed', async () => {
  const time = clock();
  const lookup = answering({ digest: digest('1'), mediaType: 'm' });
  const resolver = new DigestResolver({ lookup, ttlMs: 60_000, now: time.now });
  await resolver.resolve(nginx);
  time.advance(59_999);
  await resolver.resolve(nginx);
  expect(lookup.calls).toBe(1);
  time.advance(1);
  await resolver.resolve(nginx);
  expect(lookup.calls).toBe(2);
});

test('tags, repositories and registries are cached apart', async () => {
  const lookup = answering({ digest: digest('1'), mediaType: 'm' });
  const resolver = new DigestResolver({ lookup });
  for (const ref of ['nginx:1.27', 'nginx:1.26', 'bitnami/nginx:1.27', 'ghcr.io/library/nginx:1.27', 'nginx:1.27']) {
    await resolver.resolve(parseImageReference(ref));
  }
  expect(lookup.calls).toBe(4);
});

describe('failures are never cached', () => {
  test('callers that joined a failing lookup share its failure; the next resolve tries again', async () => {
    const lookup = new ScriptedLookup();
    const resolver = new DigestResolver({ lookup });
    const first = resolver.resolve(nginx);
    const second = resolver.resolve(nginx);
    await flush();
    lookup.last().fail(new RegistryError('unreachable', 'cannot reach registry-1.docker.io: ECONNREFUSED', 'docker.io'));
    const failure = { status: 'Unresolved', code: 'unreachable', reason: 'docker.io/library/nginx:1.27: cannot reach registry-1.docker.io: ECONNREFUSED' };
    expect(await first).toEqual(failure);
    expect(await second).toEqual(failure);

    const third = resolver.resolve(nginx);
    await flush();
    expect(lookup.calls).toHaveLength(2);
    lookup.last().answer({ digest: digest('1'), mediaType: 'm' });
    expect(await third).toEqual({ status: 'Resolved', digest: digest('1') });
    expect(resolver.stats()).toMatchObject({ misses: 2, coalesced: 1, failures: 1, cached: 1 });
  });

  test('a lookup that passes its own timeout is Unresolved(timeout), and the next resolve tries again', async () => {
    let calls = 0;
    const hanging: ManifestLookup = {
      manifestDigests: (_ref, signal) =>
        new Promise((_answer, fail) => {
          calls++;
          signal.addEventListener('abort', () => fail(fromFetchFailure(signal.reason, 'registry-1.docker.io', signal)));
        }),
    };
    const resolver = new DigestResolver({ lookup: hanging, lookupTimeoutMs: 50 });
    expect(await resolver.resolve(nginx)).toEqual({
      status: 'Unresolved',
      code: 'timeout',
      reason: 'docker.io/library/nginx:1.27: registry-1.docker.io did not answer within 50 ms',
    });
    await resolver.resolve(nginx);
    expect(calls).toBe(2);
  });

  test('an unexpected exception from the lookup is Unresolved(error), not a rejection', async () => {
    const broken: ManifestLookup = {
      manifestDigests: () => {
        throw new Error('boom');
      },
    };
    expect(await new DigestResolver({ lookup: broken }).resolve(nginx)).toEqual({
      status: 'Unresolved',
      code: 'error',
      reason: 'docker.io/library/nginx:1.27 could not be resolved: boom',
    });
  });
});

describe("the caller's deadline", () => {
  test('ends its wait with Unresolved(deadline); the lookup goes on and its answer is cached', async () => {
    const lookup = new ScriptedLookup();
    const resolver = new DigestResolver({ lookup });
    const caller = new AbortController();
    const waiting = resolver.resolve(nginx, { signal: caller.signal });
    const patient = resolver.resolve(nginx);
    await flush();
    caller.abort();
    expect(await waiting).toMatchObject({ status: 'Unresolved', code: 'deadline', reason: expect.stringMatching(/before the deadline/) });
    expect(lookup.last().signal.aborted).toBe(false);

    lookup.last().answer({ digest: digest('1'), mediaType: 'm' });
    expect(await patient).toEqual({ status: 'Resolved', digest: digest('1') });
    expect(await resolver.resolve(nginx, { signal: AbortSignal.abort() })).toEqual({ status: 'Resolved', digest: digest('1') });
    expect(lookup.calls).toHaveLength(1);
    expect(resolver.stats()).toMatchObject({ abandoned: 1, hits: 1 });
  });

  test('one signal shared by many resolves (one admission request, many images) ends them all, without a listener each', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): number => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const lookup = new ScriptedLookup();
      const resolver = new DigestResolver({ lookup });
      const request = new AbortController();
      const pending = Array.from({ length: 50 }, (_, n) => resolver.resolve(parseImageReference(`app:${n}`), { signal: request.signal }));
      await flush();
      request.abort();
      const answers = await Promise.all(pending);
      expect(answers.every((answer) => answer.status === 'Unresolved' && answer.code === 'deadline')).toBe(true);
      await flush();
      expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('timeoutMs works like a signal that aborts after that long', async () => {
    const lookup = new ScriptedLookup();
    const resolver = new DigestResolver({ lookup });
    const started = performance.now();
    expect(await resolver.resolve(nginx, { timeoutMs: 30 })).toMatchObject({ status: 'Unresolved', code: 'deadline' });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  test('an already aborted signal still answers from the cache, and otherwise does not wait', async () => {
    const lookup = new ScriptedLookup();
    const resolver = new DigestResolver({ lookup });
    expect(await resolver.resolve(nginx, { signal: AbortSignal.abort() })).toMatchObject({ status: 'Unresolved', code: 'deadline' });
  });
});

test('a full cache drops the least recently used tag', async () => {
  const lookup = answering({ digest: digest('1'), mediaType: 'm' });
  const resolver = new DigestResolver({ lookup, maxEntries: 2 });
  const [a, b, c] = ['app:a', 'app:b', 'app:c'].map((ref) => parseImageReference(ref)) as [ImageReference, ImageReference, ImageReference];
  await resolver.resolve(a);
  await resolver.resolve(b);
  await resolver.resolve(a); // a is now the most recently used
  await resolver.resolve(c); // pushes b out
  expect(lookup.calls).toBe(3);
  await resolver.resolve(a);
  expect(lookup.calls).toBe(3);
  await resolver.resolve(b);
  expect(lookup.calls).toBe(4);
  expect(resolver.stats().cached).toBe(2);
});

test('hooks see every source and lookup outcome, and one that throws changes nothing', async () => {
  const sources: ResolveSource[] = [];
  const lookups: string[] = [];
  const lookup = new ScriptedLookup();
  const resolver = new DigestResolver({
    lookup,
    hooks: {
      onResolve: (source) => {
        sources.push(source);
        throw new Error('a broken metrics hook');
      },
      onLookup: (outcome, durationMs) => {
        expect(durationMs).toBeGreaterThanOrEqual(0);
        lookups.push(outcome);
      },
    },
  });
  const first = resolver.resolve(nginx);
  const second = resolver.resolve(nginx);
  await flush();
  lookup.last().answer({ digest: digest('1'), mediaType: 'm' });
  await Promise.all([first, second]);
  await resolver.resolve(nginx);
  await resolver.resolve(parseImageReference(`nginx@${digest('2')}`));
  expect(sources).toEqual(['lookup', 'joined', 'cache', 'pinned']);
  expect(lookups).toEqual(['Resolved']);
  expect(await first).toEqual({ status: 'Resolved', digest: digest('1') });
});
