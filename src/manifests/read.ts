// Kubernetes manifest files (multi-document YAML, JSON, Lists) read into objects and their
// workloads, with every problem of a file named by document, path and line.
import { readFileSync } from 'node:fs';
import { readDocuments, readJson, type PathSegment, type SourceDocument } from '../input/source-text.js';
import { InputError, formatPath, type Problem } from '../problems.js';
import { extractWorkload, type ExtractOptions, type Workload } from '../workloads/extract.js';
import { FieldReader, MalformedObjectError, type FieldIssue } from '../workloads/fields.js';
import { objectsOf, type KubernetesObject } from './objects.js';

export type { KubernetesObject } from './objects.js';

export interface ManifestObject {
  /** The file as the user named it (`<stdin>` for `-`). */
  readonly file: string;
  /** 0-based position of the object's document among the file's non-empty documents. */
  readonly index: number;
  /** Where the object sits in its document: `[]`, or `['items', 2]` inside a List. */
  readonly path: readonly PathSegment[];
  /** 1-based line where the object starts. */
  readonly line: number;
  readonly object: KubernetesObject;
  /** Present for pod-bearing objects; any other object is allowed untouched. */
  readonly workload?: Workload;
}

export type ReadManifestOptions = ExtractOptions;

/**
 * Every object of one file, in file order. Throws one InputError with every problem of the file
 * (syntax, documents that are not objects, missing apiVersion or kind, malformed workloads),
 * each with the file, the 1-based document number, the path and the line.
 */
export function readManifests(text: string, file: string, options: ReadManifestOptions = {}): ManifestObject[] {
  const problems: Problem[] = [];
  const manifests: ManifestObject[] = [];
  parse(text, file).forEach((document, index) => {
    const problemOf = (issue: FieldIssue): Problem => ({
      file,
      path: formatPath('', issue.path),
      line: document.lineOf(issue.path),
      message: `${issue.message} (document ${index + 1})`,
    });
    const reader = new FieldReader();
    for (const { path, object } of objectsOf(document.value, reader)) {
      try {
        const workload = extractWorkload(object, options);
        manifests.push({ file, index, path, line: document.lineOf(path) ?? 1, object, ...(workload && { workload }) });
      } catch (error) {
        if (!(error instanceof MalformedObjectError)) throw error;
        problems.push(...error.issues.map((issue) => problemOf({ path: [...path, ...issue.path], message: issue.message })));
      }
    }
    problems.push(...reader.issues.map(problemOf));
  });
  if (problems.length > 0) throw new InputError(problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  return manifests;
}

/** Reads a file's text; the default reads UTF-8 from disk. */
export type ReadText = (path: string) => string;

export interface ReadManifestFilesOptions extends ReadManifestOptions {
  /** The text of standard input, read by the caller, for a path of `-`. */
  readonly stdin?: string;
}

export const STDIN_FILE = '<stdin>';

/** readManifests over several files (`-` is standard input); one InputError with every file's problems. */
export function readManifestFiles(
  paths: readonly string[],
  readFile: ReadText = (path) => readFileSync(path, 'utf8'),
  options: ReadManifestFilesOptions = {},
): ManifestObject[] {
  const problems: Problem[] = [];
  const manifests = paths.flatMap((path) => {
    try {
      return path === '-' ? readManifests(stdinOf(options), STDIN_FILE, options) : readManifests(textOf(path, readFile), path, options);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(...error.problems);
      return [];
    }
  });
  if (problems.length > 0) throw new InputError(problems);
  return manifests;
}

function parse(text: string, file: string): SourceDocument[] {
  // JSON gets the native parser and JSON's own error messages; YAML reads JSON too, for stdin.
  return file.toLowerCase().endsWith('.json') ? [readJson(text, file)] : readDocuments(text, file);
}

function stdinOf(options: ReadManifestFilesOptions): string {
  if (options.stdin === undefined) throw InputError.of({ file: STDIN_FILE, message: 'standard input (-) was named but not given' });
  return options.stdin;
}

function textOf(path: string, readFile: ReadText): string {
  try {
    return readFile(path);
  } catch (error) {
    throw InputError.of({ file: path, message: `cannot be read: ${reasonOf(error)}` });
  }
}

const FILE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
};

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && FILE_ERRORS[code] !== undefined) return FILE_ERRORS[code];
  return error instanceof Error ? error.message : String(error);
}
