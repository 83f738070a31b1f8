// A module started in a worker thread, from source (.ts through tsx, as under vitest) and compiled (.js).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, test } from 'vitest';
import { startModuleWorker } from './module-worker.js';

const workers: Worker[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.terminate();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function firstMessage(worker: Worker): Promise<unknown> {
  workers.push(worker);
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-module-worker-'));
  dirs.push(dir);
  return dir;
}

describe('startModuleWorker', () => {
  test('from source: the .ts module beside the caller runs in the thread, with its workerData and TypeScript imports', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    // A TypeScript module (type annotations, an import without a compiled file) beside a .ts caller.
    writeFileSync(join(dir, 'helper.ts'), 'export const twice = (n: number): number => n * 2;\n');
    writeFileSync(join(dir, 'echo.ts'), "import { parentPort, workerData } from 'node:worker_threads';\nimport { twice } from './helper.js';\nparentPort?.postMessage(twice(workerData as number));\n");
    const worker = startModuleWorker(pathToFileURL(join(dir, 'caller.ts')).href, 'echo', { workerData: 21 });
    expect(await firstMessage(worker)).toBe(42);
  });

  test('compiled: the .js module beside a .js caller runs as it is', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    writeFileSync(join(dir, 'echo.js'), "import { parentPort, workerData } from 'node:worker_threads';\nparentPort.postMessage(`js ${workerData}`);\n");
    const worker = startModuleWorker(pathToFileURL(join(dir, 'caller.js')).href, 'echo', { workerData: 'ran' });
    expect(await firstMessage(worker)).toBe('js ran');
  });

  test.each(['ts', 'js'])('a module that fails to load is the worker’s error event (%s)', async (extension) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    writeFileSync(join(dir, `broken.${extension}`), "import './missing.js';\n");
    const worker = startModuleWorker(pathToFileURL(join(dir, `caller.${extension}`)).href, 'broken');
    await expect(firstMessage(worker)).rejects.toThrow(/missing\.js/);
  });
});
