// What the API needs from the composition root. Read once by the caller (never from
// process.env here) and passed in; tests pass a real in-memory store and a fixed clock.
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';

export interface ApiLimits {
  /** Largest request body for ordinary routes, in bytes. */
  readonly bodyBytes: number;
  /** Largest request body for routes that take scan reports (`bodyLimit: 'scan'`), in bytes. */
  readonly scanBodyBytes: number;
}

export interface ApiDeps {
  readonly store: Store;
  readonly now: () => Date;
  readonly logger: Logger | false;
  readonly limits?: ApiLimits;
  /**
   * Check every answer against its route's response schema (an answer that does not match is a
   * 500). Tests turn it on so the OpenAPI document cannot drift from what the API really sends.
   */
  readonly checkResponses?: boolean;
  /** Serve HTTPS with this certificate and key (PEM); absent: plain HTTP (behind a TLS-terminating ingress). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /**
   * The built web UI (index.html, assets/) served at /; default dist/ui of the package
   * (BUILT_UI_DIRECTORY). Without an index.html there, / answers 404 saying to build it.
   */
  readonly uiDirectory?: string;
}

export const DEFAULT_LIMITS: ApiLimits = Object.freeze({
  bodyBytes: 1024 * 1024,
  // Trivy and Grype reports of large images run to tens of megabytes.
  scanBodyBytes: 64 * 1024 * 1024,
});
