// Trivy JSON image reports (`trivy image --format json`, SchemaVersion 2) as ImageScans.
import { z } from 'zod';
import type { PathSegment } from '../../input/source-text.js';
import { isDigest } from '../../images/reference.js';
import { InputError, formatPath, type Problem } from '../../problems.js';
import { isoTime, keyedByImageIdWarning, nonEmpty, referenceName, unknownSeverityWarning } from './report-common.js';
import type { Cvss, Finding, ImageScan } from '../model.js';
import { normalizeSeverity, type Severity } from '../severity.js';
import { kindOf, parseWith, type LineOf } from './zod-problems.js';

export const TRIVY_SCHEMA_VERSION = 2;

// Loose objects that check only what is read: Trivy adds fields from release to release, and Go
// writes nil slices and maps as null, so every optional field may also be null.
const text = z.string().nullish();

const cvssSchema = z.looseObject({
  V2Score: z.number().nullish(),
  V2Vector: text,
  V3Score: z.number().nullish(),
  V3Vector: text,
  V40Score: z.number().nullish(),
  V40Vector: text,
});

const vulnerabilitySchema = z.looseObject({
  VulnerabilityID: z.string().min(1),
  PkgName: z.string(),
  InstalledVersion: text,
  FixedVersion: text,
  Status: text,
  Severity: text,
  SeveritySource: text,
  VendorSeverity: z.record(z.string(), z.number()).nullish(),
  CVSS: z.record(z.string(), cvssSchema).nullish(),
  PkgIdentifier: z.looseObject({ PURL: text }).nullish(),
  VendorIDs: z.array(z.string()).nullish(),
  References: z.array(z.string()).nullish(),
  PrimaryURL: text,
  Title: text,
});

const resultSchema = z.looseObject({
  Target: text,
  Class: text,
  Type: text,
  Vulnerabilities: z.array(vulnerabilitySchema).nullish(),
});

const reportSchema = z.looseObject({
  ArtifactName: text,
  ArtifactType: text,
  CreatedAt: text,
  Trivy: z.looseObject({ Version: text }).nullish(),
  Metadata: z
    .looseObject({
      ImageID: text,
      RepoTags: z.array(z.string()).nullish(),
      RepoDigests: z.array(z.string()).nullish(),
      OS: z.looseObject({ Family: z.string(), Name: text, EOSL: z.boolean().nullish() }).nullish(),
    })
    .nullish(),
  Results: z.array(resultSchema).nullish(),
});

type TrivyVulnerability = z.output<typeof vulnerabilitySchema>;
type TrivyResult = z.output<typeof resultSchema>;

/**
 * Reads a parsed Trivy report. Keyed by the digests of Metadata.RepoDigests; a report without
 * them (a scan of an image archive) is keyed by Metadata.ImageID and its RepoTags, with a
 * warning. Throws InputError naming every problem; nothing partial is returned.
 */
export function parseTrivyReport(doc: unknown, file: string, lineOf: LineOf = () => undefined): ImageScan {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw InputError.of({ file, line: lineOf([]), message: `expected a Trivy JSON report (an object), got ${kindOf(doc)}` });
  }
  checkSchemaVersion((doc as Record<string, unknown>).SchemaVersion, file, lineOf);
  const report = parseWith(reportSchema, doc, file, lineOf);
  const metadata = report.Metadata;
  const problems: Problem[] = [];
  const at = (path: readonly PathSegment[], message: string): void => {
    const line = lineOf(path);
    problems.push({ file, path: formatPath('', path), ...(line !== undefined && { line }), message });
  };

  const repoTags: string[] = [];
  (metadata?.RepoTags ?? []).forEach((value, i) => {
    const name = referenceName(value, 'tag', (message) => at(['Metadata', 'RepoTags', i], message));
    if (name !== undefined && !repoTags.includes(name)) repoTags.push(name);
  });
  const repoDigests: string[] = [];
  const digests: string[] = [];
  (metadata?.RepoDigests ?? []).forEach((value, i) => {
    const name = referenceName(value, 'digest', (message) => at(['Metadata', 'RepoDigests', i], message));
    if (name === undefined) return;
    if (!repoDigests.includes(name)) repoDigests.push(name);
    const digest = name.slice(name.indexOf('@') + 1);
    if (!digests.includes(digest)) digests.push(digest);
  });
  const imageId = nonEmpty(metadata?.ImageID);
  if (imageId !== undefined && !isDigest(imageId)) at(['Metadata', 'ImageID'], `'${imageId}' is not an image ID (want sha256: and 64 hex digits)`);

  const warnings: string[] = [];
  if (digests.length === 0) {
    if (imageId === undefined) {
      const type = report.ArtifactType ? ` (ArtifactType ${report.ArtifactType})` : '';
      at(['Metadata'], `names no repo digest and no image ID${type}, so no image can be matched to it; scan an image with \`trivy image\``);
    } else {
      warnings.push(keyedByImageIdWarning(imageId, repoTags));
    }
  }
  if (problems.length > 0) throw new InputError(problems);

  const osFamily = nonEmpty(metadata?.OS?.Family);
  const osName = nonEmpty(metadata?.OS?.Name);
  if (metadata?.OS?.EOSL === true) {
    warnings.push(`the OS (${[osFamily, osName].filter(Boolean).join(' ')}) is end of life: its vendor publishes no more advisories, so findings may be missing`);
  }
  const findings = (report.Results ?? []).flatMap((result) => (result.Vulnerabilities ?? []).map((v) => findingOf(v, result)));
  const unknown = findings.filter((f) => f.severity === 'Unknown');
  if (unknown.length > 0) warnings.push(unknownSeverityWarning(unknown));

  const createdAt = nonEmpty(report.CreatedAt);
  const scannedAt = createdAt === undefined ? undefined : isoTime(createdAt);
  if (createdAt !== undefined && scannedAt === undefined) warnings.push(`CreatedAt '${createdAt}' is not a date, so the time of the scan is unknown`);
  const version = nonEmpty(report.Trivy?.Version);

  return {
    source: { scanner: 'trivy', ...(version !== undefined && { version }) },
    ...(scannedAt !== undefined && { scannedAt }),
    // Trivy's RepoDigests name what the registry served for the tag: for a multi-arch image that
    // is the index, not the platform manifest, and the report does not say which it is.
    digests,
    ...(imageId !== undefined && { imageId }),
    repoTags,
    repoDigests,
    artifactName: nonEmpty(report.ArtifactName) ?? repoTags[0] ?? imageId ?? '',
    ...(osFamily !== undefined && { os: { family: osFamily, ...(osName !== undefined && { name: osName }) } }),
    findings,
    warnings,
  };
}

function checkSchemaVersion(value: unknown, file: string, lineOf: LineOf): void {
  if (value === TRIVY_SCHEMA_VERSION) return;
  const line = lineOf(value === undefined ? [] : ['SchemaVersion']);
  const found = value === undefined ? 'is missing' : `is ${JSON.stringify(value)}`;
  throw InputError.of({
    file,
    path: 'SchemaVersion',
    ...(line !== undefined && { line }),
    message: `${found}; Portcullis reads Trivy JSON reports with SchemaVersion ${TRIVY_SCHEMA_VERSION} (trivy 0.20 or newer, \`--format json\`)`,
  });
}

function findingOf(v: TrivyVulnerability, result: TrivyResult): Finding {
  const fixedVersion = nonEmpty(v.FixedVersion);
  const status = nonEmpty(v.Status);
  const cvss = bestCvss(v);
  const purl = nonEmpty(v.PkgIdentifier?.PURL);
  const type = packageType(result, purl);
  const url = nonEmpty(v.PrimaryURL) ?? v.References?.find((r) => r !== '');
  const title = nonEmpty(v.Title);
  const sourceSeverity = nonEmpty(v.Severity);
  return {
    id: v.VulnerabilityID,
    aliases: aliasesOf(v),
    severity: sourceSeverity === undefined ? vendorSeverity(v) : normalizeSeverity(sourceSeverity),
    ...(sourceSeverity !== undefined && { sourceSeverity }),
    ...(cvss !== undefined && { cvss }),
    package: { name: v.PkgName, version: v.InstalledVersion ?? '', ...(type !== undefined && { type }), ...(purl !== undefined && { purl }) },
    ...(fixedVersion !== undefined && { fixedVersion }),
    // Reports before trivy 0.30 have no Status; then a fixed version is the only sign of a fix.
    fixAvailable: status === undefined ? fixedVersion !== undefined : status === 'fixed',
    ...(title !== undefined && { title }),
    ...(url !== undefined && { url }),
  };
}

const GHSA_ADVISORY = /^https:\/\/github\.com\/advisories\/(GHSA(?:-[23456789cfghjmpqrvwx]{4}){3})\/?$/;

/** Vendor advisory ids (DSA-…, RHSA-…) and the GitHub advisory the references point to. */
function aliasesOf(v: TrivyVulnerability): string[] {
  const ghsa = (v.References ?? []).map((r) => GHSA_ADVISORY.exec(r)?.[1]).filter((id): id is string => id !== undefined);
  return [...new Set([...(v.VendorIDs ?? []), ...ghsa])].filter((id) => id !== '' && id !== v.VulnerabilityID);
}

const VENDOR_SEVERITY: readonly Severity[] = ['Unknown', 'Low', 'Medium', 'High', 'Critical'];

/** Without a Severity, the severity of the vendor Trivy would have trusted: its source, then NVD. */
function vendorSeverity(v: TrivyVulnerability): Severity {
  const byVendor = v.VendorSeverity ?? {};
  const source = nonEmpty(v.SeveritySource);
  const level = (source === undefined ? undefined : byVendor[source]) ?? byVendor.nvd ?? byVendor.ghsa;
  return (level === undefined ? undefined : VENDOR_SEVERITY[level]) ?? 'Unknown';
}

/** A CVSS v3 score first (NVD's, then the severity source's, then any), then v4, then v2. */
function bestCvss(v: TrivyVulnerability): Cvss | undefined {
  const byVendor = v.CVSS ?? {};
  const preferred = ['nvd', nonEmpty(v.SeveritySource), 'ghsa', 'redhat'].filter((x): x is string => x !== undefined);
  const vendors = [...new Set([...preferred.filter((x) => x in byVendor), ...Object.keys(byVendor).sort()])];
  const tiers = [
    { score: 'V3Score', vector: 'V3Vector', version: undefined },
    { score: 'V40Score', vector: 'V40Vector', version: '4.0' },
    { score: 'V2Score', vector: 'V2Vector', version: '2.0' },
  ] as const;
  for (const tier of tiers) {
    for (const vendor of vendors) {
      const entry = byVendor[vendor];
      const score = entry?.[tier.score];
      if (entry === undefined || typeof score !== 'number') continue;
      const vector = nonEmpty(entry[tier.vector]);
      const version = tier.version ?? versionOfVector(vector);
      return { score, ...(vector !== undefined && { vector }), ...(version !== undefined && { version }), source: vendor };
    }
  }
  return undefined;
}

function versionOfVector(vector: string | undefined): string | undefined {
  return vector === undefined ? undefined : /^CVSS:(\d\.\d)\//.exec(vector)?.[1];
}

const OS_PACKAGE_TYPES: Record<string, string> = {
  alpine: 'apk',
  wolfi: 'apk',
  chainguard: 'apk',
  debian: 'deb',
  ubuntu: 'deb',
  redhat: 'rpm',
  centos: 'rpm',
  rocky: 'rpm',
  alma: 'rpm',
  oracle: 'rpm',
  amazon: 'rpm',
  fedora: 'rpm',
  photon: 'rpm',
  'cbl-mariner': 'rpm',
  azurelinux: 'rpm',
  suse: 'rpm',
  'opensuse.leap': 'rpm',
  'opensuse.tumbleweed': 'rpm',
  'suse linux enterprise server': 'rpm',
  'suse linux enterprise micro': 'rpm',
};

/**
 * The package ecosystem. For OS packages Trivy's Type is the OS family (`debian`), so it is
 * mapped to the package format (`deb`); language packages keep Trivy's word (`jar`, `gemspec`).
 */
function packageType(result: TrivyResult, purl: string | undefined): string | undefined {
  const type = nonEmpty(result.Type);
  if (result.Class !== 'os-pkgs') return type;
  return (type === undefined ? undefined : OS_PACKAGE_TYPES[type]) ?? purlType(purl) ?? type;
}

function purlType(purl: string | undefined): string | undefined {
  return purl === undefined ? undefined : /^pkg:([a-z0-9.+-]+)\//i.exec(purl)?.[1]?.toLowerCase();
}
