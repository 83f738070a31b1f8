// Reading fields of an untyped Kubernetes object, collecting every malformed place with its path
// so that one pass tells the user everything that is wrong.
import type { PathSegment } from '../input/source-text.js';
import { InputError, formatPath } from '../problems.js';

export type KubernetesFields = Record<string, unknown>;

/** One malformed field: where (as path segments, so a file reader can find the line) and what. */
export interface FieldIssue {
  readonly path: readonly PathSegment[];
  readonly message: string;
}

/**
 * A malformed object. Its problems name paths inside the object and no file: the caller knows
 * the file, and `issues` keeps the paths as segments so it can look up their lines.
 */
export class MalformedObjectError extends InputError {
  readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[]) {
    super(issues.map((issue) => ({ path: formatPath('', issue.path), message: issue.message })));
    this.issues = issues;
  }
}

export function isFields(value: unknown): value is KubernetesFields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Follows keys through nested objects; undefined as soon as one step is not an object. */
export function valueAt(object: unknown, path: readonly string[]): unknown {
  let value = object;
  for (const key of path) {
    if (!isFields(value)) return undefined;
    value = value[key];
  }
  return value;
}

/**
 * Typed reads that record what is wrong instead of throwing at the first problem. Kubernetes
 * treats an explicit `null` like an absent field (YAML `labels:` with nothing after it), and so
 * do these reads.
 */
export class FieldReader {
  readonly issues: FieldIssue[] = [];

  report(path: readonly PathSegment[], message: string): void {
    this.issues.push({ path, message });
  }

  object(value: unknown, path: readonly PathSegment[]): KubernetesFields | undefined {
    if (value === undefined || value === null) {
      this.report(path, 'missing');
      return undefined;
    }
    return this.optionalObject(value, path);
  }

  /** The object at a path of keys; names the first step that is missing or not an object. */
  objectAt(root: KubernetesFields, path: readonly string[]): KubernetesFields | undefined {
    let current = root;
    for (const [depth, key] of path.entries()) {
      const value = current[key];
      if (value === undefined || value === null) {
        // The whole path: `spec.template.spec: missing` says what the user has to add.
        this.report(path, 'missing');
        return undefined;
      }
      if (!isFields(value)) {
        this.report(path.slice(0, depth + 1), `must be an object, not ${describe(value)}`);
        return undefined;
      }
      current = value;
    }
    return current;
  }

  optionalObject(value: unknown, path: readonly PathSegment[]): KubernetesFields | undefined {
    if (value === undefined || value === null) return undefined;
    if (isFields(value)) return value;
    this.report(path, `must be an object, not ${describe(value)}`);
    return undefined;
  }

  string(value: unknown, path: readonly PathSegment[]): string | undefined {
    if (value === undefined || value === null) {
      this.report(path, 'missing');
      return undefined;
    }
    return this.optionalString(value, path);
  }

  optionalString(value: unknown, path: readonly PathSegment[]): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    this.report(path, `must be a string, not ${describe(value)}`);
    return undefined;
  }

  optionalBoolean(value: unknown, path: readonly PathSegment[]): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    this.report(path, `must be true or false, not ${describe(value)}`);
    return undefined;
  }

  list(value: unknown, path: readonly PathSegment[]): readonly unknown[] {
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    this.report(path, `must be a list, not ${describe(value)}`);
    return [];
  }

  /** Labels and annotations: every value a string, as the API server insists (YAML `1.0` is a number). */
  stringMap(value: unknown, path: readonly PathSegment[]): Record<string, string> {
    const fields = this.optionalObject(value, path);
    const map: Record<string, string> = {};
    for (const [key, entry] of Object.entries(fields ?? {})) {
      if (typeof entry === 'string') map[key] = entry;
      else this.report([...path, key], `must be a string, not ${describe(entry)} (quote it)`);
    }
    return map;
  }

  /** Ends the read: throws every issue found, if any. */
  throwIfMalformed(): void {
    if (this.issues.length > 0) throw new MalformedObjectError(this.issues);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `the ${typeof value} ${JSON.stringify(value)}`;
}
