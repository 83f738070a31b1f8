// The acr credential helper with Azure's own identity library (DefaultAzureCredential, finding a
// managed identity through IDENTITY_ENDPOINT as on App Service) and a registry's token exchange,
// both replayed by a local server (testing/fake-azure.ts): which hosts are ACR's, the Entra
// token exchanged for the registry's refresh token, kept per registry until near its `exp`,
// failures not kept and named.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { until } from '../../test/support/until.js';
import { ACR_TOKEN_USERNAME, AcrCredentials, acrScopeOf } from './acr-credentials.js';
import { acrLookupInChild } from './testing/acr-child-lookup.js';
import { setEnvironment } from './testing/environment.js';
import { IDENTITY_HEADER, startFakeAzure, type FakeAzure } from './testing/fake-azure.js';
import { failure } from './testing/failure.js';

const HOST = 'portcullistest.azurecr.io';
const ENTRA_TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.entra.access';
/** A JWT whose `exp` is `secondsFromNow` away, as ACR's refresh tokens are. */
const refreshTokenExpiringIn = (secondsFromNow: number) =>
  ['{"alg":"RS256","typ":"JWT"}', JSON.stringify({ exp: Math.floor(Date.now() / 1000) + secondsFromNow, grant_type: 'refresh_token' }), 'signature']
    .map((part) => Buffer.from(part).toString('base64url'))
    .join('.');
const REFRESH = refreshTokenExpiringIn(3 * 3600);
const signal = () => AbortSignal.timeout(10_000);

let azure: FakeAzure;
let restoreEnvironment: () => void;
beforeAll(async () => {
  azure = await startFakeAzure(ENTRA_TOKEN, REFRESH);
  restoreEnvironment = setEnvironment({ IDENTITY_ENDPOINT: `${azure.url}/msi/token`, IDENTITY_HEADER });
});
afterAll(async () => {
  restoreEnvironment();
  await azure.stop();
});

function helper(now: () => number = Date.now) {
  return new AcrCredentials({ now, exchangeUrl: () => `${azure.url}/oauth2/exchange` });
}

describe('which hosts are ACR registries', () => {
  test.each([
    [HOST, 'https://management.azure.com/.default'],
    ['contoso-abc123.azurecr.io', 'https://management.azure.com/.default'],
    ['contoso.azurecr.cn', 'https://management.chinacloudapi.cn/.default'],
    ['contoso.azurecr.us:443', 'https://management.usgovcloudapi.net/.default'],
  ])('%s', (host, scope) => {
    expect(acrScopeOf(host)).toBe(scope);
  });
  test.each(['azurecr.io', 'mcr.microsoft.com', 'contoso.azurecr.io.evil.example', 'abc.azurecr.io', 'con_toso.azurecr.io'])('not %s', (host) => {
    expect(acrScopeOf(host)).toBeUndefined();
    expect(new AcrCredentials().handles(host)).toBe(false);
  });
});

describe('the refresh token the registry issues for the Entra token', () => {
  test("the managed identity's token for Resource Manager, exchanged for the registry: the password of 00000000-…", async () => {
    const before = { identity: azure.identityRequests.length, exchanges: azure.exchanges.length };
    expect(await helper().credential(HOST, signal())).toEqual({ username: ACR_TOKEN_USERNAME, password: REFRESH });
    expect(azure.identityRequests.slice(before.identity)).toEqual([{ resource: 'https://management.azure.com', headerOk: true }]);
    const form = azure.exchanges.slice(before.exchanges);
    expect(form.map((f) => Object.fromEntries(f))).toEqual([{ grant_type: 'access_token', service: HOST, access_token: ENTRA_TOKEN }]);
  });

  test('one exchange per registry however many ask at once; another registry has its own', async () => {
    const acr = helper();
    const before = azure.exchanges.length;
    await Promise.all(Array.from({ length: 10 }, () => acr.credential(HOST, signal())));
    await acr.credential(HOST, signal());
    expect(azure.exchanges.length - before).toBe(1);
    await acr.credential('contoso.azurecr.io', signal());
    expect(azure.exchanges.length - before).toBe(2);
    expect(azure.exchanges.at(-1)?.get('service')).toBe('contoso.azurecr.io');
  });

  test("renewed at nine tenths of the refresh token's lifetime (its exp)", async () => {
    let now = Date.now();
    const acr = helper(() => now);
    const before = azure.exchanges.length;
    await acr.credential(HOST, signal());
    now += 2.6 * 3600_000;
    await acr.credential(HOST, signal());
    expect(azure.exchanges.length - before).toBe(1);
    now += 0.2 * 3600_000;
    await acr.credential(HOST, signal());
    await until(() => azure.exchanges.length - before === 2, 'the renewal');
  });

  test("the registry refusing the exchange: unauthorized, with ACR's message; not kept", async () => {
    const acr = helper();
    azure.exchangeFailure = { status: 401, code: 'UNAUTHORIZED', message: 'The identity is not authorized to access the registry portcullistest.' };
    try {
      const error = await failure(acr.credential(HOST, signal()));
      expect(error.code).toBe('unauthorized');
      expect(error.message).toBe(`${HOST} issued no refresh token: POST /oauth2/exchange answered 401: The identity is not authorized to access the registry portcullistest.`);
    } finally {
      azure.exchangeFailure = undefined;
    }
    expect((await acr.credential(HOST, signal())).password).toBe(REFRESH);
  });

  test('no Azure identity: a configuration error saying where one comes from', async () => {
    // In a process of its own, as Azure's library keeps the identity source it found for the
    // process. Nothing of the default chain can run there (no AZURE_* or IDENTITY_* variables,
    // no az, the instance metadata service unreachable): it says so.
    const outcome = await acrLookupInChild(HOST, {});
    expect(outcome).toMatchObject({ name: 'RegistryError', code: 'config' });
    expect(outcome.message).toContain(`Microsoft Entra issued no access token for ${HOST}: the webhook has no Azure identity (AKS Workload Identity, a managed identity, or AZURE_* variables)`);
  }, 40_000);
});
