// How much heap each worker of a pool may take under a container's memory limit. (The pool itself
// runs in processes: see src/cli/webhook.test.ts.)
import { expect, test } from 'vitest';
import { workerHeapMiB } from './worker-pool.js';

const GiB = 1024 ** 3;

test('under a memory limit, each worker gets three quarters of its share', () => {
  // install --workers 2: a 1 GiB limit for the container, on a 16 GiB node.
  expect(workerHeapMiB(2, 1 * GiB, 16 * GiB, [])).toBe(384);
  expect(workerHeapMiB(4, 2 * GiB, 16 * GiB, [])).toBe(384);
  // A limit too small to share still leaves each worker a heap to start with.
  expect(workerHeapMiB(8, 256 * 1024 ** 2, 16 * GiB, [])).toBe(64);
});

test('no limit (none, or not below the machine), or a heap limit set already: V8 decides', () => {
  expect(workerHeapMiB(2, 0, 16 * GiB, [])).toBeUndefined();
  // What process.constrainedMemory() answers with no cgroup limit.
  expect(workerHeapMiB(2, 2 ** 64, 16 * GiB, [])).toBeUndefined();
  expect(workerHeapMiB(2, 16 * GiB, 16 * GiB, [])).toBeUndefined();
  expect(workerHeapMiB(2, 1 * GiB, 16 * GiB, ['--max-old-space-size=300'])).toBeUndefined();
  expect(workerHeapMiB(2, 1 * GiB, 16 * GiB, ['', '--max_old_space_size=300'])).toBeUndefined();
});
