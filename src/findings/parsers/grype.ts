// Grype JSON reports (`grype <image> -o json`) as ImageScans.
import { z } from 'zod';
import type { PathSegment } from '../../input/source-text.js';
import { isDigest } from '../../images/reference.js';
import { InputError, formatPath, type Problem } from '../../problems.js';
import type { Cvss, Finding, ImageScan } from '../model.js';
import { normalizeSeverity } from '../severity.js';
import { isoTime, keyedByImageIdWarning, nonEmpty, referenceName, unknownSeverityWarning } from './report-common.js';
import { kindOf, parseWith, type LineOf } from './zod-problems.js';

// Loose objects that check only what is read: Grype's schema grows (risk, epss, knownExploited…)
// and Go writes nil slices as null, so every optional field may also be null.
const text = z.string().nullish();

const cvssSchema = z.looseObject({
  source: text,
  type: text,
  version: text,
  vector: text,
  metrics: z.looseObject({ baseScore: z.number().nullish() }).nullish(),
});

const relatedSchema = z.looseObject({
  id: z.string().min(1),
  namespace: text,
  cvss: z.array(cvssSchema).nullish(),
});

const matchSchema = z.looseObject({
  vulnerability: z.looseObject({
    id: z.string().min(1),
    namespace: text,
    severity: text,
    dataSource: text,
    urls: z.array(z.string()).nullish(),
    cvss: z.array(cvssSchema).nullish(),
    fix: z.looseObject({ versions: z.array(z.string()).nullish(), state: text }).nullish(),
    knownExploited: z.array(z.unknown()).nullish(),
  }),
  relatedVulnerabilities: z.array(relatedSchema).nullish(),
  artifact: z.looseObject({
    name: z.string(),
    version: z.string(),
    type: text,
    purl: text,
  }),
});

const imageTargetSchema = z.looseObject({
  userInput: text,
  imageID: text,
  manifestDigest: text,
  tags: z.array(z.string()).nullish(),
  repoDigests: z.array(z.string()).nullish(),
});

const reportSchema = z.looseObject({
  matches: z.array(matchSchema),
  source: z.looseObject({
    type: text,
    // A string for directory and file sources, an object for images.
    target: z.union([z.string(), imageTargetSchema]).nullish(),
  }),
  distro: z.looseObject({ name: text, version: text }).nullish(),
  descriptor: z.looseObject({ name: text, version: text, timestamp: text }).nullish(),
});

type GrypeMatch = z.output<typeof matchSchema>;
type GrypeCvss = z.output<typeof cvssSchema>;

/**
 * Reads a parsed Grype report. Keyed by every digest it names: the platform manifest digest
 * (source.target.manifestDigest) and the digests of source.target.repoDigests, which for a
 * multi-arch tag is the index digest. Throws InputError naming every problem; nothing partial
 * is returned.
 */
export function parseGrypeReport(doc: unknown, file: string, lineOf: LineOf = () => undefined): ImageScan {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw InputError.of({ file, line: lineOf([]), message: `expected a Grype JSON report (an object), got ${kindOf(doc)}` });
  }
  const report = parseWith(reportSchema, doc, file, lineOf);
  const problems: Problem[] = [];
  const at = (path: readonly PathSegment[], message: string): void => {
    const line = lineOf(path);
    problems.push({ file, path: formatPath('', path), ...(line !== undefined && { line }), message });
  };
  const target = typeof report.source.target === 'object' && report.source.target !== null ? report.source.target : undefined;
  const targetPath = ['source', 'target'];

  const manifestDigest = nonEmpty(target?.manifestDigest);
  if (manifestDigest !== undefined && !isDigest(manifestDigest)) at([...targetPath, 'manifestDigest'], `'${manifestDigest}' is not a digest (want sha256: and 64 hex digits)`);
  const digests = manifestDigest === undefined ? [] : [manifestDigest];
  const repoDigests: string[] = [];
  (target?.repoDigests ?? []).forEach((value, i) => {
    const name = referenceName(value, 'digest', (message) => at([...targetPath, 'repoDigests', i], message));
    if (name === undefined) return;
    if (!repoDigests.includes(name)) repoDigests.push(name);
    const digest = name.slice(name.indexOf('@') + 1);
    if (!digests.includes(digest)) digests.push(digest);
  });
  const repoTags: string[] = [];
  (target?.tags ?? []).forEach((value, i) => {
    const name = referenceName(value, 'tag', (message) => at([...targetPath, 'tags', i], message));
    if (name !== undefined && !repoTags.includes(name)) repoTags.push(name);
  });
  const imageId = nonEmpty(target?.imageID);
  if (imageId !== undefined && !isDigest(imageId)) at([...targetPath, 'imageID'], `'${imageId}' is not an image ID (want sha256: and 64 hex digits)`);

  const warnings: string[] = [];
  if (digests.length === 0) {
    if (imageId === undefined) {
      const type = nonEmpty(report.source.type);
      const what = type === undefined || type === 'image' ? '' : ` (it is a scan of a ${type}, not of an image)`;
      at(target === undefined ? ['source'] : targetPath, `names no digest and no image ID${what}, so no image can be matched to it`);
    } else {
      warnings.push(keyedByImageIdWarning(imageId, repoTags));
    }
  } else if (repoDigests.length === 0 && manifestDigest !== undefined) {
    // Grype computes the manifest digest of a local image (docker daemon, archive) itself; a
    // registry that holds the same image may serve it under another digest.
    warnings.push(
      `names no repo digest (the image did not come from a registry), so its manifest digest ${manifestDigest} may not be the one a registry serves` +
        (repoTags.length > 0 ? `; admission may match it only by tag (${repoTags.join(', ')})` : ''),
    );
  }
  if (problems.length > 0) throw new InputError(problems);

  const findings = report.matches.map(findingOf);
  const unknown = findings.filter((f) => f.severity === 'Unknown');
  if (unknown.length > 0) warnings.push(unknownSeverityWarning(unknown));

  const timestamp = nonEmpty(report.descriptor?.timestamp);
  const scannedAt = timestamp === undefined ? undefined : isoTime(timestamp);
  if (timestamp !== undefined && scannedAt === undefined) warnings.push(`descriptor.timestamp '${timestamp}' is not a date, so the time of the scan is unknown`);
  const version = nonEmpty(report.descriptor?.version);
  const osFamily = nonEmpty(report.distro?.name);
  const osName = nonEmpty(report.distro?.version);

  return {
    source: { scanner: 'grype', ...(version !== undefined && { version }) },
    ...(scannedAt !== undefined && { scannedAt }),
    ...(manifestDigest !== undefined && { manifestDigest }),
    digests,
    ...(imageId !== undefined && { imageId }),
    repoTags,
    repoDigests,
    artifactName: nonEmpty(target?.userInput) ?? (typeof report.source.target === 'string' ? report.source.target : undefined) ?? repoTags[0] ?? imageId ?? '',
    ...(osFamily !== undefined && { os: { family: osFamily, ...(osName !== undefined && { name: osName }) } }),
    findings,
    warnings,
  };
}

function findingOf(match: GrypeMatch): Finding {
  const v = match.vulnerability;
  const fixVersions = (v.fix?.versions ?? []).filter((version) => version !== '');
  const fixedVersion = fixVersions.length > 0 ? fixVersions.join(', ') : undefined;
  const state = nonEmpty(v.fix?.state);
  const cvss = bestCvss(match);
  const sourceSeverity = nonEmpty(v.severity);
  const type = nonEmpty(match.artifact.type);
  const purl = nonEmpty(match.artifact.purl);
  const url = nonEmpty(v.dataSource) ?? v.urls?.find((u) => u !== '');
  const aliases = [...new Set((match.relatedVulnerabilities ?? []).map((r) => r.id))].filter((id) => id !== v.id);
  return {
    id: v.id,
    aliases,
    // A match without a severity (grype leaves it out when its data has none) counts as Unknown.
    severity: normalizeSeverity(sourceSeverity),
    ...(sourceSeverity !== undefined && { sourceSeverity }),
    ...(cvss !== undefined && { cvss }),
    package: { name: match.artifact.name, version: match.artifact.version, ...(type !== undefined && { type }), ...(purl !== undefined && { purl }) },
    ...(fixedVersion !== undefined && { fixedVersion }),
    // Old reports and some sources leave the state empty; then a fix version is the only sign.
    fixAvailable: state === undefined || state === 'unknown' ? fixedVersion !== undefined : state === 'fixed',
    ...(url !== undefined && { url }),
    ...(v.knownExploited !== undefined && v.knownExploited !== null && { knownExploited: v.knownExploited.length > 0 }),
  };
}

interface Candidate {
  readonly cvss: GrypeCvss;
  readonly source: string | undefined;
  /** 0 for the vulnerability's own scores, 1 for a related record's. */
  readonly related: number;
}

/** A CVSS v3 score first (NVD's, then the match's own, then a related record's), then v4, then v2. */
function bestCvss(match: GrypeMatch): Cvss | undefined {
  const v = match.vulnerability;
  const candidates: Candidate[] = [
    ...(v.cvss ?? []).map((cvss) => ({ cvss, source: sourceOf(cvss, v.namespace), related: 0 })),
    ...(match.relatedVulnerabilities ?? []).flatMap((r) => (r.cvss ?? []).map((cvss) => ({ cvss, source: sourceOf(cvss, r.namespace), related: 1 }))),
  ].filter((c) => typeof c.cvss.metrics?.baseScore === 'number');
  const rank = (c: Candidate): number[] => [
    versionTier(c.cvss),
    c.source === 'nvd' ? 0 : 1,
    // NVD marks its own analysis Primary and a CNA's Secondary.
    c.cvss.type === 'Secondary' ? 1 : 0,
    c.related,
  ];
  const best = candidates
    .map((c, i) => ({ c, key: [...rank(c), i] }))
    .sort((a, b) => {
      for (let k = 0; k < a.key.length; k++) {
        const d = (a.key[k] ?? 0) - (b.key[k] ?? 0);
        if (d !== 0) return d;
      }
      return 0;
    })[0]?.c;
  if (best === undefined) return undefined;
  const vector = nonEmpty(best.cvss.vector);
  const version = cvssVersion(best.cvss);
  return {
    score: best.cvss.metrics?.baseScore as number,
    ...(vector !== undefined && { vector }),
    ...(version !== undefined && { version }),
    ...(best.source !== undefined && { source: best.source }),
  };
}

function versionTier(cvss: GrypeCvss): number {
  const version = cvssVersion(cvss) ?? '';
  return version.startsWith('3') ? 0 : version.startsWith('4') ? 1 : version.startsWith('2') ? 2 : 3;
}

/** The version as given, else from the vector: `CVSS:3.1/…`, and v2 vectors have no prefix. */
function cvssVersion(cvss: GrypeCvss): string | undefined {
  const vector = nonEmpty(cvss.vector);
  return nonEmpty(cvss.version) ?? (vector === undefined ? undefined : (/^CVSS:(\d\.\d)\//.exec(vector)?.[1] ?? '2.0'));
}

/** Whose score: `nvd@nist.gov` and `nvd:cpe` are nvd, GitHub's are ghsa, else the namespace's owner. */
function sourceOf(cvss: GrypeCvss, namespace: string | null | undefined): string | undefined {
  const named = nonEmpty(cvss.source) ?? nonEmpty(namespace);
  if (named === undefined) return undefined;
  const lower = named.toLowerCase();
  if (lower.startsWith('nvd')) return 'nvd';
  if (lower.startsWith('github') || lower === 'security-advisories@github.com' || lower === 'ghsa') return 'ghsa';
  return lower.split(/[:@]/)[0] ?? lower;
}
