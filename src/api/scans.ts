// /api/v1/scans and /api/v1/images: scan reports in (Trivy, Grype, or our own normalized
// ImageScan), and what is known of an image out: its status, counts, tags and findings.
import { createHash, type Hash } from 'node:crypto';
import { z } from 'zod';
import { mergeFindings } from '../findings/catalog.js';
import type { ImageScan, ScannerKind } from '../findings/model.js';
import { parseGrypeReport } from '../findings/parsers/grype.js';
import { detectScanFormat, type ScanFormat } from '../findings/parsers/scan-report.js';
import { isoTime, keyedByImageIdWarning, referenceName } from '../findings/parsers/report-common.js';
import { parseTrivyReport } from '../findings/parsers/trivy.js';
import { SEVERITIES } from '../findings/severity.js';
import { formatImageReference, isDigest, parseImageReference, taggedName, type ImageReference } from '../images/reference.js';
import { NO_COUNTS, type SeverityCounts } from '../policy/evidence.js';
import { InputError, type Problem } from '../problems.js';
import { primaryKey } from '../store/scan-plan.js';
import type { ImageRecord, StoredScan } from '../store/store.js';
import { ACCESS } from './access.js';
import { ApiError, type ApiProblem } from './errors.js';
import { CvssSchema, SeverityCountsSchema } from './event-schemas.js';
import { defineRoute, type Route } from './route.js';
import { InstantSchema } from './schemas.js';
import { parseAt } from './validation.js';

const SCANNER_KINDS = ['trivy', 'grype', 'native', 'ecr', 'gar', 'acr', 'harbor', 'trivy-operator'] as const satisfies readonly ScannerKind[];
const FORMATS = ['trivy', 'grype', 'native'] as const;
type Format = (typeof FORMATS)[number];
const NAMES: Record<Format, string> = { trivy: 'Trivy', grype: 'Grype', native: 'native ImageScan' };

const Digest = z.string().refine(isDigest, 'must be a digest: sha256: and 64 hex digits');

const FindingSchema = z
  .strictObject({
    id: z.string().min(1).describe('CVE-…, GHSA-…, ALAS-…'),
    aliases: z.array(z.string().min(1)).default([]),
    severity: z.enum(SEVERITIES),
    sourceSeverity: z.string().optional().describe("The source's own severity word."),
    cvss: CvssSchema.optional(),
    package: z.strictObject({ name: z.string().min(1), version: z.string(), type: z.string().optional(), purl: z.string().optional() }),
    fixedVersion: z.string().optional(),
    fixAvailable: z.boolean().optional().describe('Default: whether a fixedVersion is given.'),
    title: z.string().optional(),
    url: z.string().optional(),
    knownExploited: z.boolean().optional(),
  })
  .meta({ id: 'Finding' });

/** The native format: an ImageScan as Portcullis keeps it, for sources that have no report format of their own. */
const NativeScanSchema = z
  .strictObject({
    source: z.strictObject({ scanner: z.enum(SCANNER_KINDS).default('native'), version: z.string().optional() }).default({ scanner: 'native' }),
    scannedAt: InstantSchema.optional().describe('When the scan was made; omitted: when it is received.'),
    manifestDigest: Digest.optional().describe('The platform manifest digest.'),
    digests: z.array(Digest).default([]).describe('Every digest the scan answers for (the manifest digest and the repo digests are added).'),
    imageId: Digest.optional().describe('The image (config) id: the key of a scan without digests.'),
    repoTags: z.array(z.string()).default([]).describe('References with a tag: alpine:3.20, ghcr.io/org/app:1.2.'),
    repoDigests: z.array(z.string()).default([]).describe('References with a digest: alpine@sha256:….'),
    artifactName: z.string().optional(),
    os: z.strictObject({ family: z.string().min(1), name: z.string().optional() }).optional(),
    findings: z.array(FindingSchema),
    warnings: z.array(z.string()).default([]),
  })
  .meta({ id: 'ImageScan', description: 'A scan in the native format: one image, its digests and tags, and its findings.' });

const ScanReportSchema = z
  .union([NativeScanSchema, z.looseObject({}).describe('A Trivy JSON report (trivy image --format json) or a Grype JSON report (grype -o json).')])
  .describe('A Trivy or Grype JSON report as the scanner wrote it, or a native ImageScan.');

const ScanResultSchema = z
  .object({
    id: z.string().describe('The stored scan: the new one, or the one already current.'),
    keys: z.array(z.string()).describe('What the image is found by: digests, or id:<image id>.'),
    scanner: z.enum(SCANNER_KINDS),
    created: z.boolean().describe('false: this report was already stored (or a newer scan stands), nothing changed.'),
    replaced: z.array(z.string()).describe('The older scans of the same image and scanner this one replaced.'),
    counts: SeverityCountsSchema,
    warnings: z.array(z.string()),
  })
  .meta({ id: 'ScanResult' });

const StoredScanSchema = z.object({
  id: z.string(),
  scanner: z.enum(SCANNER_KINDS),
  version: z.string().optional(),
  scannedAt: InstantSchema.optional(),
  receivedAt: InstantSchema,
  keys: z.array(z.string()),
  artifactName: z.string(),
  warnings: z.array(z.string()),
});

const ImageSchema = z
  .object({
    reference: z.string().optional().describe('The normalized reference asked for (GET /api/v1/images?reference=).'),
    key: z.string().optional().describe('The digest (or id:<image id>) the findings are stored under.'),
    digest: z.string().optional(),
    scanStatus: z.enum(['Scanned', 'NotScanned']),
    counts: SeverityCountsSchema,
    scannedAt: InstantSchema.optional().describe('The newest scan (its own time, else when it was received).'),
    tags: z.array(z.string()),
    repoDigests: z.array(z.string()),
    scans: z.array(StoredScanSchema).describe('The newest scan of each scanner.'),
    findingCount: z.number().int().min(0).describe('Every finding, of every scanner, each vulnerability of each package once.'),
    findings: z.array(FindingSchema).describe('Worst first, from `offset`, at most `limit`.'),
    nextOffset: z.number().int().optional().describe('Pass as `offset` for the next findings; absent when these are the last.'),
  })
  .meta({ id: 'Image' });

const FINDINGS_DEFAULT = 500;
const FINDINGS_MAX = 5000;

const FindingsPage = {
  limit: z.coerce.number().int().min(1).max(FINDINGS_MAX).default(FINDINGS_DEFAULT).describe(`Findings answered, 1 to ${FINDINGS_MAX} (default ${FINDINGS_DEFAULT}).`),
  offset: z.coerce.number().int().min(0).default(0).describe('Findings skipped (worst first).'),
};

const ImageKey = z
  .string()
  .refine((key) => isDigest(key) || (key.startsWith('id:') && isDigest(key.slice(3))), 'must be a digest (sha256:…) or id:<image id>, URL-encoded')
  .describe('A digest, or id:<image id> for a scan keyed by image id.');

export const scanRoutes: readonly Route[] = [
  defineRoute({
    operationId: 'postScan',
    method: 'POST',
    url: '/api/v1/scans',
    access: ACCESS.postScans,
    summary: 'Store a scan report',
    description:
      'A Trivy or Grype JSON report (the format is detected, or named with `format`), or a native ImageScan. ' +
      'A newer scan of the same image from the same scanner replaces the older one. The same report posted again is 200 with `created: false`. ' +
      '400 lists every problem of the report with its path; nothing is stored.',
    tags: ['scans'],
    query: z.strictObject({ format: z.enum(FORMATS).optional().describe('Skip detection.') }),
    documentedBody: ScanReportSchema,
    bodyLimit: 'scan',
    status: 201,
    response: ScanResultSchema,
    handler: async ({ query, body }, { store, now, reply }) => {
      const scan = scanOf(body, query.format);
      const hash = reportHash(scan);
      const result = await store.scans.put(scan, hash, now.toISOString());
      const stored = result.scan;
      if (!result.created) reply.code(200);
      reply.header('location', `/api/v1/images/${encodeURIComponent(primaryKey(stored.scan, stored.keys))}`);
      const warnings = [...scan.warnings];
      if (!result.created && stored.reportHash !== hash) {
        warnings.push(`not stored: a newer ${stored.scanner} scan of this image (${stored.id}, ${stored.scannedAt ?? stored.receivedAt}) is current`);
      }
      return { id: stored.id, keys: [...stored.keys], scanner: stored.scanner as ScannerKind, created: result.created, replaced: [...result.replaced], counts: countsOf(scan), warnings };
    },
  }),
  defineRoute({
    operationId: 'getImage',
    method: 'GET',
    url: '/api/v1/images/:digest',
    access: ACCESS.read,
    summary: 'An image by digest: scan status, counts, tags, scans and findings',
    description: 'By any digest a scan answers for (a platform manifest or a multi-arch index), or `id:<image id>`. 404 when no scan covers it.',
    tags: ['scans'],
    params: z.object({ digest: ImageKey }),
    query: z.strictObject(FindingsPage),
    response: ImageSchema,
    handler: async ({ params, query }, { store }) => {
      const record = await store.scans.image(params.digest);
      if (!record) throw new ApiError('not_found', `No scan covers the image '${params.digest}'.`);
      return imageView(record, query);
    },
  }),
  defineRoute({
    operationId: 'findImage',
    method: 'GET',
    url: '/api/v1/images',
    access: ACCESS.read,
    summary: 'An image by reference, as admission finds it: by its digest, else by the tag scans reported',
    description: 'An image no scan covers is answered with scanStatus NotScanned.',
    tags: ['scans'],
    query: z.strictObject({ reference: z.string().min(1).describe('nginx:1.27, ghcr.io/org/app@sha256:…'), ...FindingsPage }),
    response: ImageSchema,
    handler: async ({ query }, { store }) => {
      const ref = referenceOf(query.reference);
      const tag = taggedName(ref);
      const key = ref.digest ?? (tag === undefined ? undefined : await store.scans.keyForTag(tag));
      const record = key === undefined ? undefined : await store.scans.image(key);
      const reference = formatImageReference(ref);
      if (!record) return { reference, ...(ref.digest !== undefined && { digest: ref.digest }), ...notScanned() };
      return { reference, ...imageView(record, query) };
    },
  }),
];

// ---- reading a report ---------------------------------------------------------------------------

const PARSERS: Record<ScanFormat, (doc: unknown, file: string) => ImageScan> = { trivy: parseTrivyReport, grype: parseGrypeReport };

function scanOf(body: unknown, format: Format | undefined): ImageScan {
  if (body === undefined) throw ApiError.invalid([{ path: 'body', message: 'is required: a Trivy or Grype JSON report, or a native ImageScan' }]);
  const detected = detectFormat(body);
  if (format === undefined && detected === undefined) {
    throw ApiError.invalid([{ path: 'body', message: 'expected a Trivy JSON report (SchemaVersion and Results), a Grype JSON report (matches and source), or a native ImageScan (source and findings)' }]);
  }
  if (format !== undefined && detected !== undefined && detected !== format) {
    throw ApiError.invalid([{ path: 'query.format', message: `the body is a ${NAMES[detected]}, not a ${NAMES[format]}` }]);
  }
  const chosen = format ?? (detected as Format);
  try {
    return chosen === 'native' ? nativeScan(body) : PARSERS[chosen](body, 'body');
  } catch (error) {
    if (error instanceof InputError) throw ApiError.invalid(error.problems.map(bodyProblem), `The ${NAMES[chosen]} has ${plural(error.problems.length, 'problem')}: see problems.`);
    throw error;
  }
}

function detectFormat(body: unknown): Format | undefined {
  const scanner = detectScanFormat(body);
  if (scanner !== undefined) return scanner;
  const isNative = typeof body === 'object' && body !== null && !Array.isArray(body) && Object.hasOwn(body, 'findings') && !Object.hasOwn(body, 'matches');
  return isNative ? 'native' : undefined;
}

/** A parser's problem (a path inside the report) as a place in the request. */
function bodyProblem(problem: Problem): ApiProblem {
  const path = problem.path ?? '';
  return { path: path === '' ? 'body' : path.startsWith('[') ? `body${path}` : `body.${path}`, message: problem.message };
}

/** A native scan, checked and normalized as the parsers normalize theirs: the same report hashes the same. */
function nativeScan(body: unknown): ImageScan {
  const parsed = parseAt(NativeScanSchema, body, 'body');
  if (!parsed.ok) throw ApiError.invalid(parsed.problems, parsed.problems.length === 1 ? undefined : `The native ImageScan has ${parsed.problems.length} problems: see problems.`);
  const scan = parsed.value;
  const problems: ApiProblem[] = [];
  const names = (list: readonly string[], want: 'tag' | 'digest', field: string): string[] => [
    ...new Set(list.flatMap((value, i) => referenceName(value, want, (message) => problems.push({ path: `body.${field}[${i}]`, message })) ?? [])),
  ];
  const repoTags = names(scan.repoTags, 'tag', 'repoTags');
  const repoDigests = names(scan.repoDigests, 'digest', 'repoDigests');
  const digests = [...new Set([...(scan.manifestDigest === undefined ? [] : [scan.manifestDigest]), ...scan.digests, ...repoDigests.map((name) => name.slice(name.indexOf('@') + 1))])];
  const warnings = [...scan.warnings];
  if (digests.length === 0) {
    if (scan.imageId === undefined) problems.push({ path: 'body.digests', message: 'names no digest and no image ID, so no image can be matched to it' });
    else warnings.push(keyedByImageIdWarning(scan.imageId, repoTags));
  }
  if (problems.length > 0) throw ApiError.invalid(problems);
  const scannedAt = scan.scannedAt === undefined ? undefined : isoTime(scan.scannedAt);
  return {
    source: { scanner: scan.source.scanner, ...(scan.source.version !== undefined && { version: scan.source.version }) },
    ...(scannedAt !== undefined && { scannedAt }),
    ...(scan.manifestDigest !== undefined && { manifestDigest: scan.manifestDigest }),
    digests,
    ...(scan.imageId !== undefined && { imageId: scan.imageId }),
    repoTags,
    repoDigests,
    artifactName: scan.artifactName ?? repoTags[0] ?? repoDigests[0] ?? scan.imageId ?? '',
    ...(scan.os !== undefined && { os: scan.os }),
    findings: scan.findings.map(({ fixAvailable, ...finding }) => ({ ...finding, fixAvailable: fixAvailable ?? finding.fixedVersion !== undefined })),
    warnings,
  };
}

/** SHA-256 of the scan as canonical JSON (keys sorted, undefined left out): equal scans, equal hashes. */
export function reportHash(scan: ImageScan): string {
  const hash = createHash('sha256');
  canonical(scan, hash);
  return hash.digest('hex');
}

// Streams into the hash: the JSON of a large report is never built as one string.
function canonical(value: unknown, hash: Hash): void {
  if (Array.isArray(value)) {
    hash.update('[');
    value.forEach((item, i) => {
      if (i > 0) hash.update(',');
      canonical(item === undefined ? null : item, hash);
    });
    hash.update(']');
  } else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, entry]) => entry !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    hash.update('{');
    entries.forEach(([key, entry], i) => {
      hash.update(`${i > 0 ? ',' : ''}${JSON.stringify(key)}:`);
      canonical(entry, hash);
    });
    hash.update('}');
  } else hash.update(JSON.stringify(value) ?? 'null');
}

/** As the image will count them: a vulnerability reported under two ids (a GHSA and its CVE) once. */
function countsOf(scan: ImageScan): SeverityCounts {
  const counts = { ...NO_COUNTS };
  for (const finding of mergeFindings([scan])) counts[finding.severity] += 1;
  return counts;
}

// ---- answering for an image ---------------------------------------------------------------------

function referenceOf(reference: string): ImageReference {
  try {
    return parseImageReference(reference);
  } catch (error) {
    throw ApiError.invalid([{ path: 'query.reference', message: (error as Error).message }]);
  }
}

function imageView(record: ImageRecord, page: { limit: number; offset: number }): z.input<typeof ImageSchema> {
  const end = page.offset + page.limit;
  return {
    key: record.key,
    ...(!record.key.startsWith('id:') && { digest: record.key }),
    scanStatus: 'Scanned',
    counts: record.counts,
    ...(record.scannedAt !== undefined && { scannedAt: record.scannedAt }),
    tags: [...record.tags],
    repoDigests: [...record.repoDigests],
    scans: record.scans.map(scanView),
    findingCount: record.findings.length,
    findings: record.findings.slice(page.offset, end).map((finding) => ({ ...finding, aliases: [...finding.aliases] })),
    ...(end < record.findings.length && { nextOffset: end }),
  };
}

function scanView(stored: StoredScan): z.input<typeof StoredScanSchema> {
  return {
    id: stored.id,
    scanner: stored.scanner as ScannerKind,
    ...(stored.scan.source.version !== undefined && { version: stored.scan.source.version }),
    ...(stored.scannedAt !== undefined && { scannedAt: stored.scannedAt }),
    receivedAt: stored.receivedAt,
    keys: [...stored.keys],
    artifactName: stored.scan.artifactName,
    warnings: [...stored.scan.warnings],
  };
}

function notScanned(): Omit<z.input<typeof ImageSchema>, 'reference'> {
  return { scanStatus: 'NotScanned', counts: NO_COUNTS, tags: [], repoDigests: [], scans: [], findingCount: 0, findings: [] };
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
