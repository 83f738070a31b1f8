import { describe, expect, test } from 'vitest';
import { BREAK_GLASS_ANNOTATION, isControllerUser, planAdmission, type AdmissionPlan, type EvaluatedAdmission, type PlanOptions } from './plan.js';
import { ReviewError, type AdmissionRequest } from './review.js';
import { aDeployment, aPod, aRequest, fixtureFiles, fixtureRequest } from './testing/requests.js';

const OPTIONS: PlanOptions = { breakGlass: true };
const DIGEST_A = `sha256:${'a'.repeat(64)}`;

function evaluated(plan: AdmissionPlan): EvaluatedAdmission {
  if (plan.action !== 'Evaluate') throw new Error(`skipped: ${plan.detail}`);
  return plan;
}

function planOf(request: AdmissionRequest, options: PlanOptions = OPTIONS): EvaluatedAdmission {
  return evaluated(planAdmission(request, options));
}

/** The images of a plan, without the pin paths (asserted apart). */
function imagesOf(plan: EvaluatedAdmission) {
  return plan.images.map(({ reference, enforce, notEnforced }) => ({ reference, enforce, ...(notEnforced !== undefined && { notEnforced }) }));
}

const withObject = (request: AdmissionRequest, object: unknown): AdmissionRequest => ({ ...request, object: object as Record<string, unknown> });

describe('planAdmission: every real request', () => {
  test('every fixture is covered below', () => {
    expect(fixtureFiles()).toEqual([
      'cronjob-create.json',
      'deployment-create-dryrun-kube-review.json',
      'deployment-create-kubectl-apply.json',
      'deployment-update-with-oldobject.request-only.json',
      'pod-create-by-statefulset-controller.json',
      'pod-create-with-ephemeral-container.request-only.json',
    ]);
  });

  test('the StatefulSet controller’s pod: evaluated, recorded, never denied', () => {
    const plan = planOf(fixtureRequest('pod-create-by-statefulset-controller.json'));
    expect(plan.workload.identity).toMatchObject({ kind: 'Pod', namespace: 'default', name: 'elasticsearch-master-0', workloadName: 'elasticsearch-master' });
    expect(plan.user).toBe('system:serviceaccount:kube-system:statefulset-controller');
    expect(plan.controllerOwner).toMatchObject({ kind: 'StatefulSet', name: 'elasticsearch-master', controller: true });
    expect(imagesOf(plan)).toEqual([{ reference: 'docker.elastic.co/elasticsearch/elasticsearch:7.14.0', enforce: false, notEnforced: 'ControllerMade' }]);
    // The init container and the container run the same image: both are pinned.
    expect(plan.images[0]?.pinPaths).toEqual(['/spec/initContainers/0/image', '/spec/containers/0/image']);
    expect(plan).toMatchObject({ operation: 'CREATE', dryRun: false, warnings: [] });
  });

  test('a Deployment applied with kubectl: its image is enforced', () => {
    const plan = planOf(fixtureRequest('deployment-create-kubectl-apply.json'));
    expect(plan.workload.identity).toMatchObject({ kind: 'Deployment', namespace: 'nginx', name: 'nginx', workloadName: 'nginx' });
    expect(plan.user).toBe('docker-for-desktop');
    expect(plan.controllerOwner).toBeUndefined();
    expect(imagesOf(plan)).toEqual([{ reference: 'nginx', enforce: true }]);
    expect(plan.images[0]?.pinPaths).toEqual(['/spec/template/spec/containers/0/image']);
  });

  test('an UPDATE that leaves the image as it was: audited, not enforced, and not pinned', () => {
    const plan = planOf(fixtureRequest('deployment-update-with-oldobject.request-only.json'));
    expect(plan.operation).toBe('UPDATE');
    expect(plan.workload.identity).toMatchObject({ kind: 'Deployment', namespace: 'default', name: 'nginx' });
    expect(imagesOf(plan)).toEqual([{ reference: 'nginx:latest', enforce: false, notEnforced: 'Unchanged' }]);
    expect(plan.images[0]?.pinPaths).toEqual([]);
  });

  test('the same UPDATE with one more container: only the new image is enforced', () => {
    const request = fixtureRequest('deployment-update-with-oldobject.request-only.json');
    const object = structuredClone(request.object) as { spec: { template: { spec: { containers: unknown[] } } } };
    object.spec.template.spec.containers.push({ name: 'sidecar', image: 'ghcr.io/acme/proxy:2.1' });
    const plan = planOf(withObject(request, object));
    expect(imagesOf(plan)).toEqual([
      { reference: 'nginx:latest', enforce: false, notEnforced: 'Unchanged' },
      { reference: 'ghcr.io/acme/proxy:2.1', enforce: true },
    ]);
    expect(plan.images[1]?.pinPaths).toEqual(['/spec/template/spec/containers/1/image']);
  });

  test('the same UPDATE changing the image’s tag: the new image is enforced', () => {
    const request = fixtureRequest('deployment-update-with-oldobject.request-only.json');
    const object = structuredClone(request.object) as { spec: { template: { spec: { containers: { image: string }[] } } } };
    object.spec.template.spec.containers[0]!.image = 'nginx:1.27';
    expect(imagesOf(planOf(withObject(request, object)))).toEqual([{ reference: 'nginx:1.27', enforce: true }]);
  });

  test('the same UPDATE writing the same image another way (docker.io/library/nginx:latest for nginx:latest): unchanged', () => {
    const request = fixtureRequest('deployment-update-with-oldobject.request-only.json');
    const object = structuredClone(request.object) as { spec: { template: { spec: { containers: { image: string }[] } } } };
    object.spec.template.spec.containers[0]!.image = 'docker.io/library/nginx:latest';
    const plan = planOf(withObject(request, object));
    expect(imagesOf(plan)).toEqual([{ reference: 'docker.io/library/nginx:latest', enforce: false, notEnforced: 'Unchanged' }]);
    expect(plan.images[0]?.pinPaths).toEqual([]);
  });

  test('a CronJob: the image of its job template’s pod template', () => {
    const plan = planOf(fixtureRequest('cronjob-create.json'));
    // The object is named `hello` (the request says `k8tz`: the fixture was written by hand).
    expect(plan.workload.identity).toMatchObject({ kind: 'CronJob', namespace: 'default', name: 'hello' });
    expect(plan.user).toBeUndefined();
    expect(imagesOf(plan)).toEqual([{ reference: 'busybox:1.28', enforce: true }]);
    expect(plan.images[0]?.pinPaths).toEqual(['/spec/jobTemplate/spec/template/spec/containers/0/image']);
  });

  test('kube-review’s dry run: marked as a dry run, in the default namespace', () => {
    const plan = planOf(fixtureRequest('deployment-create-dryrun-kube-review.json'));
    expect(plan.dryRun).toBe(true);
    expect(plan.user).toBe('kube-review');
    expect(plan.workload.identity).toMatchObject({ kind: 'Deployment', namespace: 'default', name: 'nginx' });
    expect(imagesOf(plan)).toEqual([{ reference: 'nginx', enforce: true }]);
  });

  test('a Pod created with an ephemeral container: every image is new, the ephemeral one included', () => {
    const plan = planOf(fixtureRequest('pod-create-with-ephemeral-container.request-only.json'));
    expect(plan.workload.identity).toMatchObject({ kind: 'Pod', namespace: 'default', name: 'nginx' });
    expect(imagesOf(plan)).toEqual([
      { reference: 'alpine', enforce: true },
      { reference: 'nginx', enforce: true },
    ]);
    expect(plan.images[1]?.pinPaths).toEqual(['/spec/containers/1/image', '/spec/ephemeralContainers/0/image']);
  });
});

describe('planAdmission: the ephemeral containers subresource (kubectl debug)', () => {
  const running = aPod(['registry.example/app:1.0', 'registry.example/proxy:2.0']);
  const debugged = (image: string) => aPod(['registry.example/app:1.0', 'registry.example/proxy:2.0'], { ephemeral: [image] });
  const debug = (image: string, oldObject: Record<string, unknown> | undefined = running) =>
    aRequest(debugged(image), { operation: 'UPDATE', subResource: 'ephemeralcontainers', resource: { group: '', version: 'v1', resource: 'pods' }, ...(oldObject && { oldObject }) });

  test('only the ephemeral container’s image is new; the pod’s own are audited; only it is pinned', () => {
    const plan = planOf(debug('busybox:1.36'));
    expect(plan.subResource).toBe('ephemeralcontainers');
    expect(imagesOf(plan)).toEqual([
      { reference: 'registry.example/app:1.0', enforce: false, notEnforced: 'Unchanged' },
      { reference: 'registry.example/proxy:2.0', enforce: false, notEnforced: 'Unchanged' },
      { reference: 'busybox:1.36', enforce: true },
    ]);
    expect(plan.images.flatMap((image) => image.pinPaths)).toEqual(['/spec/ephemeralContainers/0/image']);
  });

  test('without an oldObject the pod’s own containers still count as unchanged (the subresource cannot change them)', () => {
    const plan = planOf({ ...debug('busybox:1.36'), oldObject: undefined });
    expect(imagesOf(plan).map((image) => image.enforce)).toEqual([false, false, true]);
  });

  test('an ephemeral container running an image the pod already runs is not new', () => {
    expect(imagesOf(planOf(debug('registry.example/app:1.0')))).toEqual([{ reference: 'registry.example/app:1.0', enforce: false, notEnforced: 'Unchanged' }, { reference: 'registry.example/proxy:2.0', enforce: false, notEnforced: 'Unchanged' }]);
  });

  test('an ephemeral container added before is unchanged in a later request', () => {
    const plan = planOf(debug('busybox:1.36', debugged('busybox:1.36')));
    expect(plan.images.every((image) => !image.enforce)).toBe(true);
  });
});

describe('planAdmission: built-in controllers', () => {
  const owned = aPod(['registry.example/app:1.0'], { owner: { kind: 'ReplicaSet', name: 'web-7d4b9c', controller: true } });
  const as = (username: string | undefined, object = owned) => aRequest(object, { userInfo: { ...(username !== undefined && { username }), groups: [] } });

  test.each([
    ['the ReplicaSet controller', 'system:serviceaccount:kube-system:replicaset-controller', false],
    ['the DaemonSet controller', 'system:serviceaccount:kube-system:daemon-set-controller', false],
    ['the Job controller', 'system:serviceaccount:kube-system:job-controller', false],
    ['a user', 'alice@example.com', true],
    ['a kube-system account that is no controller', 'system:serviceaccount:kube-system:coredns', true],
    ['a controller-named account outside kube-system', 'system:serviceaccount:shop:replicaset-controller', true],
    ['a name that only ends like one', 'system:serviceaccount:kube-system:x:replicaset-controller', true],
    ['nobody', undefined, true],
  ])('a controlled pod created by %s: enforced %s', (_who, username, enforced) => {
    expect(planOf(as(username)).images[0]?.enforce).toBe(enforced);
  });

  test('the owner reference must be the controller: an owner without controller: true is not enough', () => {
    const notController = aPod(['registry.example/app:1.0'], { owner: { kind: 'ReplicaSet', name: 'web-7d4b9c' } });
    expect(planOf(as('system:serviceaccount:kube-system:replicaset-controller', notController)).images[0]?.enforce).toBe(true);
  });

  test('the account alone is not enough: a pod it creates without an owner is enforced', () => {
    expect(planOf(as('system:serviceaccount:kube-system:replicaset-controller', aPod(['registry.example/app:1.0']))).images[0]?.enforce).toBe(true);
  });

  test('a ReplicaSet the Deployment controller makes (a rollout restart) is not enforced either', () => {
    const replicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-5f6d', namespace: 'shop', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', controller: true }] },
      spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'registry.example/app:1.0' }] } } },
    };
    const plan = planOf(as('system:serviceaccount:kube-system:deployment-controller', replicaSet));
    expect(imagesOf(plan)).toEqual([{ reference: 'registry.example/app:1.0', enforce: false, notEnforced: 'ControllerMade' }]);
    expect(plan.workload.identity.workloadName).toBe('web');
  });

  test('more controller users can be named (a controller manager without service account credentials)', () => {
    const options = { ...OPTIONS, controllerUsers: ['system:kube-controller-manager'] };
    expect(planOf(as('system:kube-controller-manager'), options).images[0]?.enforce).toBe(false);
    expect(planOf(as('system:kube-controller-manager')).images[0]?.enforce).toBe(true);
    expect(isControllerUser('system:kube-controller-manager', options)).toBe(true);
  });
});

describe('planAdmission: UPDATE against a pinned old object', () => {
  test('a tag the old object ran pinned keeps its digests, so resolving to the same one counts as unchanged', () => {
    const oldObject = aDeployment([`docker.io/library/nginx:1.27@${DIGEST_A}`]);
    const plan = planOf(aRequest(aDeployment(['nginx:1.27']), { operation: 'UPDATE', oldObject }));
    expect(plan.images).toEqual([{ reference: 'nginx:1.27', enforce: true, previousDigests: [DIGEST_A], pinPaths: ['/spec/template/spec/containers/0/image'] }]);
  });

  test('another tag of the same repository is not the same image', () => {
    const oldObject = aDeployment([`nginx:1.26@${DIGEST_A}`]);
    expect(planOf(aRequest(aDeployment(['nginx:1.27']), { operation: 'UPDATE', oldObject })).images[0]?.previousDigests).toEqual([]);
  });
});

describe('planAdmission: what is allowed untouched', () => {
  test.each([
    ['DELETE', aRequest(undefined, { operation: 'DELETE', oldObject: aDeployment(['nginx']) }), 'Operation'],
    ['CONNECT (exec, attach)', aRequest({ apiVersion: 'v1', kind: 'PodExecOptions', command: ['sh'] }, { operation: 'CONNECT', subResource: 'exec' }), 'Operation'],
    ['a ConfigMap', aRequest({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: {} }), 'NotPodBearing'],
    ['a custom resource called Job', aRequest({ apiVersion: 'batch.volcano.sh/v1alpha1', kind: 'Job', metadata: { name: 'j' }, spec: { tasks: [] } }), 'NotPodBearing'],
    ['a scale of a Deployment', aRequest({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web' }, spec: { replicas: 3 } }, { operation: 'UPDATE', subResource: 'scale' }), 'SubResource'],
    ['a pod status update', aRequest(aPod(['nginx']), { operation: 'UPDATE', subResource: 'status', oldObject: aPod(['nginx']) }), 'SubResource'],
  ])('%s', (_name, request, reason) => {
    const plan = planAdmission(request, OPTIONS);
    expect(plan).toMatchObject({ action: 'Skip', reason, uid: 'req-1' });
  });

  test('an excluded namespace (the webhook’s own, kube-system) is never evaluated', () => {
    const options = { ...OPTIONS, excludedNamespaces: ['kube-system', 'portcullis'] };
    expect(planAdmission(aRequest(aPod(['nginx'], { namespace: 'portcullis' }), { namespace: 'portcullis' }), options)).toMatchObject({ action: 'Skip', reason: 'ExcludedNamespace' });
    expect(planAdmission(aRequest(aPod(['nginx'], { namespace: 'kube-system' }), { namespace: undefined }), options)).toMatchObject({ action: 'Skip', reason: 'ExcludedNamespace' });
    expect(planAdmission(aRequest(aPod(['nginx'])), options).action).toBe('Evaluate');
  });
});

describe('planAdmission: break-glass', () => {
  const annotated = (reason: string) => aDeployment(['nginx'], { annotations: { [BREAK_GLASS_ANNOTATION]: reason } });

  test('honoured: the reason is carried, and nothing is warned', () => {
    const plan = planOf(aRequest(annotated('INC-4711 payment outage')));
    expect(plan.breakGlass).toBe('INC-4711 payment outage');
    expect(plan.warnings).toEqual([]);
  });

  test('turned off: ignored, and the answer will say so', () => {
    const plan = planOf(aRequest(annotated('INC-4711')), { breakGlass: false });
    expect(plan.breakGlass).toBeUndefined();
    expect(plan.warnings).toEqual(['portcullis.dev/break-glass ignored: break-glass is turned off for this cluster']);
  });

  test('without a reason: ignored, with a warning', () => {
    const plan = planOf(aRequest(annotated('  ')));
    expect(plan.breakGlass).toBeUndefined();
    expect(plan.warnings).toEqual(['portcullis.dev/break-glass ignored: its value must give the reason']);
  });

  test('on the pod template only: not honoured, and the warning says where to put it', () => {
    const plan = planOf(aRequest(aDeployment(['nginx'], { templateAnnotations: { [BREAK_GLASS_ANNOTATION]: 'INC-1' } })));
    expect(plan.breakGlass).toBeUndefined();
    expect(plan.warnings).toEqual(['portcullis.dev/break-glass on the pod template is ignored: annotate the Deployment itself']);
  });

  test('on a Pod, its own annotation counts', () => {
    expect(planOf(aRequest(aPod(['nginx'], { annotations: { [BREAK_GLASS_ANNOTATION]: 'INC-2' } }))).breakGlass).toBe('INC-2');
  });
});

describe('planAdmission: a malformed object', () => {
  test('is a ReviewError naming the field under request.object, with the uid', () => {
    const object = aDeployment(['nginx']) as { spec: { template: { spec: { containers: { image: string }[] } } } };
    object.spec.template.spec.containers[0]!.image = '';
    let error: unknown;
    try {
      planAdmission(aRequest(object as unknown as Record<string, unknown>), OPTIONS);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ReviewError);
    expect(error).toMatchObject({ field: 'request.object.spec.template.spec.containers[0].image', reason: 'must not be empty', uid: 'req-1' });
  });
});
