import { describe, expect, test } from 'vitest';
import { imageRequest, withQuery } from './api.js';
import { advisoryLink, countsText, formatTime, instantToLocalInput, localInputToInstant, shortDigest, totalCounts } from './format.js';

const counts = (critical: number, high: number, medium = 0) => ({ Critical: critical, High: high, Medium: medium, Low: 0, Unknown: 0 });

describe('what the UI writes', () => {
  test('times in UTC to the second; a value that is no time as it is', () => {
    expect(formatTime('2026-11-28T14:03:07.123Z')).toBe('2026-11-28 14:03:07 UTC');
    expect(formatTime('2026-11-28T15:03:07+01:00')).toBe('2026-11-28 14:03:07 UTC');
    expect(formatTime('yesterday')).toBe('yesterday');
  });

  test('counts worst first, only the severities present', () => {
    expect(countsText(counts(0, 12, 3))).toBe('12 High, 3 Medium');
    expect(countsText(counts(0, 0))).toBe('no findings');
    expect(totalCounts([counts(1, 2), counts(3, 0, 5)])).toEqual(counts(4, 2, 5));
  });

  test('a datetime-local value goes to the API as the instant it names in the browser zone, and back', () => {
    const instant = localInputToInstant('2026-03-31T23:30');
    expect(instant).toBe(new Date(2026, 2, 31, 23, 30).toISOString());
    expect(instantToLocalInput(instant)).toBe('2026-03-31T23:30');
    expect(localInputToInstant('')).toBe('');
    expect(instantToLocalInput(undefined)).toBe('');
    expect(instantToLocalInput('not a time')).toBe('');
  });

  test('digests shortened for a cell', () => {
    expect(shortDigest(`sha256:${'a'.repeat(64)}`)).toBe('sha256:aaaaaaaaaaaa…');
    expect(shortDigest('sha256:abc')).toBe('sha256:abc');
  });

  test("an advisory is a link only when it is a web address", () => {
    expect(advisoryLink('https://avd.aquasec.com/nvd/cve-2019-18224')).toBe('https://avd.aquasec.com/nvd/cve-2019-18224');
    expect(advisoryLink('javascript:alert(1)')).toBeUndefined();
    expect(advisoryLink(' JavaScript:alert(1)')).toBeUndefined();
    expect(advisoryLink('data:text/html,<script>alert(1)</script>')).toBeUndefined();
    expect(advisoryLink('not a url')).toBeUndefined();
    expect(advisoryLink(undefined)).toBeUndefined();
  });

  test("an image is asked for by its key when it is a digest or a scan's image id, else by reference", () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    expect(imageRequest(digest, { limit: '100' })).toBe(`/api/v1/images/sha256%3A${'ab'.repeat(32)}?limit=100`);
    expect(imageRequest(`id:${digest}`)).toBe(`/api/v1/images/id%3Asha256%3A${'ab'.repeat(32)}`);
    expect(imageRequest(`nginx@${digest}`)).toBe(`/api/v1/images?reference=nginx%40sha256%3A${'ab'.repeat(32)}`);
    expect(imageRequest('nginx:1.27', { offset: '100' })).toBe('/api/v1/images?reference=nginx%3A1.27&offset=100');
  });

  test('a query repeats a list parameter and leaves out what is empty', () => {
    expect(withQuery('/api/v1/events', { decision: ['Denied', 'Audited'], namespace: 'prod a&b', cluster: '', rule: undefined })).toBe('/api/v1/events?decision=Denied&decision=Audited&namespace=prod+a%26b');
    expect(withQuery('/api/v1/rules', {})).toBe('/api/v1/rules');
  });
});
