// Reading user files (YAML, multi-document YAML, JSON) so that every problem can name its line.
import { LineCounter, isCollection, isScalar, parseAllDocuments, parseDocument, type Document } from 'yaml';
import { InputError, type Problem } from '../problems.js';

export type PathSegment = string | number;

/** One parsed document, and a way back from a path inside it to its line in the file. */
export interface SourceDocument {
  readonly value: unknown;
  /** 1-based line of the value at `path` (or of its nearest existing parent). */
  lineOf(path: readonly PathSegment[]): number | undefined;
}

/**
 * Parses YAML with any number of `---` separated documents (JSON is YAML too). Syntax errors are
 * thrown as one InputError naming every broken place; empty documents are skipped.
 */
export function readDocuments(text: string, file: string): SourceDocument[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [];
  const problems: Problem[] = [];
  for (const doc of list) {
    for (const error of doc.errors) {
      problems.push({ file, line: lineCounter.linePos(error.pos[0]).line, message: firstLine(error.message) });
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return list
    .map((doc): SourceDocument => ({ value: doc.toJS({ maxAliasCount: 1000 }) as unknown, lineOf: (path) => lineIn(doc, lineCounter, path) }))
    .filter((doc) => doc.value !== null && doc.value !== undefined);
}

/**
 * Parses one JSON document with the fast native parser. Only when something is wrong (a syntax
 * error, or a caller asking for a line) is the text parsed again to find positions.
 */
export function readJson(text: string, file: string): SourceDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw InputError.of({ file, line: jsonErrorLine(text), message: `not valid JSON: ${(error as Error).message}` });
  }
  let located: { doc: Document; lineCounter: LineCounter } | undefined;
  return {
    value,
    lineOf(path) {
      if (!located) {
        const lineCounter = new LineCounter();
        located = { doc: parseDocument(text, { lineCounter }), lineCounter };
      }
      return lineIn(located.doc, located.lineCounter, path);
    },
  };
}

function lineIn(doc: Document, lineCounter: LineCounter, path: readonly PathSegment[]): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if ((isCollection(node) || isScalar(node)) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

function jsonErrorLine(text: string): number {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const error = doc.errors[0];
  if (error) return lineCounter.linePos(error.pos[0]).line;
  return text.split('\n').length;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
