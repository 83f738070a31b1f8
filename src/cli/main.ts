// The `portcullis` command: one file per verb; this file only wires them together.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { formatProblem, InputError } from '../problems.js';
import { registerEvaluate } from './evaluate.js';
import { registerEvents } from './events.js';
import { registerInstall } from './install.js';
import { registerOutbox } from './outbox.js';
import { registerRules } from './rules.js';
import { registerScans } from './scans.js';
import { registerServe } from './serve.js';
import { registerTokens } from './tokens.js';
import { registerWebhook } from './webhook.js';
import { EXIT } from './exit-codes.js';

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => string;
  /** Whether stderr is a terminal (progress bars are drawn only there). */
  readonly stderrIsTerminal?: boolean;
}

export const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  // `-f -` is read once, before anything is evaluated.
  readStdin: () => readFileSync(0, 'utf8'),
  stderrIsTerminal: process.stderr.isTTY,
};

/** Runs the CLI with arguments (without `node` and the script) and answers the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('portcullis')
    .description('Gated deployment for Kubernetes: admit, audit or deny workloads by the vulnerability scans of their images.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');

  registerEvaluate(program, io, (code) => (exitCode = code));
  registerServe(program, io);
  registerRules(program, io);
  registerTokens(program, io);
  registerScans(program, io);
  registerEvents(program, io);
  registerInstall(program, io);
  registerWebhook(program, io);
  registerOutbox(program, io);

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    if (error instanceof InputError) {
      for (const problem of error.problems) io.stderr(`error: ${formatProblem(problem)}\n`);
      return EXIT.badInput;
    }
    io.stderr(`error: ${(error as Error).message}\n`);
    return EXIT.failure;
  }
  return exitCode;
}

export const VERSION = '0.1.0';
