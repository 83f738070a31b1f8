// Trusting a certificate authority of one's own for the control plane: an organisation's CA
// signed its certificate, and Node's bundled roots do not know it. `--ca-file` on the webhook
// and on the CLI's API commands adds it to the system's roots for those requests alone (where
// NODE_EXTRA_CA_CERTS would add it for everything the process does).
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';
import { InputError } from '../problems.js';
import { pemCertificates } from './pem.js';

/** The PEM certificates of `file`, each checked; an error names the file and what is wrong. */
export function readCaFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw InputError.of({ file, message: `cannot be read: ${(error as Error).message}` });
  }
  const certificates = pemCertificates(text);
  if (certificates.length === 0) throw InputError.of({ file, message: 'holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA certificate that signed the control plane’s' });
  certificates.forEach((pem, i) => {
    try {
      new X509Certificate(pem);
    } catch (error) {
      throw InputError.of({ file, message: `certificate ${i + 1} is not valid: ${(error as Error).message}` });
    }
  });
  return certificates.join('\n');
}

/** A fetch whose HTTPS connections trust `caPem` besides the system's roots. */
export function fetchTrusting(caPem: string): typeof fetch {
  const dispatcher = new Agent({ connect: { ca: [...rootCertificates, caPem] } });
  // undici's own fetch and Agent: the global fetch is a bundled copy that may not take this package's Agent.
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) => undiciFetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as typeof fetch;
}
