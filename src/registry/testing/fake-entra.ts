// Microsoft Entra ID as AKS Workload Identity reaches it: Azure's identity library (MSAL beneath
// it) reads the tenant's OpenID configuration at `<authority host>/<tenant>/v2.0/.well-known/
// openid-configuration`, then posts the pod's projected service account token as a client
// assertion to the token endpoint it names (`grant_type=client_credentials`,
// `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`), and gets
// `{token_type, expires_in, ext_expires_in, access_token}`, or Entra's error shape (`error`,
// `error_description` with its AADSTS code, `error_codes`, …). The documents' fields are those
// Entra publishes, with this server's address for login.microsoftonline.com. MSAL takes only an
// https authority, so it serves TLS with a CA of its own (`caFile`: what the client must trust).
// Entra cannot run here; the libraries are the real ones.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ensureSelfSigned } from '../../tls/serving-tls.js';

export interface FakeEntraTokenRequest {
  readonly tenant: string;
  readonly form: URLSearchParams;
}

export interface FakeEntra {
  /** https://127.0.0.1:<port>/, as AZURE_AUTHORITY_HOST takes it. */
  readonly authorityHost: string;
  /** The PEM file of the CA that signed its certificate. */
  readonly caFile: string;
  readonly tokenRequests: FakeEntraTokenRequest[];
  /** While set, the token endpoint refuses every assertion with this AADSTS error. */
  refusal: { readonly error: string; readonly code: number; readonly description: string } | undefined;
  stop(): Promise<void>;
}

/** Issues `accessToken` to the client that presents `assertion` (the federated token). */
export async function startFakeEntra(dir: string, expected: { readonly clientId: string; readonly assertion: string; readonly accessToken: string }): Promise<FakeEntra> {
  const tls = await ensureSelfSigned(dir, ['127.0.0.1']);
  const tokenRequests: FakeEntraTokenRequest[] = [];
  let base = '';
  const server: Server = createServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const json = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': '0f3e5b9c-6c1a-4d4e-9d6a-2b1f0e7c8a00' });
        response.end(JSON.stringify(body));
      };
      const path = new URL(request.url ?? '/', base).pathname;
      const configuration = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
      if (request.method === 'GET' && configuration) return json(200, openidConfiguration(base, configuration[1] ?? ''));
      const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
      if (request.method === 'POST' && token) {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        tokenRequests.push({ tenant: token[1] ?? '', form });
        const refusal =
          fake.refusal ??
          (form.get('client_id') !== expected.clientId || form.get('client_assertion') !== expected.assertion
            ? { error: 'invalid_client', code: 700213, description: `AADSTS700213: No matching federated identity record found for presented assertion subject 'system:serviceaccount:portcullis:portcullis-webhook'.` }
            : undefined);
        if (refusal) return json(400, entraError(refusal));
        return json(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: expected.accessToken });
      }
      json(404, { error: 'invalid_request', error_description: `AADSTS90002: ${path} not found.` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fake: FakeEntra = {
    authorityHost: `${base}/`,
    caFile: join(dir, 'tls', 'ca.crt'),
    tokenRequests,
    refusal: undefined,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return fake;
}

function openidConfiguration(base: string, tenant: string): Record<string, unknown> {
  const at = `${base}/${tenant}`;
  return {
    token_endpoint: `${at}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${at}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${at}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    authorization_endpoint: `${at}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${at}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${at}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
    kerberos_endpoint: `${at}/kerberos`,
    tenant_region_scope: 'NA',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

function entraError(refusal: { readonly error: string; readonly code: number; readonly description: string }): Record<string, unknown> {
  const id = '0f3e5b9c-6c1a-4d4e-9d6a-2b1f0e7c8a00';
  return {
    error: refusal.error,
    error_description: `${refusal.description} Trace ID: ${id} Correlation ID: ${id} Timestamp: ${new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`,
    error_codes: [refusal.code],
    timestamp: new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    trace_id: id,
    correlation_id: id,
    error_uri: `https://login.microsoftonline.com/error?code=${refusal.code}`,
  };
}
