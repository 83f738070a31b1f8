// zod validation failures as Problems: every one, each with its place in the document (a path
// like `Results[0].Vulnerabilities[2].VulnerabilityID` and its line), in words a user can act on.
// Nothing here knows about scan reports, so any validated user document can use it.
import type { z } from 'zod';
import type { PathSegment } from '../../input/source-text.js';
import { InputError, formatPath, type Problem } from '../../problems.js';

/** From a path inside the document to its 1-based line (see SourceDocument.lineOf). */
export type LineOf = (path: readonly PathSegment[]) => number | undefined;

type Issue = z.core.$ZodIssue;
type RawIssue = Parameters<z.core.$ZodErrorMap>[0];

/**
 * Validates `value` against `schema` and answers the parsed value, or throws one InputError with
 * a Problem for every issue. Messages come from problemMessage unless the schema sets its own.
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, file: string, lineOf?: LineOf): z.output<S> {
  const result = schema.safeParse(value, { error: problemMessage, reportInput: true });
  if (!result.success) throw new InputError(zodProblems(result.error, file, lineOf));
  return result.data;
}

/** One Problem per issue (per unknown key for strict objects), each named by path and line. */
export function zodProblems(error: z.ZodError, file: string, lineOf?: LineOf): Problem[] {
  return error.issues.flatMap((issue) => problemsOf(issue, [], file, lineOf));
}

function problemsOf(issue: Issue, parent: readonly PathSegment[], file: string, lineOf: LineOf | undefined): Problem[] {
  const path = [...parent, ...issue.path.filter((key): key is PathSegment => typeof key !== 'symbol')];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => problemAt([...path, key], 'unknown field', file, lineOf));
  }
  if (issue.code === 'invalid_union') {
    // When the value has the type of one alternative but fails inside it, what is wrong inside
    // is more use than "expected a string or an object".
    const inner = issue.errors.find((branch) => branch.some((i) => i.path.length > 0 || i.code !== 'invalid_type'));
    if (inner) return inner.flatMap((i) => problemsOf(i, path, file, lineOf));
  }
  return [problemAt(path, issue.message, file, lineOf)];
}

function problemAt(path: readonly PathSegment[], message: string, file: string, lineOf: LineOf | undefined): Problem {
  const where = formatPath('', path);
  const line = lineOf?.(path);
  return { file, ...(where !== '' && { path: where }), ...(line !== undefined && { line }), message };
}

/**
 * A zod error map in the words of formatProblem: `expected a string, got a number`, `is
 * required`. Pass it as `{ error: problemMessage }`; a message set on a schema still wins.
 */
export function problemMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined || issue.expected === 'nonoptional') return 'is required';
      return `expected ${typeName(issue.expected)}, got ${kindOf(issue.input)}`;
    case 'invalid_union': {
      const expected = issue.errors.map((branch) => (branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0 ? branch[0].expected : undefined));
      if (issue.errors.length === 0 || expected.some((e) => e === undefined)) return undefined;
      if (issue.input === undefined) return 'is required';
      return `expected ${[...new Set(expected as string[])].map(typeName).join(' or ')}, got ${kindOf(issue.input)}`;
    }
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${JSON.stringify(issue.values[0])}` : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return sizeMessage(issue.origin, 'at least', issue.minimum, issue.inclusive);
    case 'too_big':
      return sizeMessage(issue.origin, 'at most', issue.maximum, issue.inclusive);
    case 'invalid_format':
      return issue.format === 'regex' ? `does not have the expected form (${String(issue.pattern)})` : `is not a valid ${issue.format}`;
    case 'unrecognized_keys':
      return 'unknown field';
    default:
      return undefined;
  }
}

function sizeMessage(origin: string, bound: 'at least' | 'at most', limit: number | bigint | Date, inclusive = true): string | undefined {
  const n = Number(limit);
  if (origin === 'string') return bound === 'at least' && n === 1 ? 'must not be empty' : `must have ${bound} ${n} characters`;
  if (origin === 'array' || origin === 'set') return bound === 'at least' && n === 1 ? 'must not be empty' : `must have ${bound} ${n} items`;
  if (origin === 'number' || origin === 'int' || origin === 'bigint') {
    if (inclusive) return `must be ${bound} ${n}`;
    return `must be ${bound === 'at least' ? 'greater' : 'less'} than ${n}`;
  }
  return undefined;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  bigint: 'an integer',
  boolean: 'a boolean',
  array: 'an array',
  tuple: 'an array',
  set: 'an array',
  object: 'an object',
  record: 'an object',
  map: 'an object',
  date: 'a date',
  null: 'null',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

/** What a JSON or YAML value is, as a user would say it. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'not a number';
  if (value instanceof Date) return 'a date';
  const type = typeof value;
  return type === 'object' ? 'an object' : type === 'string' ? 'a string' : type === 'number' ? 'a number' : type === 'boolean' ? 'a boolean' : type;
}
