// How the snapshot keeps an image's findings on disk: merged and worst first already (done once,
// when a scan is synced), each finding a flat JSON array rather than an object with nested
// objects. An image asked about for the first time is read on the admission path, and this text
// parses several times faster than the findings' own JSON.
import type { Finding } from '../findings/model.js';
import type { Severity } from '../findings/severity.js';

/** [id, aliases, severity, cvss score | null, cvss version | null, package, version, fixedVersion | null, flags] */
type EncodedFinding = [string, readonly string[], Severity, number | null, string | null, string, string, string | null, number];

const FIX_AVAILABLE = 1;
const KNOWN_EXPLOITED = 2;

/** What admission reads of each finding (see compactFinding), as text for decodeFindings. */
export function encodeFindings(findings: readonly Finding[]): string {
  return JSON.stringify(
    findings.map((f): EncodedFinding => [
      f.id,
      f.aliases,
      f.severity,
      f.cvss?.score ?? null,
      f.cvss?.version ?? null,
      f.package.name,
      f.package.version,
      f.fixedVersion ?? null,
      (f.fixAvailable ? FIX_AVAILABLE : 0) | (f.knownExploited === true ? KNOWN_EXPLOITED : 0),
    ]),
  );
}

export function decodeFindings(text: string): Finding[] {
  const encoded = JSON.parse(text) as EncodedFinding[];
  const findings: Finding[] = new Array<Finding>(encoded.length);
  for (let i = 0; i < encoded.length; i++) {
    const [id, aliases, severity, score, cvssVersion, name, version, fixedVersion, flags] = encoded[i] as EncodedFinding;
    // One object shape whatever is absent: optional fields are left out, not set to undefined.
    const finding: { -readonly [K in keyof Finding]: Finding[K] } = { id, aliases, severity, package: { name, version }, fixAvailable: (flags & FIX_AVAILABLE) !== 0 };
    if (score !== null) finding.cvss = cvssVersion === null ? { score } : { score, version: cvssVersion };
    if (fixedVersion !== null) finding.fixedVersion = fixedVersion;
    if ((flags & KNOWN_EXPLOITED) !== 0) finding.knownExploited = true;
    findings[i] = finding;
  }
  return findings;
}
