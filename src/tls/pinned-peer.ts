// Reaching another replica of this webhook: it serves the same certificate (the replicas mount
// one TLS Secret), so it is recognized by that certificate's public key rather than by a chain
// to a CA. That holds whoever issued the certificate (cert-manager, an operator's CA, a caBundle
// given at install) and whatever name the Service is reached by, and only a holder of the
// webhook's private key can answer. While a renewal that made a new key reaches the pods (each
// kubelet updates its copy of the Secret in its own time, a minute or so apart), a replica may
// present the other key: it is recognized then by a certificate for every name of this one,
// signed by the CA that signed this one (the Secret's ca.crt, or the chain after the leaf),
// which is what the API server itself trusts the webhook by.
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { pemCertificates } from './pem.js';

/** The DER of a PEM certificate's public key (SubjectPublicKeyInfo). */
function publicKeyOf(certificate: X509Certificate): Buffer {
  return certificate.publicKey.export({ type: 'spki', format: 'der' });
}

/** Thrown when the server answering is not a replica: it presents another key. */
export class PeerCertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeerCertificateError';
  }
}

/** The DNS names a certificate is for (its subject alternative names). */
function dnsNames(certificate: X509Certificate): Set<string> {
  const names = (certificate.subjectAltName ?? '').split(', ').filter((entry) => entry.startsWith('DNS:'));
  return new Set(names.map((entry) => entry.slice('DNS:'.length).toLowerCase()));
}

/**
 * Whether `presented` is a certificate of this webhook under another key: in force now, for every
 * DNS name `own` is for, and signed by one of `issuers` (a CA).
 */
function renewedFor(presented: X509Certificate, own: X509Certificate, issuers: readonly X509Certificate[], now: number): boolean {
  if (now < Date.parse(presented.validFrom) || now > Date.parse(presented.validTo)) return false;
  const wanted = dnsNames(own);
  const offered = dnsNames(presented);
  if (wanted.size === 0 || [...wanted].some((name) => !offered.has(name))) return false;
  return issuers.some((issuer) => issuer.ca && presented.checkIssued(issuer) && presented.verify(issuer.publicKey));
}

/**
 * A fetch whose HTTPS connections succeed only to a server presenting a certificate with the
 * public key of `certificatePem` (this webhook's own serving certificate, its chain after it), or
 * one for the same names signed by the CA of `issuersPem` or of that chain (a renewal with a new
 * key, while it reaches the replicas). Both are read at each connection, so a certificate renewed
 * with a new key is pinned from then on.
 */
export function fetchPinnedTo(certificatePem: () => string, issuersPem: () => string = () => ''): typeof fetch {
  // The chain is not checked (the pin is the check); the hostname neither, for the same reason.
  // No TLS session cache: a resumed session presents no certificate to check, and every
  // reconnection to a replica would be refused.
  const connector = buildConnector({ rejectUnauthorized: false, maxCachedSessions: 0 });
  const dispatcher = new Agent({
    connect: (options, callback) => {
      connector(options, (error, socket) => {
        if (error !== null) return callback(error, null);
        let reason: string | undefined;
        try {
          const presented = (socket as TLSSocket).getPeerX509Certificate();
          const [leaf, ...chain] = pemCertificates(certificatePem()).map((pem) => new X509Certificate(pem));
          if (leaf === undefined) reason = 'could not be checked: this webhook has no certificate';
          else if (presented === undefined) reason = 'presented no certificate';
          else if (!publicKeyOf(presented).equals(publicKeyOf(leaf))) {
            const issuers = [...chain, ...pemCertificates(issuersPem()).map((pem) => new X509Certificate(pem))];
            if (!renewedFor(presented, leaf, issuers, Date.now())) reason = `presented a certificate with another key (${presented.subject.replaceAll('\n', ', ')}), not one for this webhook's names from its CA: not a replica of this webhook`;
          }
        } catch (failure) {
          reason = `could not be checked: ${(failure as Error).message}`;
        }
        if (reason === undefined) return callback(null, socket);
        socket.destroy();
        callback(new PeerCertificateError(`${options.hostname}:${options.port} ${reason}`), null);
      });
    },
  });
  // undici's own fetch and Agent, as in trusted-ca.ts.
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) => undiciFetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as typeof fetch;
}
