import { describe, expect, test } from 'vitest';
import { InputError } from '../problems.js';
import { readDocuments, readJson } from './source-text.js';

describe('readDocuments', () => {
  test('reads every non-empty document and finds lines by path', () => {
    const docs = readDocuments('a: 1\n---\n---\nb:\n  c: [x, y]\n', 'f.yaml');
    expect(docs.map((d) => d.value)).toEqual([{ a: 1 }, { b: { c: ['x', 'y'] } }]);
    expect(docs[1]?.lineOf(['b', 'c', 1])).toBe(5);
    expect(docs[1]?.lineOf(['b', 'missing'])).toBe(5);
  });

  test('a syntax error names the file and line', () => {
    expect(() => readDocuments('a: 1\nb: [1, 2\n', 'bad.yaml')).toThrow(InputError);
    try {
      readDocuments('ok: 1\nkey: "unterminated\n', 'bad.yaml');
    } catch (error) {
      const problem = (error as InputError).problems[0];
      expect(problem?.file).toBe('bad.yaml');
      expect(problem?.line).toBeGreaterThanOrEqual(2);
    }
  });

  test('duplicate keys are an error, not a silent overwrite', () => {
    expect(() => readDocuments('a: 1\na: 2\n', 'dup.yaml')).toThrow(/dup.yaml/);
  });
});

describe('readJson', () => {
  test('truncated JSON names the file and a line', () => {
    try {
      readJson('{\n  "a": [1,\n  2', 'cut.json');
      expect.unreachable();
    } catch (error) {
      const problem = (error as InputError).problems[0];
      expect(problem?.file).toBe('cut.json');
      expect(problem?.message).toMatch(/not valid JSON/);
      expect(problem?.line).toBe(3);
    }
  });

  test('finds the line of a nested value', () => {
    const doc = readJson('{\n  "a": {\n    "b": [\n      1,\n      2\n    ]\n  }\n}', 'x.json');
    expect(doc.lineOf(['a', 'b', 1])).toBe(5);
  });
});
