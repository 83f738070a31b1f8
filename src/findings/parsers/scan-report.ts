// A scan report file as the user gave it (Trivy or Grype JSON, named or detected) as an ImageScan.
import { readJson } from '../../input/source-text.js';
import { InputError } from '../../problems.js';
import type { ImageScan } from '../model.js';
import { parseGrypeReport } from './grype.js';
import { parseTrivyReport } from './trivy.js';
import { kindOf, type LineOf } from './zod-problems.js';

export const SCAN_FORMATS = ['trivy', 'grype'] as const;
export type ScanFormat = (typeof SCAN_FORMATS)[number];

const NAMES: Record<ScanFormat, string> = { trivy: 'Trivy', grype: 'Grype' };

const PARSERS: Record<ScanFormat, (doc: unknown, file: string, lineOf: LineOf) => ImageScan> = {
  trivy: parseTrivyReport,
  grype: parseGrypeReport,
};

/**
 * Parses a Trivy or Grype JSON report (`auto` detects which). Every problem, from broken JSON to
 * a field of the wrong type, is thrown as one InputError naming the file, the path and the line;
 * nothing partial is returned.
 */
export function parseScanReport(text: string, file: string, format: ScanFormat | 'auto' = 'auto'): ImageScan {
  // Files written on Windows may start with a byte order mark, which JSON.parse refuses.
  const json = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (json.trim() === '') throw InputError.of({ file, line: 1, message: 'the file is empty; expected a Trivy or Grype JSON report' });
  const { value, lineOf } = readJson(json, file);
  const detected = detectScanFormat(value);
  if (format === 'auto') {
    if (detected === undefined) throw InputError.of({ file, line: lineOf([]) ?? 1, message: unknownFormatMessage(value) });
    return PARSERS[detected](value, file, lineOf);
  }
  if (detected !== undefined && detected !== format) {
    throw InputError.of({ file, line: lineOf([]) ?? 1, message: `this is a ${NAMES[detected]} report, but it was given as ${NAMES[format]}` });
  }
  return PARSERS[format](value, file, lineOf);
}

/** Trivy: SchemaVersion with Results or ArtifactName. Grype: matches with source or descriptor. */
export function detectScanFormat(doc: unknown): ScanFormat | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const has = (key: string): boolean => Object.hasOwn(doc, key);
  if (has('SchemaVersion') && (has('Results') || has('ArtifactName'))) return 'trivy';
  if (has('matches') && (has('source') || has('descriptor'))) return 'grype';
  return undefined;
}

function unknownFormatMessage(doc: unknown): string {
  // Before SchemaVersion 2 (trivy 0.20), Trivy wrote a bare array of results.
  if (Array.isArray(doc) && doc.some((item) => typeof item === 'object' && item !== null && 'Target' in item && 'Vulnerabilities' in item)) {
    return 'this is a Trivy report from before SchemaVersion 2 (trivy older than 0.20); scan again with a current trivy and `--format json`';
  }
  const got = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? 'an object with neither' : kindOf(doc);
  return `expected a Trivy JSON report (SchemaVersion and Results) or a Grype JSON report (matches and source), got ${got}`;
}
