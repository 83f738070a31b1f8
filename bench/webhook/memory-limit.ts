// `--memory-limit <MiB>`: the benchmark's webhook runs in a memory cgroup of that size, as in a
// pod with that memory limit. V8 then sizes its heap from the limit (half of it), as it does in
// the pod, and the kernel charges the page cache the process brings in against it (pages of the
// snapshot already cached by an earlier run stay charged to whoever read them first). Needs root and a cgroup
// file system with the memory controller (v2's memory.max, or v1's memory.limit_in_bytes).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';

export interface MemoryCgroup {
  readonly limitMiB: number;
  /** The command and arguments that run `command` inside the cgroup. */
  wrap(command: string, args: readonly string[]): [string, string[]];
  /** The most charged to the cgroup since it was made (the page cache it brought in included), when the kernel says. */
  peakBytes(): number | undefined;
  /** Processes the kernel killed for the limit. */
  oomKills(): number;
  /** Removes the cgroup; its processes must have ended. */
  remove(): void;
}

export function memoryCgroup(limitMiB: number): MemoryCgroup {
  const bytes = String(limitMiB * 1_048_576);
  const name = `portcullis-bench-${process.pid}`;
  const v2 = existsSync(join(ROOT, 'cgroup.controllers'));
  const dir = v2 ? join(ROOT, name) : join(ROOT, 'memory', name);
  try {
    if (v2) {
      if (!readFileSync(join(ROOT, 'cgroup.subtree_control'), 'utf8').includes('memory')) writeFileSync(join(ROOT, 'cgroup.subtree_control'), '+memory');
      mkdirSync(dir);
      writeFileSync(join(dir, 'memory.max'), bytes);
      // No swap: as in a pod, past the limit is the OOM killer.
      if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
    } else {
      mkdirSync(dir);
      writeFileSync(join(dir, 'memory.limit_in_bytes'), bytes);
    }
  } catch (error) {
    throw new Error(`--memory-limit needs root and a cgroup file system with the memory controller at ${ROOT}: ${(error as Error).message}`);
  }
  const read = (file: string): string | undefined => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : undefined);
  return {
    limitMiB,
    // The shell joins the cgroup, then becomes the command: the command's own pid is in it from its start.
    wrap: (command, args) => ['sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, command, ...args]],
    peakBytes: () => {
      const text = read(v2 ? 'memory.peak' : 'memory.max_usage_in_bytes');
      return text === undefined ? undefined : Number(text.trim());
    },
    oomKills: () => Number(/oom_kill (\d+)/.exec(read(v2 ? 'memory.events' : 'memory.oom_control') ?? '')?.[1] ?? 0),
    remove: () => {
      try {
        rmdirSync(dir);
      } catch {
        // A process still in it (killed, not yet reaped): the kernel keeps the group until it goes.
      }
    },
  };
}
