// zod issues in the words rule problems use: `'BeginsWith' is not one of Equals, StartsWith, …`,
// `unknown field 'foo'`, `is required`, `expected a string, got number`; each with path and line.
import type { z } from 'zod';
import { formatPath, type Problem } from '../problems.js';

export type PathSegment = string | number;

/** Where a document came from, so each problem can name its place. */
export interface ProblemPlace {
  /** The file (or other named source); omitted for a request body. */
  readonly file?: string;
  /** What the path starts with: `rule[2]`, `body`. */
  readonly prefix: string;
  /** The line of a path inside the document (or of its nearest existing parent). */
  readonly lineOf?: (path: readonly PathSegment[]) => number | undefined;
}

/** One problem at a path inside the document. */
export function problemAt(place: ProblemPlace, path: readonly PathSegment[], message: string): Problem {
  const line = place.lineOf?.(path);
  const at = formatPath(place.prefix, path);
  return {
    ...(place.file !== undefined && { file: place.file }),
    ...(at !== '' && { path: at }),
    ...(line !== undefined && { line }),
    message,
  };
}

/**
 * Every issue as a problem. An unknown field is named at its own path (`rule[0].scope.foo`), one
 * problem per field, so none hides behind another.
 */
export function problemsOfIssues(issues: readonly z.core.$ZodIssue[], place: ProblemPlace): Problem[] {
  return issues.flatMap((issue): Problem[] => {
    const path = issue.path.filter((key): key is PathSegment => typeof key !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => problemAt(place, [...path, key], `unknown field '${key}'`));
    }
    return [problemAt(place, path, messageOf(issue))];
  });
}

function messageOf(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return 'is required';
      if (issue.expected === 'int' && typeof input === 'number') return `expected a whole number, got ${input}`;
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${kindOf(input)}`;
    case 'invalid_value': {
      if (input === undefined) return 'is required';
      const values = issue.values.map(String);
      if (!isScalar(input)) return `expected ${values.length === 1 ? values[0] : `one of ${values.join(', ')}`}, got ${kindOf(input)}`;
      return values.length === 1 ? `'${String(input)}' is not ${values[0]}` : `'${String(input)}' is not one of ${values.join(', ')}`;
    }
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'must not be empty';
      if (issue.origin === 'number') return `must be at least ${String(issue.minimum)}, got ${String(input)}`;
      return issue.message;
    case 'too_big':
      if (issue.origin === 'number') return `must be at most ${String(issue.maximum)}, got ${String(input)}`;
      return issue.message;
    default:
      return issue.message;
  }
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
};

function isScalar(value: unknown): value is string | number | boolean | bigint {
  return ['string', 'number', 'boolean', 'bigint'].includes(typeof value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'object') return 'object';
  return typeof value;
}
