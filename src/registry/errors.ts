// Why a registry lookup failed, as a value with a code: the resolver turns it into an
// `Unresolved` reason that a developer can act on, and metrics count it by code.

export const REGISTRY_ERROR_CODES = [
  /** No usable answer in time (the lookup's own timeout). */
  'timeout',
  /** The caller gave up (its signal aborted) before the registry answered. */
  'aborted',
  /** No connection: refused, unknown host, reset, TLS failure. */
  'unreachable',
  /** 401: credentials missing, wrong, or without pull access (Docker Hub also answers 401 for a repository that does not exist). */
  'unauthorized',
  /** 403. */
  'denied',
  /** 404: the repository or the tag is unknown. */
  'not-found',
  /** 429. */
  'rate-limited',
  /** Any other status, a body that is not a manifest, a digest that does not match the bytes. */
  'bad-response',
  /** Local configuration refused the request (e.g. a token realm over plain http). */
  'config',
] as const;

export type RegistryErrorCode = (typeof REGISTRY_ERROR_CODES)[number];

export class RegistryError extends Error {
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
    /** The registry host (or token realm) that answered or failed to answer. */
    readonly host: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RegistryError';
  }
}

/**
 * Turns whatever `fetch` threw into a RegistryError naming `host`. Undici reports a refused
 * connection as `TypeError: fetch failed` with the system error in `cause`, and an aborted
 * request as a DOMException named by the signal's reason (`TimeoutError` for AbortSignal.timeout).
 */
export function fromFetchFailure(error: unknown, host: string, signal: AbortSignal | undefined): RegistryError {
  if (error instanceof RegistryError) return error;
  const reason: unknown = signal?.aborted ? signal.reason : undefined;
  if (isNamed(reason, 'TimeoutError') || isNamed(error, 'TimeoutError')) {
    return new RegistryError('timeout', `${host} did not answer in time`, host, { cause: error });
  }
  if (signal?.aborted || isNamed(error, 'AbortError')) {
    return new RegistryError('aborted', `the request to ${host} was abandoned`, host, { cause: error });
  }
  const system = systemCode(error);
  const detail = system ?? (error instanceof Error ? error.message : String(error));
  return new RegistryError('unreachable', `cannot reach ${host}: ${detail}`, host, { cause: error });
}

function isNamed(value: unknown, name: string): boolean {
  return typeof value === 'object' && value !== null && 'name' in value && value.name === name;
}

/** ECONNREFUSED, ENOTFOUND, ECONNRESET, UND_ERR_SOCKET, CERT_HAS_EXPIRED, … from an error or its causes. */
function systemCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    if ('code' in current && typeof current.code === 'string') return current.code;
    current = 'cause' in current ? current.cause : undefined;
  }
  return undefined;
}
