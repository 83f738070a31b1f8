import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { extractWorkload } from './extract.js';

type Owner = { apiVersion: string; kind: string; name: string; controller?: boolean };

const containers = [{ name: 'app', image: 'ghcr.io/acme/web:1' }];
const templated = (apiVersion: string, kind: string) => (name: string, owner?: Owner, labels: Record<string, string> = {}) => ({
  apiVersion,
  kind,
  metadata: { name, namespace: 'shop', labels, ...(owner && { ownerReferences: [{ uid: 'u-1', ...owner }] }) },
  spec: kind === 'CronJob' ? { jobTemplate: { spec: { template: { spec: { containers } } } } } : { template: { spec: { containers } } },
});
const podOf = (name: string, owner?: Owner, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { generateName: name, namespace: 'shop', labels, ...(owner && { ownerReferences: [{ uid: 'u-1', ...owner }] }) },
  spec: { containers },
});

const deployment = templated('apps/v1', 'Deployment');
const replicaSet = templated('apps/v1', 'ReplicaSet');
const job = templated('batch/v1', 'Job');
const cronJob = templated('batch/v1', 'CronJob');
const controlledBy = (kind: string, name: string, apiVersion = 'apps/v1'): Owner => ({ apiVersion, kind, name, controller: true });

describe('workloadName: the top-level workload the Deployment scope and exemption match', () => {
  test.each([
    ['a Deployment answers with its own name', deployment('web'), 'web', 'web'],
    ['a ReplicaSet made by a Deployment answers with the Deployment', replicaSet('web-7c5ddbdf54', controlledBy('Deployment', 'web')), 'web-7c5ddbdf54', 'web'],
    ['a ReplicaSet made by hand answers with its own name', replicaSet('cache'), 'cache', 'cache'],
    [
      'a Pod of a Deployment’s ReplicaSet answers with the Deployment (the pod-template-hash is stripped)',
      podOf('web-7c5ddbdf54-', controlledBy('ReplicaSet', 'web-7c5ddbdf54'), { app: 'web', 'pod-template-hash': '7c5ddbdf54' }),
      'web-7c5ddbdf54-',
      'web',
    ],
    [
      'a Pod of a ReplicaSet whose name has dashes of its own',
      podOf('api-gateway-v2-5d9f8b7c6-', controlledBy('ReplicaSet', 'api-gateway-v2-5d9f8b7c6'), { 'pod-template-hash': '5d9f8b7c6' }),
      'api-gateway-v2-5d9f8b7c6-',
      'api-gateway-v2',
    ],
    ['a Pod of a hand-made ReplicaSet (no pod-template-hash) answers with the ReplicaSet', podOf('cache-', controlledBy('ReplicaSet', 'cache')), 'cache-', 'cache'],
    [
      'a pod-template-hash that is not the ReplicaSet’s suffix is not stripped',
      podOf('cache-', controlledBy('ReplicaSet', 'cache'), { 'pod-template-hash': 'abc123' }),
      'cache-',
      'cache',
    ],
    ['a Pod of a StatefulSet answers with the StatefulSet', podOf('db-', controlledBy('StatefulSet', 'db')), 'db-', 'db'],
    ['a Pod of a DaemonSet answers with the DaemonSet', podOf('agent-', controlledBy('DaemonSet', 'agent')), 'agent-', 'agent'],
    ['a Pod of a ReplicationController answers with it', podOf('legacy-', controlledBy('ReplicationController', 'legacy', 'v1')), 'legacy-', 'legacy'],
    ['a Job made by a CronJob answers with the CronJob', job('report-28930140', controlledBy('CronJob', 'report', 'batch/v1')), 'report-28930140', 'report'],
    ['a CronJob answers with its own name', cronJob('report'), 'report', 'report'],
    [
      'a Pod of a Job named like a CronJob’s (<cronjob>-<digits>) answers with the Job: the pod cannot tell',
      podOf('report-28930140-', controlledBy('Job', 'report-28930140', 'batch/v1'), { 'job-name': 'report-28930140' }),
      'report-28930140-',
      'report-28930140',
    ],
    ['a Pod of a custom controller answers with the controller', podOf('vm-', controlledBy('VirtualMachineInstance', 'vm', 'kubevirt.io/v1')), 'vm-', 'vm'],
    ['a static pod’s mirror (controlled by its Node) answers with its own name', podOf('etcd-node-1', controlledBy('Node', 'node-1', 'v1')), 'etcd-node-1', 'etcd-node-1'],
    [
      'an owner that is not the controller is not followed',
      podOf('p-', { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', controller: false }, { 'pod-template-hash': '1' }),
      'p-',
      'p-',
    ],
  ])('%s', (_name, object, podName, workloadName) => {
    expect(extractWorkload(object)?.identity).toMatchObject({ podName, workloadName });
  });
});

test('any Deployment’s pods answer with the Deployment, whatever dashes and hash its name has', () => {
  const segment = fc.stringMatching(/^[a-z0-9]{1,8}$/);
  const deploymentName = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('-'));
  // The alphabet the Deployment controller encodes pod-template-hash with.
  const hash = fc.stringMatching(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  fc.assert(
    fc.property(deploymentName, hash, (name, podTemplateHash) => {
      const pod = podOf(`${name}-${podTemplateHash}-`, controlledBy('ReplicaSet', `${name}-${podTemplateHash}`), { 'pod-template-hash': podTemplateHash });
      expect(extractWorkload(pod)?.identity.workloadName).toBe(name);
    }),
  );
});
