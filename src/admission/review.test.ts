import { describe, expect, test } from 'vitest';
import { InputError } from '../problems.js';
import { parseAdmissionRequest, parseAdmissionReview, ReviewError } from './review.js';
import { fixtureFiles, fixtureReview } from './testing/requests.js';

const validRequest = () => ({
  uid: 'abc-123',
  kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
  resource: { group: 'apps', version: 'v1', resource: 'deployments' },
  namespace: 'shop',
  operation: 'CREATE',
  userInfo: { username: 'alice', groups: ['dev'] },
  object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } },
  oldObject: null,
  dryRun: false,
  options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
});
const review = (request: unknown, extra: Record<string, unknown> = {}) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request, ...extra });

function reviewError(body: unknown): ReviewError {
  try {
    parseAdmissionReview(body);
  } catch (error) {
    if (error instanceof ReviewError) return error;
    throw error;
  }
  throw new Error('parsed without a ReviewError');
}

describe('parseAdmissionReview: the real requests', () => {
  test.each(fixtureFiles())('%s parses', (file) => {
    const request = parseAdmissionReview(fixtureReview(file));
    expect(request.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(['CREATE', 'UPDATE']).toContain(request.operation);
    expect(request.object).toBeDefined();
  });

  test('every field of a full request is read', () => {
    const request = parseAdmissionReview(fixtureReview('pod-create-by-statefulset-controller.json'));
    expect(request).toMatchObject({
      uid: '0c0829ff-c2f5-4634-a1c3-098147304d03',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      name: 'elasticsearch-master-0',
      namespace: 'default',
      operation: 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:kube-system:statefulset-controller',
        uid: '9106ec03-8d1e-4bfb-8226-023f2827650c',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      },
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    });
    expect(request.oldObject).toBeUndefined();
  });

  test('the UPDATE carries its oldObject', () => {
    const request = parseAdmissionReview(fixtureReview('deployment-update-with-oldobject.request-only.json'));
    expect(request.operation).toBe('UPDATE');
    expect(request.oldObject).toMatchObject({ kind: 'Deployment' });
  });

  test('the kube-review request is a dry run without a namespace', () => {
    const request = parseAdmissionReview(fixtureReview('deployment-create-dryrun-kube-review.json'));
    expect(request.dryRun).toBe(true);
    expect(request.namespace).toBeUndefined();
  });

  test('a request without userInfo (the hand-written CronJob) has no user and no groups', () => {
    expect(parseAdmissionReview(fixtureReview('cronjob-create.json')).userInfo).toEqual({ groups: [] });
  });

  test('the object is handed on as is, not copied', () => {
    const request = validRequest();
    expect(parseAdmissionReview(review(request)).object).toBe(request.object);
  });

  test('a subresource is kept; an empty one is none', () => {
    expect(parseAdmissionReview(review({ ...validRequest(), subResource: 'ephemeralcontainers' })).subResource).toBe('ephemeralcontainers');
    expect(parseAdmissionReview(review({ ...validRequest(), subResource: '' })).subResource).toBeUndefined();
  });

  test('the bare request can be parsed on its own', () => {
    expect(parseAdmissionRequest(validRequest()).uid).toBe('abc-123');
  });
});

describe('parseAdmissionReview: malformed reviews name the field', () => {
  const withRequest = (change: Record<string, unknown>) => review({ ...validRequest(), ...change });
  const without = (field: string) => {
    const request: Record<string, unknown> = validRequest();
    delete request[field];
    return review(request);
  };

  test.each([
    ['not an object', [1, 2], '', 'the body must be an AdmissionReview object, not a list'],
    ['v1beta1', { ...review(validRequest()), apiVersion: 'admission.k8s.io/v1beta1' }, 'apiVersion', 'must be admission.k8s.io/v1, not the string "admission.k8s.io/v1beta1" (set admissionReviewVersions: ["v1"] on the webhook)'],
    ['no apiVersion', { kind: 'AdmissionReview', request: validRequest() }, 'apiVersion', 'is required (admission.k8s.io/v1)'],
    ['another kind', { ...review(validRequest()), kind: 'ConversionReview' }, 'kind', 'must be AdmissionReview, not the string "ConversionReview"'],
    ['no request', review(undefined), 'request', 'is required'],
    ['request a string', review('x'), 'request', 'must be an object, not the string "x"'],
    ['missing uid', without('uid'), 'request.uid', 'is required'],
    ['empty uid', withRequest({ uid: '' }), 'request.uid', 'is required (it is empty)'],
    ['uid a number', withRequest({ uid: 42 }), 'request.uid', 'must be a string, not the number 42'],
    ['missing kind', without('kind'), 'request.kind', 'is required'],
    ['kind without kind', withRequest({ kind: { group: 'apps', version: 'v1' } }), 'request.kind.kind', 'is required'],
    ['kind group a number', withRequest({ kind: { group: 1, version: 'v1', kind: 'Pod' } }), 'request.kind.group', 'must be a string, not the number 1'],
    ['missing resource', without('resource'), 'request.resource', 'is required'],
    ['resource a list', withRequest({ resource: [] }), 'request.resource', 'must be an object, not a list'],
    ['requestKind not an object', withRequest({ requestKind: 'Pod' }), 'request.requestKind', 'must be an object, not the string "Pod"'],
    ['missing operation', without('operation'), 'request.operation', 'is required'],
    ['unknown operation', withRequest({ operation: 'PATCH' }), 'request.operation', 'must be one of CREATE, UPDATE, DELETE, CONNECT, not the string "PATCH"'],
    ['lower-case operation', withRequest({ operation: 'create' }), 'request.operation', 'must be one of CREATE, UPDATE, DELETE, CONNECT, not the string "create"'],
    ['object a string', withRequest({ object: '{"kind":"Pod"}' }), 'request.object', 'must be an object, not the string "{\\"kind\\":\\"Pod\\"}"'],
    ['object a list', withRequest({ object: [] }), 'request.object', 'must be an object, not a list'],
    ['oldObject a number', withRequest({ oldObject: 7 }), 'request.oldObject', 'must be an object, not the number 7'],
    ['dryRun a string', withRequest({ dryRun: 'true' }), 'request.dryRun', 'must be true or false, not the string "true"'],
    ['namespace a number', withRequest({ namespace: 3 }), 'request.namespace', 'must be a string, not the number 3'],
    ['name an object', withRequest({ name: {} }), 'request.name', 'must be a string, not an object'],
    ['subResource a boolean', withRequest({ subResource: true }), 'request.subResource', 'must be a string, not the boolean true'],
    ['userInfo a string', withRequest({ userInfo: 'alice' }), 'request.userInfo', 'must be an object, not the string "alice"'],
    ['username a number', withRequest({ userInfo: { username: 1 } }), 'request.userInfo.username', 'must be a string, not the number 1'],
    ['groups a string', withRequest({ userInfo: { username: 'a', groups: 'dev' } }), 'request.userInfo.groups', 'must be a list of strings, not the string "dev"'],
    ['a group a number', withRequest({ userInfo: { username: 'a', groups: ['dev', 2] } }), 'request.userInfo.groups[1]', 'must be a string, not the number 2'],
    ['options a list', withRequest({ options: [] }), 'request.options', 'must be an object, not a list'],
  ])('%s', (_name, body, field, reason) => {
    const error = reviewError(body);
    expect(error.field).toBe(field);
    expect(error.reason).toBe(reason);
    expect(error.message).toBe(field === '' ? reason : `${field}: ${reason}`);
    expect(error).toBeInstanceOf(InputError);
  });

  test('a problem after the uid carries the uid, so the server may answer the request itself', () => {
    expect(reviewError(withRequest({ operation: 'PATCH' })).uid).toBe('abc-123');
    expect(reviewError(without('uid')).uid).toBeUndefined();
  });

  test('null is the same as absent for optional fields', () => {
    const request = parseAdmissionReview(withRequest({ subResource: null, name: null, namespace: null, dryRun: null, options: null, userInfo: null }));
    expect(request).toMatchObject({ dryRun: false, userInfo: { groups: [] } });
    expect(request.namespace).toBeUndefined();
  });
});
