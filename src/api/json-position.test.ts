import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { findJsonFault } from './json-position.js';

describe('findJsonFault', () => {
  test.each([
    ['a trailing comma in an object', '{"a":1,}', 7, 'unexpected "}" at line 1, column 8 (position 7)'],
    ['a broken literal on the second line', '{\n "a": tru\n}', 11, 'unexpected "\\n" at line 2, column 10 (position 11)'],
    ['a text that ends early', '{"a": [1, 2', 11, 'unexpected end of input at line 1, column 12 (position 11)'],
    ['a missing comma in an array', '[1 2]', 3, 'unexpected "2" at line 1, column 4 (position 3)'],
    ['a single-quoted string', "{'a': 1}", 1, `unexpected "'" at line 1, column 2 (position 1)`],
    ['text after the value', '{} x', 3, 'unexpected "x" at line 1, column 4 (position 3)'],
    ['a leading zero', '01', 1, 'unexpected "1" at line 1, column 2 (position 1)'],
    ['a bad escape', '"\\x"', 2, 'unexpected "x" at line 1, column 3 (position 2)'],
  ])('finds %s', (_name, text, position, message) => {
    expect(findJsonFault(text)).toMatchObject({ position, message });
  });

  test('deep nesting does not overflow the stack', () => {
    expect(findJsonFault('['.repeat(200_000))?.position).toBe(200_000);
  });

  test('agrees with JSON.parse on which texts are valid', () => {
    const texts = fc.oneof(
      fc.json(),
      fc.json().map((json) => json.slice(0, -1)),
      fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '1', '-', '.', 'e', ' ', 'a', '\\', 'n', 'u', 'l', 't', 'r') }),
    );
    fc.assert(
      fc.property(texts, (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        expect(findJsonFault(text) === undefined).toBe(valid);
      }),
      { numRuns: 2000 },
    );
  });
});
