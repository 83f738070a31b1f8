// The `portcullis` binary as a real process, run from the TypeScript sources, for tests of the
// long-running commands (serve, webhook): what they print, signals, restarts.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ENTRY = join(import.meta.dirname, '../../../test/support/portcullis.ts');

export interface PortcullisProcess {
  readonly child: ChildProcess;
  stderr(): string;
  stdout(): string;
  readonly exited: Promise<number | null>;
  /** Resolves with the first match of `pattern` in stderr; rejects when the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends the signal (once) and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<PortcullisProcess>();

export function spawnPortcullis(args: readonly string[], env: Record<string, string> = {}): PortcullisProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], { env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const listener of listeners) listener();
  });
  // 'close', not 'exit': the process's output is then read to the end.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const started: PortcullisProcess = {
    child,
    stderr: () => stderr,
    stdout: () => stdout,
    exited,
    waitFor: (pattern, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(stderr);
          if (!match) return;
          finish();
          resolve(match);
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`portcullis ${args[0]} did not print ${pattern} in ${timeoutMs} ms:\n${stderr}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        void exited.then((code) => {
          finish();
          reject(new Error(`portcullis ${args[0]} exited with ${code} before printing ${pattern}:\n${stderr}\n${stdout}`));
        });
        check();
      }),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      running.delete(started);
      return code;
    },
  };
  running.add(started);
  void exited.then(() => running.delete(started));
  return started;
}

/** Kills whatever a failed test left running. */
export async function killLeftovers(): Promise<void> {
  for (const started of [...running]) await started.stop('SIGKILL');
}

/** The CA a self-signed webhook printed (its caBundle line, base64), as PEM. */
export function printedCa(stderr: string): string | undefined {
  const line = /\(caBundle\):\n {2}([A-Za-z0-9+/=]+)/.exec(stderr)?.[1];
  return line === undefined ? undefined : Buffer.from(line, 'base64').toString('utf8');
}
