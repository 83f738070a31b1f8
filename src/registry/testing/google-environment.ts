// What Google's auth library reads from the environment, set so that it finds the webhook's
// identity at the fake metadata server and nowhere else. Left alone, it would read a developer's
// own credentials (the gcloud CLI's application_default_credentials.json) and, to find a project
// id, run `gcloud config config-helper` wherever the gcloud CLI is installed: half a second on an
// idle machine, more than a lookup's 5 s on a busy CI runner.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NAMES = ['GCE_METADATA_HOST', 'GOOGLE_CLOUD_PROJECT', 'CLOUDSDK_CONFIG', 'GOOGLE_APPLICATION_CREDENTIALS'] as const;

/** Points Google's auth library at the metadata server on `metadataHost` alone; the returned function puts the environment back. */
export async function googleIdentityAt(metadataHost: string): Promise<() => Promise<void>> {
  const saved = NAMES.map((name) => [name, process.env[name]] as const);
  const emptyConfig = await mkdtemp(join(tmpdir(), 'portcullis-gcloud-'));
  process.env.GCE_METADATA_HOST = metadataHost;
  // The project id is only what the library looks for on the way; the access token needs none.
  process.env.GOOGLE_CLOUD_PROJECT = 'portcullis-test';
  process.env.CLOUDSDK_CONFIG = emptyConfig;
  delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  return async () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await rm(emptyConfig, { recursive: true, force: true });
  };
}
