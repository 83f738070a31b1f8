// The Helm chart under deploy/helm/portcullis, read as files: its values, their schema and
// defaults, and its templates' text. chart-helm.test.ts renders it with Helm itself and checks it
// renders what `portcullis install` renders.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { CREDENTIAL_HELPERS } from '../registry/credential-helper.js';
import { DEFAULTS, FAILURE_MODES } from './options.js';

const CHART = join(import.meta.dirname, '../../deploy/helm/portcullis');
const TEMPLATES = join(CHART, 'templates');
const read = (...path: string[]) => readFileSync(join(CHART, ...path), 'utf8');
const templateFiles = readdirSync(TEMPLATES).sort();
const templates = new Map(templateFiles.map((name) => [name, read('templates', name)]));
const allTemplateText = [...templates.values()].join('\n');

type Tree = { [key: string]: unknown };
const values = parse(read('values.yaml')) as Tree;
const chart = parse(read('Chart.yaml')) as Tree;

function lookup(tree: unknown, path: readonly string[]): { found: boolean; value: unknown } {
  let node = tree;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !(key in node)) return { found: false, value: undefined };
    node = (node as Tree)[key];
  }
  return { found: true, value: node };
}

/** Every path to a leaf (or to an empty map or list) of a values tree: `image.repository`. */
function leafPaths(tree: Tree, prefix: string[] = []): string[][] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0 ? leafPaths(value as Tree, [...prefix, key]) : [[...prefix, key]],
  );
}

const valuesReferences = [...new Set([...allTemplateText.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)].map((m) => (m[1] ?? '').slice(1)))].sort();

describe('Helm chart', () => {
  test('Chart.yaml is a valid v2 application chart at the version of this build', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'portcullis', type: 'application', appVersion: pkg.version });
    expect(String(chart.version)).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/);
    expect(typeof chart.description).toBe('string');
    expect(String(chart.kubeVersion)).toMatch(/^>=1\.(2[89]|[3-9]\d)/);
  });

  test('every template references only values that exist in values.yaml', () => {
    expect(valuesReferences.length).toBeGreaterThan(10);
    expect(valuesReferences.filter((path) => !lookup(values, path.split('.')).found)).toEqual([]);
  });

  test('every value in values.yaml is used by a template', () => {
    const unused = leafPaths(values)
      .map((path) => path.join('.'))
      .filter((leaf) => !valuesReferences.some((used) => leaf === used || leaf.startsWith(`${used}.`)));
    expect(unused).toEqual([]);
  });

  test('values.schema.json describes exactly the keys of values.yaml', () => {
    const schema = JSON.parse(read('values.schema.json')) as Tree;
    const schemaPaths = (node: Tree, prefix: string[] = []): string[][] =>
      Object.entries((node.properties ?? {}) as Record<string, Tree>).flatMap(([key, child]) =>
        child.properties === undefined ? [[...prefix, key]] : schemaPaths(child, [...prefix, key]),
      );
    const described = schemaPaths(schema).map((p) => p.join('.')).filter((p) => p !== 'global');
    const leaves = leafPaths(values).map((p) => p.join('.'));
    // A free-form object in the schema (resources) covers whatever values.yaml puts under it.
    expect(leaves.filter((leaf) => !described.some((d) => leaf === d || leaf.startsWith(`${d}.`)))).toEqual([]);
    expect(described.filter((d) => !lookup(values, d.split('.')).found)).toEqual([]);
    expect(lookup(schema, ['properties', 'failureMode', 'enum']).value).toEqual([...FAILURE_MODES]);
    expect(lookup(schema, ['properties', 'registryCredentialHelpers', 'items', 'enum']).value).toEqual([...CREDENTIAL_HELPERS]);
    expect(lookup(schema, ['properties', 'timeoutSeconds']).value).toMatchObject({ minimum: 1, maximum: 30 });
    expect(lookup(schema, ['properties', 'replicas']).value).toMatchObject({ minimum: 1 });
    expect(lookup(schema, ['properties', 'workers']).value).toMatchObject({ minimum: 1, maximum: 64 });
  });

  test('the defaults are the CLI defaults', () => {
    expect(values).toMatchObject({
      image: { repository: DEFAULTS.imageRepository },
      replicas: DEFAULTS.replicas,
      workers: DEFAULTS.workers,
      failureMode: DEFAULTS.failureMode,
      timeoutSeconds: DEFAULTS.timeoutSeconds,
      excludeNamespaces: [],
      mutating: false,
      tokenSecret: DEFAULTS.tokenSecret,
      tls: { secretName: DEFAULTS.tlsSecret, caBundle: '' },
      storage: { persistent: false, size: DEFAULTS.storageSize },
    });
  });

  test('names taken from values or the release are quoted: a valid name such as 123 or true stays a string', () => {
    const unquoted = [...allTemplateText.matchAll(/^\s*(namespace|name|secretName|storageClassName): \{\{ (?:\.root\.)?\.?(?:Values|Release)[^}|]*\}\}\s*$/gm)].map((m) => m[0].trim());
    expect(unquoted).toEqual([]);
  });

  test('templates include only what _helpers.tpl defines (in branches no rendering takes too), and NOTES.txt is there', () => {
    const defined = new Set([...(templates.get('_helpers.tpl') ?? '').matchAll(/\{\{-? define "([^"]+)"/g)].map((m) => m[1]));
    for (const [name, text] of templates) {
      const included = [...text.matchAll(/include "([^"]+)"/g)].map((m) => m[1]);
      expect(included.filter((n) => !defined.has(n)), `${name}: includes`).toEqual([]);
    }
    expect(templateFiles).toContain('NOTES.txt');
  });

});
