// One ACR credential lookup in a process of its own: Azure's identity library keeps the identity
// source it found for the process, and Node reads NODE_EXTRA_CA_CERTS only when a process starts.
// The process sees none of this one's Azure variables (AZURE_*, IDENTITY_*, MSI_*, IMDS_*), only
// those given, and a home directory of its own, empty: the library's default chain would also ask
// the Azure CLI, the Azure Developer CLI and Azure PowerShell, which would find a developer's
// own sign-in in their home.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The credential it got, or the error it threw. */
export interface ChildLookup {
  readonly username?: string;
  readonly password?: string;
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
}

/** `exchangeUrl`: where the registry's token exchange is (AcrCredentials' option); default the host's own. */
export async function acrLookupInChild(host: string, variables: Readonly<Record<string, string>>, exchangeUrl?: string): Promise<ChildLookup> {
  const options = exchangeUrl === undefined ? '' : `{ exchangeUrl: () => ${JSON.stringify(exchangeUrl)} }`;
  const script = `
    const { AcrCredentials } = await import(${JSON.stringify(new URL('../acr-credentials.ts', import.meta.url).href)});
    try { console.log(JSON.stringify(await new AcrCredentials(${options}).credential(${JSON.stringify(host)}, AbortSignal.timeout(20000)))); }
    catch (error) { console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message })); }`;
  const home = await mkdtemp(join(tmpdir(), 'portcullis-azure-home-'));
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AZURE_|IDENTITY_|MSI_|IMDS_)/.test(name))), HOME: home, ...variables };
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, timeout: 30_000 });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ChildLookup;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
