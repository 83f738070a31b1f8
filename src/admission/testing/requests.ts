// Admission requests for tests: the real ones of test/fixtures/admission, and small made ones.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseAdmissionReview, type AdmissionRequest } from '../review.js';

export const ADMISSION_FIXTURES = path.resolve(import.meta.dirname, '../../../test/fixtures/admission');

export function fixtureFiles(): string[] {
  return readdirSync(ADMISSION_FIXTURES).filter((file) => file.endsWith('.json')).sort();
}

/**
 * The fixture as an AdmissionReview body. The `.request-only.json` files hold the bare request
 * (as Kubewarden stores test data): they are wrapped the way the API server sends them.
 */
export function fixtureReview(file: string): Record<string, unknown> {
  const json = JSON.parse(readFileSync(path.join(ADMISSION_FIXTURES, file), 'utf8')) as Record<string, unknown>;
  return file.endsWith('.request-only.json') ? { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: json } : json;
}

export function fixtureRequest(file: string): AdmissionRequest {
  return parseAdmissionReview(fixtureReview(file));
}

export function aDeployment(images: readonly string[], overrides: { name?: string; namespace?: string; annotations?: Record<string, string>; templateAnnotations?: Record<string, string> } = {}): Record<string, unknown> {
  const { name = 'web', namespace = 'shop', annotations, templateAnnotations } = overrides;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name }, ...(annotations && { annotations }) },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, ...(templateAnnotations && { annotations: templateAnnotations }) },
        spec: { containers: images.map((image, index) => ({ name: `c${index}`, image })) },
      },
    },
  };
}

export function aPod(
  images: readonly string[],
  overrides: { name?: string; namespace?: string; owner?: { kind: string; name: string; controller?: boolean }; ephemeral?: readonly string[]; annotations?: Record<string, string> } = {},
): Record<string, unknown> {
  const { name = 'web-0', namespace = 'shop', owner, ephemeral, annotations } = overrides;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      ...(annotations && { annotations }),
      ...(owner && { ownerReferences: [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, uid: 'u-1', ...(owner.controller !== undefined && { controller: owner.controller }) }] }),
    },
    spec: {
      containers: images.map((image, index) => ({ name: `c${index}`, image })),
      ...(ephemeral && { ephemeralContainers: ephemeral.map((image, index) => ({ name: `debug${index}`, image })) }),
    },
  };
}

/** A request as the API server sends it, around an object. */
export function aRequest(object: Record<string, unknown> | undefined, overrides: Partial<AdmissionRequest> = {}): AdmissionRequest {
  const kind = String(object?.kind ?? 'Deployment');
  const apiVersion = String(object?.apiVersion ?? 'apps/v1');
  const slash = apiVersion.indexOf('/');
  const group = slash === -1 ? '' : apiVersion.slice(0, slash);
  const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
  return {
    uid: 'req-1',
    kind: { group, version, kind },
    resource: { group, version, resource: `${kind.toLowerCase()}s` },
    namespace: 'shop',
    operation: 'CREATE',
    userInfo: { username: 'alice@example.com', groups: ['system:authenticated'] },
    ...(object !== undefined && { object }),
    dryRun: false,
    ...overrides,
  };
}
