// A report file as the user gives it: the format detected (or named), and every kind of bad file
// refused with a message naming the file and the place.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatProblem } from '../../problems.js';
import { SCAN_FORMATS, detectScanFormat, parseScanReport } from './scan-report.js';
import { inputErrorOf } from './testing/report-tests.js';

const FIXTURES = join(import.meta.dirname, '../../../test/fixtures');
const fixture = (format: string, name: string): string => readFileSync(join(FIXTURES, format, name), 'utf8');
const filesOf = (format: string): string[] => readdirSync(join(FIXTURES, format)).filter((name) => name.endsWith('.json'));

describe('parseScanReport', () => {
  test('SCAN_FORMATS names the formats it reads', () => {
    expect(SCAN_FORMATS).toEqual(['trivy', 'grype']);
  });

  describe.each(SCAN_FORMATS)('every %s fixture', (format) => {
    test.each(filesOf(format))('%s is detected, and reads the same when named', (name) => {
      const text = fixture(format, name);
      expect(detectScanFormat(JSON.parse(text))).toBe(format);
      const detected = parseScanReport(text, name);
      expect(detected.source.scanner).toBe(format);
      expect(detected.findings.length).toBeGreaterThan(0);
      expect(parseScanReport(text, name, format)).toEqual(detected);
      expect(parseScanReport(text, name, 'auto')).toEqual(detected);
    });
  });

  test('the other scanners and payloads in the fixtures are no Trivy or Grype report', () => {
    for (const dir of ['ecr', 'grafeas', 'azure', 'harbor', 'admission', 'vex']) {
      for (const name of filesOf(dir)) {
        const error = inputErrorOf(() => parseScanReport(fixture(dir, name), name));
        expect(error.problems).toHaveLength(1);
        expect(formatProblem(error.problems[0] ?? { message: '' })).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')}: (expected a Trivy JSON report .* got (an object with neither|an array)) \\(line 1\\)$`));
      }
    }
  });

  test('a report given as the wrong format says which it is', () => {
    const error = inputErrorOf(() => parseScanReport(fixture('trivy', 'alpine-310-image.json'), 'scan.json', 'grype'));
    expect(error.message).toBe('scan.json: this is a Trivy report, but it was given as Grype (line 1)');
  });

  test('a byte order mark before the JSON is no problem', () => {
    const text = fixture('grype', 'keycloak-ubi9-image.json');
    expect(parseScanReport(`\uFEFF${text}`, 'k.json')).toEqual(parseScanReport(text, 'k.json'));
  });
});

describe('bad report files: one InputError naming the file and the place, nothing returned', () => {
  const trivy = fixture('trivy', 'debian-buster-image.json');

  test('truncated JSON names the line where the text ends', () => {
    const cut = trivy.slice(0, trivy.indexOf('"CVE-2019-18224"') + 10);
    const error = inputErrorOf(() => parseScanReport(cut, 'cut.json'));
    expect(error.problems).toEqual([{ file: 'cut.json', line: cut.split('\n').length, message: expect.stringMatching(/^not valid JSON: /) }]);
    expect(error.message).toMatch(new RegExp(`^cut\\.json: not valid JSON: .* \\(line ${cut.split('\n').length}\\)$`));
  });

  test('an empty file', () => {
    for (const text of ['', '  \n\n']) {
      expect(inputErrorOf(() => parseScanReport(text, 'empty.json')).message).toBe('empty.json: the file is empty; expected a Trivy or Grype JSON report (line 1)');
    }
  });

  test('a JSON array', () => {
    expect(inputErrorOf(() => parseScanReport('[\n  {"a": 1}\n]', 'list.json')).message).toBe(
      'list.json: expected a Trivy JSON report (SchemaVersion and Results) or a Grype JSON report (matches and source), got an array (line 1)',
    );
  });

  test('a Trivy report from before SchemaVersion 2 (a bare array of results)', () => {
    const legacy = JSON.stringify((JSON.parse(trivy) as { Results: unknown[] }).Results, null, 2);
    expect(inputErrorOf(() => parseScanReport(legacy, 'old.json')).message).toMatch(/^old\.json: this is a Trivy report from before SchemaVersion 2 \(trivy older than 0\.20\)/);
  });

  test('SchemaVersion 1, naming the field and its line', () => {
    const text = trivy.replace('"SchemaVersion": 2', '"SchemaVersion": 1');
    const error = inputErrorOf(() => parseScanReport(text, 'v1.json'));
    expect(error.problems).toHaveLength(1);
    expect(error.message).toMatch(/^v1\.json: SchemaVersion: is 1; Portcullis reads Trivy JSON reports with SchemaVersion 2 .*\(line 2\)$/);
  });

  test('a wrong type deep inside, with its path and line, and nothing partial', () => {
    const text = trivy.replace('"Severity": "CRITICAL"', '"Severity": ["CRITICAL"]');
    const line = text.split('\n').findIndex((l) => l.includes('"Severity": [')) + 1;
    const error = inputErrorOf(() => parseScanReport(text, 'deep.json'));
    expect(error.message).toBe(`deep.json: Results[0].Vulnerabilities[1].Severity: expected a string, got an array (line ${line})`);
  });

  test('a Grype report whose matches is not an array', () => {
    const grype = JSON.parse(fixture('grype', 'alpine-java-test-image.json')) as Record<string, unknown>;
    grype.matches = { first: {} };
    const error = inputErrorOf(() => parseScanReport(JSON.stringify(grype, null, 2), 'g.json'));
    expect(error.problems).toEqual([{ file: 'g.json', path: 'matches', line: 2, message: 'expected an array, got an object' }]);
  });

  test('JSON null, a number, a string', () => {
    for (const [text, got] of [
      ['null', 'null'],
      ['42', 'a number'],
      ['"report"', 'a string'],
    ] as const) {
      expect(inputErrorOf(() => parseScanReport(text, 'x.json')).message).toMatch(new RegExp(`^x\\.json: expected a Trivy JSON report .*, got ${got} \\(line 1\\)$`));
    }
  });
});
