// What the parser tests share: the InputError a run throws, lines of a report's text, and a
// parsed scan counted and searched.
import { expect } from 'vitest';
import { InputError } from '../../../problems.js';
import type { Finding, ImageScan } from '../../model.js';
import type { Severity } from '../../severity.js';

/** The InputError `run` throws; fails when it returns instead. */
export function inputErrorOf(run: () => unknown): InputError {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error(`expected an InputError, got ${JSON.stringify(result)?.slice(0, 200)}`);
}

/** 1-based line of the only line holding `needle`. */
export function lineOf(text: string, needle: string): number {
  const hits = text.split('\n').flatMap((line, i) => (line.includes(needle) ? [i + 1] : []));
  expect(hits).toHaveLength(1);
  return hits[0] as number;
}

export function countsOf(scan: ImageScan): Record<Severity, number> {
  const counts: Record<Severity, number> = { Critical: 0, High: 0, Medium: 0, Low: 0, Unknown: 0 };
  for (const finding of scan.findings) counts[finding.severity]++;
  return counts;
}

export function findingsOf(scan: ImageScan, id: string, pkg: string): Finding[] {
  return scan.findings.filter((f) => f.id === id && f.package.name === pkg);
}

/** The one finding of `id` in package `pkg`. */
export function findingOf(scan: ImageScan, id: string, pkg: string): Finding {
  const found = findingsOf(scan, id, pkg);
  expect(found).toHaveLength(1);
  return found[0] as Finding;
}
