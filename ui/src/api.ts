// The UI's one way to the REST API: the session's bearer token on every call, and every refusal
// turned into an ApiFailure that says what the API said (its message, and each problem's place).
import type { Settings } from '../../src/api/settings.js';
import type { AdmissionEvent, EventDecision } from '../../src/events/admission-event.js';
import type { EventSummary } from '../../src/events/event-summary.js';
import type { Finding } from '../../src/findings/model.js';
import type { SeverityCounts } from '../../src/policy/evidence.js';
import type { CloudProvider, Exemption, Rule } from '../../src/policy/rule.js';
import type { Role } from '../../src/store/roles.js';

export type { AdmissionEvent, EventDecision, EventSummary, Role };

export interface Caller {
  readonly name: string;
  readonly role: Role;
}

export interface EventPage {
  readonly events: readonly EventSummary[];
  readonly nextCursor?: string;
}

/** A stored rule as GET /api/v1/rules answers it (the API's RuleSchema). */
export interface RuleView {
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly enabled: boolean;
  readonly action: Rule['action'];
  readonly description: string;
  readonly document: Rule;
  readonly exemptions: readonly (Exemption & { readonly index: number; readonly expired: boolean })[];
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

export interface RuleVersionView {
  readonly version: number;
  readonly name: string;
  readonly change: string;
  readonly actor: string;
  readonly at: string;
  readonly document: Rule;
}

/** An image as GET /api/v1/images answers it: scan status, counts, its scans, a page of its findings. */
export interface ImageView {
  readonly reference?: string;
  readonly key?: string;
  readonly digest?: string;
  readonly scanStatus: 'Scanned' | 'NotScanned';
  readonly counts: SeverityCounts;
  readonly scannedAt?: string;
  readonly tags: readonly string[];
  readonly repoDigests: readonly string[];
  readonly scans: readonly { readonly id: string; readonly scanner: string; readonly version?: string; readonly scannedAt?: string; readonly receivedAt: string; readonly artifactName: string; readonly warnings: readonly string[] }[];
  readonly findingCount: number;
  /** Worst first. */
  readonly findings: readonly Finding[];
  readonly nextOffset?: number;
}

export interface Problem {
  readonly path: string;
  readonly message: string;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problems: readonly Problem[] = [],
  ) {
    super(message);
  }
}

export type Query = Readonly<Record<string, string | readonly string[] | undefined>>;

export class ApiClient {
  constructor(
    private readonly token: string,
    /** Told when the API refuses the token (revoked, expired): the session is over. */
    private readonly onUnauthorized: () => void = () => {},
  ) {}

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.call<T>('GET', withQuery(path, query));
  }

  /** `ifMatch`: the rule version a change is based on; the API answers 409 if the rule changed since. */
  post<T>(path: string, body?: unknown, ifMatch?: number): Promise<T> {
    return this.call<T>('POST', path, body, ifMatch);
  }

  put<T>(path: string, body: unknown, ifMatch?: number): Promise<T> {
    return this.call<T>('PUT', path, body, ifMatch);
  }

  delete<T>(path: string, ifMatch?: number): Promise<T> {
    return this.call<T>('DELETE', path, undefined, ifMatch);
  }

  private async call<T>(method: string, path: string, body?: unknown, ifMatch?: number): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (ifMatch !== undefined) headers['if-match'] = `"${ifMatch}"`;
    let response: Response;
    try {
      response = await fetch(path, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
    } catch (error) {
      throw new ApiFailure(0, `The control plane could not be reached (${(error as Error).message}).`);
    }
    const payload: unknown = response.status === 204 ? undefined : await response.json().catch(() => undefined);
    if (response.ok) return payload as T;
    const refusal = (payload as { error?: { message?: string; problems?: Problem[] } } | undefined)?.error;
    if (response.status === 401) this.onUnauthorized();
    throw new ApiFailure(response.status, refusal?.message ?? `The API answered ${response.status} ${response.statusText}.`, refusal?.problems ?? []);
  }
}

/**
 * Where an image's scans are asked for: a digest, or the `id:<image id>` a scan of an archive is
 * kept under, by its key; anything else as a reference, found as admission finds it (its digest,
 * else the tag scans reported).
 */
export function imageRequest(reference: string, query: Query = {}): string {
  const key = /^(?:id:)?sha256:[0-9a-f]{64}$/.test(reference);
  return key ? withQuery(`/api/v1/images/${encodeURIComponent(reference)}`, query) : withQuery('/api/v1/images', { reference, ...query });
}

/** `decision: ['Denied', 'Audited']` becomes `decision=Denied&decision=Audited`; empty values are left out. */
export function withQuery(path: string, query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const item of typeof value === 'string' ? [value] : (value ?? [])) if (item !== '') params.append(key, item);
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** A registered cluster as GET /api/v1/clusters answers it (the API's Cluster). */
export interface ClusterView {
  readonly name: string;
  readonly provider?: CloudProvider;
  /** Azure subscription id, AWS account id or GCP project id. */
  readonly account?: string;
  readonly registeredAt: string;
  /** When its webhook last synced with the control plane; absent until it has. */
  readonly lastSeenAt?: string;
}

/** What POST /api/v1/clusters takes (the API's ClusterRegistration): an account needs its provider. */
export interface ClusterRegistration {
  readonly name: string;
  readonly provider?: CloudProvider;
  readonly account?: string;
}

/** The switches of GET /api/v1/accounts, each named as the API names it. */
export type AccountSwitch = 'gating' | 'registryAccess' | 'securityFindings';

/** A cloud account's switches as GET /api/v1/accounts answers them (the API's Account). */
export type AccountView = {
  readonly provider: CloudProvider;
  readonly account: string;
  /** Absent while every switch has its default (on). */
  readonly updatedAt?: string;
  readonly updatedBy?: string;
} & { readonly [S in AccountSwitch]: boolean };

/** The installation's settings as GET and PUT /api/v1/settings answer them. */
export type { Settings as SettingsView };
