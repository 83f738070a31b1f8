// A serving certificate: the operator's files (`--tls-cert/--tls-key` for the webhook, reloaded
// when they change, as cert-manager and the kubelet rotate them; `--api-tls-cert/--api-tls-key`
// for the control plane's API), or for the webhook without them a CA and a serving certificate
// Portcullis makes once in its data directory, whose CA bundle goes into the
// ValidatingWebhookConfiguration.
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, unwatchFile, watchFile, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
// @peculiar/x509 builds on tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface SelfSigned extends TlsFiles {
  /** The CA's certificate (PEM): what the webhook configuration's caBundle holds, base64-encoded. */
  readonly caPem: string;
  /** Whether it was made now (false: found in the data directory). */
  readonly created: boolean;
  /** Whether the serving certificate was issued anew now, under the same CA (the caBundle stands). */
  readonly renewed: boolean;
}

/** How long before the serving certificate (or the CA) expires a new one is made. */
export const RENEW_BEFORE_MS = 30 * DAY_MS;

/**
 * The self-signed pair in `<dataDir>/tls`, made on first use for the given host names (and
 * 127.0.0.1, localhost). A CA signs the serving certificate, and its key is kept beside it, so
 * that the serving certificate is issued anew under the same CA (the bundle clusters trust does
 * not change) when it comes within 30 days of its end or lacks a host name asked for. Valid 10
 * years (CA) and 2 years (serving). A CA near its own end, or files from a version that did not
 * keep the CA's key, are made anew, with a new bundle (`created`).
 */
export async function ensureSelfSigned(dataDir: string, hosts: readonly string[], now: Date = new Date(), options: { readonly newCa?: boolean } = {}): Promise<SelfSigned> {
  const dir = join(dataDir, 'tls');
  const files = { certFile: join(dir, 'webhook.crt'), keyFile: join(dir, 'webhook.key'), caFile: join(dir, 'ca.crt'), caKeyFile: join(dir, 'ca.key') };
  const names = [...new Set(['localhost', ...hosts])];
  const due = now.getTime() + RENEW_BEFORE_MS;
  if (existsSync(files.certFile) && existsSync(files.keyFile) && existsSync(files.caFile)) {
    const caPem = readFileSync(files.caFile, 'utf8');
    const leaf = new X509Certificate(readFileSync(files.certFile, 'utf8'));
    const found = { certFile: files.certFile, keyFile: files.keyFile, caPem, created: false };
    if (Date.parse(leaf.validTo) > due && names.every((name) => leaf.checkHost(name) !== undefined)) return { ...found, renewed: false };
    if (Date.parse(new X509Certificate(caPem).validTo) > due && existsSync(files.caKeyFile)) {
      const ca = new x509.X509Certificate(caPem);
      const caKey = await webcrypto.subtle.importKey('pkcs8', pemBody(readFileSync(files.caKeyFile, 'utf8')), ALGORITHM, false, ['sign']);
      await writeServing(files, ca, caKey, names, now);
      return { ...found, renewed: true };
    }
    // A running server keeps serving what the clusters trust rather than switch to a CA they do not.
    if (options.newCa === false) throw new Error(`the self-signed certificate in ${dir} ends ${leaf.validTo} and its CA cannot sign a new one: restart to make a new CA, and put its bundle in the webhook configuration`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=Portcullis webhook CA',
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + 3650 * DAY_MS),
    keys: caKeys as never,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey as never),
    ],
  });
  // As the file holds it: the bundle printed on this start and on every later one is the same text.
  const caPem = `${ca.toString('pem')}\n`;
  writeFileSync(files.caKeyFile, privateKeyPem(await webcrypto.subtle.exportKey('pkcs8', caKeys.privateKey)), { mode: 0o600 });
  writeFileSync(files.caFile, caPem);
  await writeServing(files, ca, caKeys.privateKey, names, now);
  return { certFile: files.certFile, keyFile: files.keyFile, caPem, created: true, renewed: false };
}

/**
 * Checks the self-signed pair every `intervalMs` (default 12 h) while the process runs, and
 * calls `onRenewed` when it was issued anew under the same CA (a process that runs for years is
 * never left with an expired certificate). It never makes a new CA: that would change the bundle
 * the clusters trust under a running server; `onError` says so instead. Stop with the function it answers.
 */
export function keepSelfSignedRenewed(dataDir: string, hosts: readonly string[], onRenewed: (made: SelfSigned) => void, onError: (error: Error) => void, intervalMs = 12 * 3_600_000): () => void {
  const timer = setInterval(() => {
    ensureSelfSigned(dataDir, hosts, new Date(), { newCa: false }).then((made) => {
      if (made.renewed) onRenewed(made);
    }, onError);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** A serving certificate for `names` (and 127.0.0.1) signed by the CA, written with its new key. */
async function writeServing(files: TlsFiles, ca: x509.X509Certificate, caKey: webcrypto.CryptoKey, names: readonly string[], now: Date): Promise<void> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const caKeyId = ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const serving = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${names[1] ?? names[0]}`,
    issuer: ca.subject,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + 730 * DAY_MS),
    signingKey: caKey as never,
    publicKey: keys.publicKey as never,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      // Which CA key signed it (RFC 5280 asks for it): every installation's CA has the same name,
      // and a client trusting several (a caBundle during a rotation) finds the right one by it.
      ...(caKeyId !== undefined ? [new x509.AuthorityKeyIdentifierExtension(caKeyId)] : []),
      new x509.SubjectAlternativeNameExtension([...names.map((value) => ({ type: 'dns' as const, value })), { type: 'ip', value: '127.0.0.1' }]),
    ],
  });
  // The key first: a reader polling the pair skips a key and certificate that do not match yet.
  writeFileSync(files.keyFile, privateKeyPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), { mode: 0o600 });
  // The serving certificate with its CA: clients that are given only the leaf can still build the chain.
  writeFileSync(files.certFile, `${serving.toString('pem')}\n${ca.toString('pem')}\n`);
}

function privateKeyPem(pkcs8: ArrayBuffer): string {
  const body = Buffer.from(pkcs8).toString('base64');
  return `-----BEGIN PRIVATE KEY-----\n${body.replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** Reads a certificate and its key, checking that they belong together. */
export function readTls(files: TlsFiles): TlsMaterial {
  const cert = readFileSync(files.certFile, 'utf8');
  const key = readFileSync(files.keyFile, 'utf8');
  const leaf = parsed(files.certFile, 'a PEM certificate', () => new X509Certificate(cert));
  const privateKey = parsed(files.keyFile, 'a PEM private key', () => createPrivateKey(key));
  if (!leaf.checkPrivateKey(privateKey)) throw new Error(`${files.keyFile} is not the key of the certificate in ${files.certFile}`);
  return { cert, key };
}

/** OpenSSL's own words ("PEM routines::no start line") name no file: this names the file. */
function parsed<T>(file: string, what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new Error(`${file} does not hold ${what}: ${(error as Error).message}`);
  }
}

/**
 * Calls `onChange` with the new material when either file changes (polling: works on the
 * symlink swaps the kubelet makes for mounted Secrets, where inotify watches go stale). A pair
 * caught half-written (key and certificate do not match yet) is reported once and tried again
 * at every poll until it loads: the rest of the write may leave the files' times as they were
 * (file systems with coarse timestamps), and would then never be seen as a change.
 */
export function watchTls(files: TlsFiles, onChange: (material: TlsMaterial) => void, onError: (error: Error) => void, intervalMs = 2000): () => void {
  let retry: NodeJS.Timeout | undefined;
  const load = (report: boolean): void => {
    try {
      onChange(readTls(files));
      clearInterval(retry);
      retry = undefined;
    } catch (error) {
      if (report) onError(error as Error);
      if (retry === undefined) {
        retry = setInterval(() => load(false), intervalMs);
        retry.unref();
      }
    }
  };
  const listener = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs === previous.mtimeMs && current.size === previous.size && current.ino === previous.ino) return;
    load(true);
  };
  watchFile(files.certFile, { interval: intervalMs, persistent: false }, listener);
  watchFile(files.keyFile, { interval: intervalMs, persistent: false }, listener);
  return () => {
    clearInterval(retry);
    unwatchFile(files.certFile, listener);
    unwatchFile(files.keyFile, listener);
  };
}

function serial(): string {
  // Positive (high bit clear), 16 bytes, as RFC 5280 asks.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

