// How the install objects are printed: multi-document YAML with a word on the choices a reader
// would question, or a JSON `List`; either goes straight to `kubectl apply -f -`.
import { Document } from 'yaml';
import type { InstallFormat } from './options.js';
import type { KubeObject } from './render.js';

export function formatInstall(objects: readonly KubeObject[], format: InstallFormat): string {
  if (format === 'json') return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
  const commented = new Set<string>();
  return objects
    .map((object) => {
      // Objects share label maps; anchors and aliases would be correct but hard to read.
      const document = new Document(object, { aliasDuplicateObjects: false });
      const comment = commented.has(object.kind) ? undefined : commentFor(object);
      commented.add(object.kind);
      if (comment !== undefined) document.commentBefore = ` ${comment.replace(/\n/g, '\n ')}`;
      return document.toString({ lineWidth: 0 });
    })
    .join('---\n');
}

function commentFor(object: KubeObject): string | undefined {
  switch (object.kind) {
    case 'ServiceAccount':
      return 'No Role or binding: the webhook reads nothing from the Kubernetes API; the kubelet mounts its Secrets.';
    case 'Issuer':
      return 'Needs cert-manager (https://cert-manager.io) in the cluster; or pass --ca-bundle with your own certificate in --tls-secret.';
    case 'Deployment':
      return [
        'Snapshot and event outbox live in an emptyDir: they survive container restarts, not the pod.',
        'A pod that stops while the control plane is away hands its undelivered events to another replica',
        '(--handoff-url); were none ready, they would be lost with the pod.',
        '--persistent-outbox (or --storage-class) keeps them on a PersistentVolumeClaim per replica (a StatefulSet).',
      ].join('\n');
    case 'StatefulSet':
      return 'One PersistentVolumeClaim per replica keeps its snapshot and undelivered events across rescheduling.';
    case 'ValidatingWebhookConfiguration':
      return 'failurePolicy Ignore (--failure-mode open) admits when the webhook cannot answer; Fail (closed) denies.\nkube-system and the webhook\'s own namespace are never sent, so a broken webhook cannot lock the cluster.';
    default:
      return undefined;
  }
}
