import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ApiError, ERROR_CODES, ERRORS } from './errors.js';

describe('the error catalog', () => {
  test('README.md documents every code with its status, and nothing else', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    const documented = [...readme.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((match) => [match[1], Number(match[2])]);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(ERROR_CODES.map((code) => [code, ERRORS[code].status])));
  });

  test('an invalid request with one problem says it in its message', () => {
    expect(ApiError.invalid([{ path: 'body.name', message: 'is required' }]).body()).toEqual({
      error: { code: 'invalid_request', message: 'The request is invalid: body.name: is required', problems: [{ path: 'body.name', message: 'is required' }] },
    });
  });
});
