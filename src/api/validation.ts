// zod results in the API's problem shape: every problem, each with its place in the request
// (`body.retentionDays`, `query.limit`, `params.index`), in words a user can act on.
import type { z } from 'zod';
import { formatPath } from '../problems.js';
import type { ApiProblem } from './errors.js';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: ApiProblem[] };

/** Parses one part of a request; `root` names that part in problem paths. */
export function parseAt<S extends z.ZodType>(schema: S, value: unknown, root: string): Parsed<z.output<S>> {
  const result = schema.safeParse(value, { error: messageFor });
  return result.success ? { ok: true, value: result.data } : { ok: false, problems: problemsOf(result.error, root) };
}

export function problemsOf(error: z.ZodError, root: string): ApiProblem[] {
  return error.issues.flatMap((issue): ApiProblem[] => {
    const at = formatPath(root, issue.path.filter((key): key is string | number => typeof key !== 'symbol'));
    // One problem per unknown field, named where it is, so none hides behind another.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: formatPath(at, [key]), message: 'unknown field' }));
    return [{ path: at, message: issue.message }];
  });
}

type Issue = Parameters<z.core.$ZodErrorMap>[0];

function messageFor(issue: Issue): string | undefined {
  // A missing enum or literal is missing, not a wrong value: zod reports it as invalid_value.
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && issue.input === undefined) return 'is required';
  if (issue.code === 'invalid_type') return `expected ${issue.expected}, got ${kindOf(issue.input)}`;
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
  return undefined;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'not a number';
  return typeof value;
}
