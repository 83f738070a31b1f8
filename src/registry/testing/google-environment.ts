// What Google's auth library reads from the environment, set so that it finds the webhook's
// identity at the fake metadata server and nowhere else. Left alone, it would read a developer's
// own credentials (the gcloud CLI's application_default_credentials.json) and, to find a project
// id, run `gcloud config config-helper` wherever the gcloud CLI is installed: half a second on an
// idle machine, more than a lookup's 5 s on a busy CI runner.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setEnvironment } from './environment.js';

/** Points Google's auth library at the metadata server on `metadataHost` alone; the returned function puts the environment back. */
export async function googleIdentityAt(metadataHost: string): Promise<() => Promise<void>> {
  const emptyConfig = await mkdtemp(join(tmpdir(), 'portcullis-gcloud-'));
  const restore = setEnvironment({
    GCE_METADATA_HOST: metadataHost,
    // The project id is only what the library looks for on the way; the access token needs none.
    GOOGLE_CLOUD_PROJECT: 'portcullis-test',
    CLOUDSDK_CONFIG: emptyConfig,
    GOOGLE_APPLICATION_CREDENTIALS: undefined,
  });
  return async () => {
    restore();
    await rm(emptyConfig, { recursive: true, force: true });
  };
}
