// Small hand-written objects of every pod-bearing kind, written out in full (not built from
// POD_BEARING_KINDS) so that the tests check the table against Kubernetes, not against itself.

const podSpec = (image: string) => ({ containers: [{ name: 'app', image }] });
const template = (image: string) => ({ metadata: { labels: { app: 'web', tier: 'template' } }, spec: podSpec(image) });
const metadata = { name: 'web', namespace: 'shop', labels: { tier: 'object', team: 'payments' } };

export const OBJECT_OF_KIND: Readonly<Record<string, Record<string, unknown>>> = {
  Pod: { apiVersion: 'v1', kind: 'Pod', metadata: { ...metadata, labels: { app: 'web', tier: 'template', team: 'payments' } }, spec: podSpec('registry.example/pod:1') },
  Deployment: { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec: { replicas: 2, template: template('registry.example/deployment:1') } },
  ReplicaSet: { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata, spec: { template: template('registry.example/replicaset:1') } },
  StatefulSet: { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata, spec: { serviceName: 'web', template: template('registry.example/statefulset:1') } },
  DaemonSet: { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata, spec: { template: template('registry.example/daemonset:1') } },
  Job: { apiVersion: 'batch/v1', kind: 'Job', metadata, spec: { backoffLimit: 1, template: template('registry.example/job:1') } },
  CronJob: {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata,
    spec: { schedule: '*/5 * * * *', jobTemplate: { metadata: { labels: { level: 'job' } }, spec: { template: template('registry.example/cronjob:1') } } },
  },
  ReplicationController: { apiVersion: 'v1', kind: 'ReplicationController', metadata, spec: { replicas: 1, template: template('registry.example/replicationcontroller:1') } },
};
