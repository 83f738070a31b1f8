// The parts of an object's metadata that identify a workload.
import type { FieldReader, KubernetesFields } from './fields.js';
import { readOwnerReferences, type OwnerReference } from './owner-references.js';

export interface ObjectMetadata {
  /** metadata.name, else metadata.generateName (what a mutating webhook sees before the name is made). */
  readonly name?: string;
  readonly namespace?: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly ownerReferences: OwnerReference[];
}

export function readMetadata(object: KubernetesFields, reader: FieldReader): ObjectMetadata {
  const metadata = reader.object(object.metadata, ['metadata']);
  if (!metadata) return { labels: {}, annotations: {}, ownerReferences: [] };
  const name = nonEmpty(reader.optionalString(metadata.name, ['metadata', 'name']));
  const generateName = nonEmpty(reader.optionalString(metadata.generateName, ['metadata', 'generateName']));
  if (isAbsent(metadata.name) && isAbsent(metadata.generateName)) reader.report(['metadata', 'name'], 'missing (and no generateName)');
  const namespace = nonEmpty(reader.optionalString(metadata.namespace, ['metadata', 'namespace']));
  const shownName = name ?? generateName;
  return {
    ...(shownName !== undefined && { name: shownName }),
    ...(namespace !== undefined && { namespace }),
    labels: reader.stringMap(metadata.labels, ['metadata', 'labels']),
    annotations: reader.stringMap(metadata.annotations, ['metadata', 'annotations']),
    ownerReferences: readOwnerReferences(metadata.ownerReferences, ['metadata', 'ownerReferences'], reader),
  };
}

/** Labels of a pod template's metadata (absent metadata has none). */
export function readTemplateLabels(metadata: unknown, path: readonly string[], reader: FieldReader): Record<string, string> {
  const fields = reader.optionalObject(metadata, path);
  return reader.stringMap(fields?.labels, [...path, 'labels']);
}

// Kubernetes treats an empty string like an absent field.
function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}
