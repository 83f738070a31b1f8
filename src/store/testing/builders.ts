// Builders for store tests: instants, digests, scans and admission events small enough to read.
import { createHash } from 'node:crypto';
import type { AdmissionEvent, EventDecision, EventViolation } from '../../events/admission-event.js';
import { eventId } from '../../events/event-id.js';
import type { Finding, ImageScan, ScannerKind } from '../../findings/model.js';
import type { Store } from '../store.js';
import type { Severity } from '../../findings/severity.js';
import { NO_COUNTS } from '../../policy/evidence.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

/** The instant `minutes` after noon UTC on 2026-03-01, as an ISO string. */
export function at(minutes: number): string {
  return new Date(T0 + minutes * 60_000).toISOString();
}

/** A sha256 digest made of one repeated hex character, or of the hex given. */
export function digest(hex: string): string {
  return `sha256:${hex.repeat(Math.ceil(64 / hex.length)).slice(0, 64)}`;
}

/** The report hash the API computes: here of the scan's JSON. */
export function hashOf(scan: ImageScan): string {
  return createHash('sha256').update(JSON.stringify(scan)).digest('hex');
}

export function finding(id: string, severity: Severity = 'High', pkg = 'openssl'): Finding {
  return { id, aliases: [], severity, package: { name: pkg, version: '1.0.0', type: 'deb' }, fixedVersion: '1.0.1', fixAvailable: true };
}

export const APP_TAG = 'registry.example.com/team/app:1.0';

type ScanOverrides = Partial<Omit<ImageScan, 'source'>> & { readonly scanner?: ScannerKind };

/** A scan of APP_TAG at digest('1'), made at(0) by Trivy, with one High finding. */
export function aScan(overrides: ScanOverrides = {}): ImageScan {
  const { scanner = 'trivy', ...rest } = overrides;
  const manifest = rest.manifestDigest ?? digest('1');
  return {
    source: { scanner },
    scannedAt: at(0),
    manifestDigest: manifest,
    digests: [manifest],
    repoTags: [APP_TAG],
    repoDigests: [`registry.example.com/team/app@${manifest}`],
    artifactName: APP_TAG,
    findings: [finding('CVE-2024-0001')],
    warnings: [],
    ...rest,
  };
}

export interface EventSketch {
  readonly time: string;
  /** Default: a UUIDv7 of the time with random bits from `seed`. */
  readonly id?: string;
  readonly seed?: number;
  readonly decision?: EventDecision;
  readonly cluster?: string;
  readonly namespace?: string;
  readonly dryRun?: boolean;
  /** Names of the rules reported (their snapshots). */
  readonly rules?: readonly string[];
  readonly images?: readonly ImageSketch[];
}

export interface ImageSketch {
  readonly reference: string;
  readonly digest?: string;
  readonly violations?: readonly { readonly rule: string; readonly cves: readonly string[] }[];
}

let seeds = 0;

export function anEvent(sketch: EventSketch): AdmissionEvent {
  const seed = sketch.seed ?? ++seeds;
  const random = Buffer.alloc(10);
  random.writeUInt32BE(seed >>> 0, 6);
  return {
    id: sketch.id ?? eventId(new Date(sketch.time), random),
    time: sketch.time,
    ...(sketch.cluster !== undefined && { cluster: sketch.cluster, provider: 'aws', account: '123456789012' }),
    namespace: sketch.namespace ?? 'payments',
    kind: 'Deployment',
    name: 'checkout',
    workload: 'checkout',
    operation: 'CREATE',
    user: 'alice@example.com',
    dryRun: sketch.dryRun ?? false,
    decision: sketch.decision ?? 'Denied',
    message: 'checkout: 1 image violates a rule',
    images: (sketch.images ?? []).map((image) => ({
      reference: image.reference,
      ...(image.digest !== undefined && { digest: image.digest }),
      scanStatus: 'Scanned',
      counts: { ...NO_COUNTS, High: 1 },
      matched: [...new Set((image.violations ?? []).flatMap((violation) => violation.cves))],
      findings: [...new Set((image.violations ?? []).flatMap((violation) => violation.cves))].map((id) => ({ id, severity: 'High', package: 'openssl', version: '1.0.0', fixedVersion: '1.0.1' })),
      violations: (image.violations ?? []).map((violation): EventViolation => ({
        rule: violation.rule,
        action: 'Deny',
        enforced: true,
        reason: 'Findings',
        detail: `${violation.cves.length} findings`,
        findingCount: violation.cves.length,
        findings: violation.cves,
      })),
    })),
    rules: (sketch.rules ?? []).map((name) => ({
      name,
      action: 'Deny',
      description: 'Denies images with High findings.',
      scope: {},
      conditions: { severities: ['High'] },
      unscanned: 'Ignore',
      timeZone: 'UTC',
      exemptions: [],
    })),
    source: 'webhook',
  };
}

/**
 * Rows of `scans` as a database at schema 2 (before finding counts) holds them: 4, 3 and 2
 * findings. `migratedPage` reads what migration 3 made of them.
 */
export const SCHEMA_2_SCANS = [
  [1, 4],
  [2, 3],
  [3, 2],
].map(([seq = 0, count = 0]) => ({
  id: `scan-${seq}`,
  keys: JSON.stringify([digest(String(seq))]),
  receivedAt: at(0),
  body: JSON.stringify(aScan({ manifestDigest: digest(String(seq)), findings: Array.from({ length: count }, (_, i) => finding(`CVE-2024-000${i}`)) })),
  seq,
}));

/** A page of 7 findings at most takes the first two of SCHEMA_2_SCANS (4 + 3), and says more follow. */
export async function migratedPage(store: Pick<Store, 'scans'>): Promise<{ ids: string[]; more: boolean }> {
  const page = await store.scans.changesSince(0, 10, 7);
  return { ids: page.scans.map((scan) => scan.id), more: page.more };
}

