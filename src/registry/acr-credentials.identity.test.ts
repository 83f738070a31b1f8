// The acr credential helper in a pod of AKS Workload Identity, with nothing but the variables its
// mutating webhook sets (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE,
// AZURE_AUTHORITY_HOST): Azure's identity library presents the projected token to Entra as a
// client assertion, and the access token it gets is exchanged at the registry. Entra is a local
// https endpoint (testing/fake-entra.ts), the registry's exchange another (testing/fake-azure.ts).
// Each lookup runs in a process of its own (testing/acr-child-lookup.ts): Entra's CA must be
// trusted from the start (NODE_EXTRA_CA_CERTS), and Azure's library keeps the identity it found.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ACR_TOKEN_USERNAME } from './acr-credentials.js';
import { acrLookupInChild, type ChildLookup } from './testing/acr-child-lookup.js';
import { startFakeAzure, type FakeAzure } from './testing/fake-azure.js';
import { startFakeEntra, type FakeEntra } from './testing/fake-entra.js';

const HOST = 'portcullistest.azurecr.io';
const CLIENT_ID = '5e29463d-71da-4fe0-8e69-999b57db23b0';
const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
/** What the kubelet projects for the audience Entra asks for (api://AzureADTokenExchange). */
const FEDERATED_TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImV4YW1wbGUifQ.eyJhdWQiOlsiYXBpOi8vQXp1cmVBRFRva2VuRXhjaGFuZ2UiXX0.c2lnbmF0dXJl';
const ENTRA_TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.workload.access';
const REFRESH = 'eyJhbGciOiJSUzI1NiJ9.eyJncmFudF90eXBlIjoicmVmcmVzaF90b2tlbiJ9.c2lnbmF0dXJl';

let dir: string;
let entra: FakeEntra;
let registry: FakeAzure;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-workload-identity-'));
  writeFileSync(join(dir, 'azure-identity-token'), FEDERATED_TOKEN);
  [entra, registry] = await Promise.all([startFakeEntra(dir, { clientId: CLIENT_ID, assertion: FEDERATED_TOKEN, accessToken: ENTRA_TOKEN }), startFakeAzure(ENTRA_TOKEN, REFRESH)]);
});
afterAll(async () => {
  await Promise.all([entra.stop(), registry.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** One lookup in a pod's environment: only what AKS Workload Identity sets, and Entra's CA trusted. */
function lookupInPod(variables: Record<string, string> = {}): Promise<ChildLookup> {
  const pod = {
    AZURE_CLIENT_ID: CLIENT_ID,
    AZURE_TENANT_ID: TENANT_ID,
    AZURE_FEDERATED_TOKEN_FILE: join(dir, 'azure-identity-token'),
    AZURE_AUTHORITY_HOST: entra.authorityHost,
    NODE_EXTRA_CA_CERTS: entra.caFile,
  };
  return acrLookupInChild(HOST, { ...pod, ...variables }, `${registry.url}/oauth2/exchange`);
}

test('the federated token is presented to Entra for Resource Manager, and the access token exchanged at the registry', async () => {
  const [tokensBefore, exchangesBefore] = [entra.tokenRequests.length, registry.exchanges.length];
  expect(await lookupInPod()).toEqual({ username: ACR_TOKEN_USERNAME, password: REFRESH });
  const asked = entra.tokenRequests.slice(tokensBefore);
  expect(asked).toHaveLength(1);
  expect(asked[0]?.tenant).toBe(TENANT_ID);
  expect(Object.fromEntries(['client_id', 'scope', 'grant_type', 'client_assertion_type', 'client_assertion'].map((field) => [field, asked[0]?.form.get(field)]))).toEqual({
    client_id: CLIENT_ID,
    scope: 'https://management.azure.com/.default',
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: FEDERATED_TOKEN,
  });
  const exchanged = registry.exchanges.slice(exchangesBefore);
  expect(exchanged.map((form) => [form.get('service'), form.get('access_token')])).toEqual([[HOST, ENTRA_TOKEN]]);
}, 40_000);

test('an identity Entra has no federation for: the reason is Entra’s, with its AADSTS code', async () => {
  entra.refusal = { error: 'invalid_client', code: 700213, description: "AADSTS700213: No matching federated identity record found for presented assertion subject 'system:serviceaccount:portcullis:portcullis-webhook'." };
  try {
    const outcome = await lookupInPod();
    expect(outcome).toMatchObject({ name: 'RegistryError', code: 'unauthorized' });
    expect(outcome.message).toContain(`Microsoft Entra issued no access token for ${HOST}: `);
    expect(outcome.message).toContain('AADSTS700213: No matching federated identity record found');
  } finally {
    entra.refusal = undefined;
  }
}, 40_000);

test('a federated token file the pod does not have (the projected volume missing): a set-up problem naming the file, Entra not asked', async () => {
  const missing = join(dir, 'no-token');
  const tokensBefore = entra.tokenRequests.length;
  const outcome = await lookupInPod({ AZURE_FEDERATED_TOKEN_FILE: missing });
  expect(outcome).toEqual({
    name: 'RegistryError',
    code: 'config',
    message: `Microsoft Entra issued no access token for ${HOST}: cannot read AKS Workload Identity's token file ${missing} (ENOENT), named by AZURE_FEDERATED_TOKEN_FILE`,
  });
  expect(entra.tokenRequests.length).toBe(tokensBefore);
}, 40_000);
