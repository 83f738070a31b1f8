// Registry credentials from a Docker config file (`~/.docker/config.json`, or the
// `.dockerconfigjson` of a Kubernetes image pull Secret): the format every registry tool writes.
import { readFileSync } from 'node:fs';
import { InputError, type Problem } from '../problems.js';
import type { RegistryCredential } from './hosts.js';

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
  registrytoken?: unknown;
}

/** Credentials by host; problems name the file and the entry. Helpers (`credsStore`) are not run. */
export function readDockerConfig(file: string): Map<string, RegistryCredential> {
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw InputError.of({ file, message: `is not a Docker config file: ${(error as Error).message}` });
  }
  const auths = (config as { auths?: unknown } | null)?.auths;
  if (typeof auths !== 'object' || auths === null) throw InputError.of({ file, path: 'auths', message: 'is required: an object of registry hosts' });
  const problems: Problem[] = [];
  const credentials = new Map<string, RegistryCredential>();
  for (const [host, value] of Object.entries(auths as Record<string, AuthEntry>)) {
    const credential = credentialOf(value);
    if (typeof credential === 'string') problems.push({ file, path: `auths.${host}`, message: credential });
    else credentials.set(host, credential);
  }
  if (problems.length > 0) throw new InputError(problems);
  return credentials;
}

function credentialOf(entry: AuthEntry): RegistryCredential | string {
  if (typeof entry.registrytoken === 'string' && entry.registrytoken !== '') return { token: entry.registrytoken };
  if (typeof entry.username === 'string' && typeof entry.password === 'string') return { username: entry.username, password: entry.password };
  if (typeof entry.auth === 'string') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    return 'auth must be base64 of username:password';
  }
  // An identity token is exchanged at the token realm as a refresh token; we send it as the password of `<token>`.
  if (typeof entry.identitytoken === 'string') return { username: '<token>', password: entry.identitytoken };
  return 'has no credentials (auth, username and password, or registrytoken)';
}
