// Reaching another replica of this webhook: it serves the same certificate (the replicas mount
// one TLS Secret), so it is recognized by that certificate's public key rather than by a chain
// to a CA. That holds whoever issued the certificate (cert-manager, an operator's CA, a caBundle
// given at install) and whatever name the Service is reached by, and only a holder of the
// webhook's private key can answer.
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';

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

/**
 * A fetch whose HTTPS connections succeed only to a server presenting a certificate with the
 * public key of `certificatePem` (this webhook's own serving certificate). `certificatePem` is
 * read at each connection, so a certificate renewed with a new key is pinned from then on.
 */
export function fetchPinnedTo(certificatePem: () => string): typeof fetch {
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
          const own = publicKeyOf(new X509Certificate(certificatePem()));
          if (presented === undefined) reason = 'presented no certificate';
          else if (!publicKeyOf(presented).equals(own)) reason = `presented a certificate with another key (${presented.subject.replaceAll('\n', ', ')}): not a replica of this webhook`;
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
