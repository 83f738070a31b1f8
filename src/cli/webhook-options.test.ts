// The webhook's flags (shared by `portcullis webhook` and `portcullis serve`) and what they become.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, test } from 'vitest';
import { InputError } from '../problems.js';
import { caBundleLines, excludedNamespaces, millis, registryOptions, tlsFiles, withWebhookOptions, type WebhookFlags } from './webhook-options.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-webhook-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parse(args: readonly string[]): WebhookFlags {
  const command = withWebhookOptions(new Command('webhook').exitOverride().configureOutput({ writeErr: () => undefined }));
  command.parse([...args], { from: 'user' });
  return command.opts<WebhookFlags>();
}

describe('webhook flags', () => {
  test('defaults: port 8443, failure mode open, a 2 s deadline, tags resolved for linux/amd64, 10,000 tags cached for 5 minutes', () => {
    expect(parse([])).toEqual({
      webhookPort: 8443,
      tlsHost: [],
      failureMode: 'open',
      deadline: 2_000,
      registryCredentialHelpers: [],
      insecureRegistry: [],
      platform: 'linux/amd64',
      resolveTags: true,
      digestTtl: 300_000,
      digestCacheSize: 10_000,
      excludeNamespace: [],
    });
  });

  test('durations, repeatable flags, --no-resolve-tags', () => {
    const flags = parse(['--deadline', '1500ms', '--failure-mode', 'closed', '--insecure-registry', 'localhost:5000', '--insecure-registry', '127.0.0.1', '--exclude-namespace', 'portcullis', '--no-resolve-tags', '--digest-ttl', '1m', '--digest-cache-size', '250000']);
    expect(flags).toMatchObject({ deadline: 1_500, failureMode: 'closed', insecureRegistry: ['localhost:5000', '127.0.0.1'], resolveTags: false, digestTtl: 60_000 });
    expect(excludedNamespaces(flags)).toEqual(['kube-system', 'portcullis']);
    expect(registryOptions(flags)).toEqual({ resolve: false, insecure: ['localhost:5000', '127.0.0.1'], platform: 'linux/amd64', ttlMs: 60_000, cacheSize: 250_000 });
    expect(() => parse(['--digest-cache-size', '0'])).toThrow(/--digest-cache-size.*whole number of at least 1/);
    expect(millis('2s')).toBe(2_000);
    expect(() => millis('2')).toThrow(/not a duration/);
    expect(() => parse(['--failure-mode', 'maybe'])).toThrow(/'maybe' is not one of open, closed/);
    expect(() => parse(['--webhook-port', '70000'])).toThrow(/port number/);
  });

  test('--tls-cert and --tls-key go together', () => {
    expect(tlsFiles(parse([]))).toBeUndefined();
    expect(tlsFiles(parse(['--tls-cert', 'tls.crt', '--tls-key', 'tls.key']))).toEqual({ certFile: 'tls.crt', keyFile: 'tls.key' });
    expect(() => tlsFiles(parse(['--tls-cert', 'tls.crt']))).toThrow(InputError);
    expect(() => tlsFiles(parse(['--tls-cert', 'tls.crt']))).toThrow('--tls-key: is needed too');
  });

  test('--registry-credentials: a Docker config file (auth, or username and password), keyed by host', () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ auths: { 'registry.example.com:5000': { auth: Buffer.from('puller:s3cret:with:colons').toString('base64') }, 'https://index.docker.io/v1/': { username: 'me', password: 'pw' } } }));
    const credentials = registryOptions(parse(['--registry-credentials', file])).credentials;
    expect(credentials).toEqual(
      new Map([
        ['registry.example.com:5000', { username: 'puller', password: 's3cret:with:colons' }],
        ['https://index.docker.io/v1/', { username: 'me', password: 'pw' }],
      ]),
    );
    writeFileSync(file, '{"auths": {"ghcr.io": {}}}');
    expect(() => registryOptions(parse(['--registry-credentials', file]))).toThrow(/auths\.ghcr\.io: has no credentials/);
    expect(() => registryOptions(parse(['--registry-credentials', join(dir, 'missing.json')]))).toThrow(/is not a Docker config file/);
  });

  test('--registry-credential-helpers: names of the clouds asked for registry credentials, checked', () => {
    expect(registryOptions(parse([])).credentialHelpers).toBeUndefined();
    expect(registryOptions(parse(['--registry-credential-helpers', 'ECR,ecr'])).credentialHelpers).toEqual(['ecr']);
    expect(() => parse(['--registry-credential-helpers', 'ecr,quay'])).toThrow(/'quay' is not one of ecr, gar, acr/);
    // A trailing comma (a list a template joined) is no name; a list of none is an error.
    expect(registryOptions(parse(['--registry-credential-helpers', 'gar, ecr,'])).credentialHelpers).toEqual(['gar', 'ecr']);
    expect(() => parse(['--registry-credential-helpers', ','])).toThrow(/names none of ecr, gar, acr/);
  });

  test('the CA bundle is printed base64-encoded, as caBundle takes it', () => {
    expect(caBundleLines(undefined)).toEqual([]);
    const [, bundle] = caBundleLines('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(Buffer.from(bundle?.trim() ?? '', 'base64').toString()).toBe('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  });
});
