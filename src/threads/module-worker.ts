// A worker thread running one of our modules. Compiled (dist/), the module is a .js file beside
// its caller. From source (tests, benchmarks, `node --import tsx`), it is a .ts file, and a
// worker thread does not inherit the TypeScript loader under every runner (vitest's does not):
// a small bootstrap registers tsx in the thread, then imports the module.
import { extname } from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

// Plain CommonJS run with `eval`. An error while loading is thrown outside the promise, so the
// parent sees it as the worker's 'error' event, as it would for a .js module.
const BOOTSTRAP = `
const [moduleUrl, tsxUrl] = process.argv.slice(-2);
import(tsxUrl)
  .then(({ register }) => { register(); return import(moduleUrl); })
  .catch((error) => process.nextTick(() => { throw error; }));
`;

/**
 * Starts `name` (a module beside `caller`, without extension) in a worker thread.
 * `caller`: the calling module's `import.meta.url`.
 */
export function startModuleWorker(caller: string, name: string, options: Omit<WorkerOptions, 'eval' | 'argv'> = {}): Worker {
  const extension = extname(new URL(caller).pathname);
  const module = new URL(`./${name}${extension}`, caller);
  if (extension !== '.ts') return new Worker(module, options);
  return new Worker(BOOTSTRAP, { ...options, eval: true, argv: [module.href, import.meta.resolve('tsx/esm/api')] });
}
