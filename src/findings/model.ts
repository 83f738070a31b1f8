// The normalized vulnerability model every scanner and registry format is parsed into.
import type { Severity } from './severity.js';

export type { Severity } from './severity.js';

export interface Cvss {
  readonly score: number;
  readonly vector?: string;
  /** '2.0', '3.0', '3.1', '4.0' */
  readonly version?: string;
  /** Whose score it is (nvd, ghsa, redhat, …) when the source says. */
  readonly source?: string;
}

export interface FindingPackage {
  readonly name: string;
  readonly version: string;
  /** The package ecosystem: deb, apk, rpm, jar, gemspec, npm, … */
  readonly type?: string;
  readonly purl?: string;
}

export interface Finding {
  /** The vulnerability id as the source names it: CVE-…, GHSA-…, ALAS-… */
  readonly id: string;
  /** Other ids of the same vulnerability (a GHSA's CVE, a CVE's GHSA). */
  readonly aliases: readonly string[];
  readonly severity: Severity;
  /** The source's own severity word, kept as it was. */
  readonly sourceSeverity?: string;
  readonly cvss?: Cvss;
  readonly package: FindingPackage;
  readonly fixedVersion?: string;
  readonly fixAvailable: boolean;
  readonly title?: string;
  readonly url?: string;
  /** Listed as exploited in the wild (CISA KEV), when the source says. */
  readonly knownExploited?: boolean;
}

export type ScannerKind = 'trivy' | 'grype' | 'native' | 'ecr' | 'gar' | 'acr' | 'harbor' | 'trivy-operator';

export interface ScanSource {
  readonly scanner: ScannerKind;
  readonly version?: string;
}

/** One scan of one image by one source, with everything needed to find it again by reference. */
export interface ImageScan {
  readonly source: ScanSource;
  /** When the scan was made (ISO-8601), when the source says. */
  readonly scannedAt?: string;
  /** The platform manifest digest (`sha256:…`), when the report names one. */
  readonly manifestDigest?: string;
  /**
   * Every digest this scan answers for: the manifest digest, and the digests of the repo digests
   * the report names (for a multi-arch tag that includes the index digest).
   */
  readonly digests: readonly string[];
  /** The image (config) id, `sha256:…`: the key of a report without repo digests. */
  readonly imageId?: string;
  /** Normalized references with tag the report names: `docker.io/library/alpine:3.20`. */
  readonly repoTags: readonly string[];
  /** Normalized references with digest: `docker.io/library/alpine@sha256:…`. */
  readonly repoDigests: readonly string[];
  /** What the scanner was pointed at, as it says. */
  readonly artifactName: string;
  readonly os?: { readonly family: string; readonly name?: string };
  readonly findings: readonly Finding[];
  /** Things the user should know about this report (no digest, unknown severities, …). */
  readonly warnings: readonly string[];
}
