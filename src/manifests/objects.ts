// The Kubernetes objects of one manifest document: the document itself, or the items of a List.
import type { PathSegment } from '../input/source-text.js';
import { isFields, type FieldReader, type KubernetesFields } from '../workloads/fields.js';

export interface KubernetesObject extends KubernetesFields {
  readonly apiVersion: string;
  readonly kind: string;
}

/** An object and where it sits in its document: `[]`, or `['items', 2]` for a List's third item. */
export interface LocatedObject {
  readonly path: readonly PathSegment[];
  readonly object: KubernetesObject;
}

/**
 * Expands `kind: List` (what `kubectl get -o yaml` prints) and typed lists such as
 * `DeploymentList` (what the API answers) into their items, at any depth. The items of a typed
 * list may leave out apiVersion and kind, as the API server does: they are the list's, without
 * `List`. Every malformed place is reported to the reader.
 */
export function objectsOf(value: unknown, reader: FieldReader, path: readonly PathSegment[] = [], itemType?: TypeMeta): LocatedObject[] {
  if (!isFields(value)) {
    reader.report(path, 'must be a Kubernetes object (a mapping with apiVersion and kind)');
    return [];
  }
  const apiVersion = typeField(value.apiVersion ?? itemType?.apiVersion, [...path, 'apiVersion'], reader);
  const kind = typeField(value.kind ?? itemType?.kind, [...path, 'kind'], reader);
  if (apiVersion === undefined || kind === undefined) return [];

  if (!isList(kind, value)) return [{ path, object: { ...value, apiVersion, kind } }];
  // `kind: List` holds objects of any kind, each naming its own.
  const typed = kind === 'List' ? undefined : { apiVersion, kind: kind.slice(0, -'List'.length) };
  return reader.list(value.items, [...path, 'items']).flatMap((item, index) => objectsOf(item, reader, [...path, 'items', index], typed));
}

interface TypeMeta {
  readonly apiVersion: string;
  readonly kind: string;
}

// A kind that merely ends in "List" (a custom `AllowList` with a spec) is a list only if it has items.
function isList(kind: string, value: KubernetesFields): boolean {
  return kind === 'List' || (kind.endsWith('List') && 'items' in value);
}

function typeField(value: unknown, path: readonly PathSegment[], reader: FieldReader): string | undefined {
  const text = reader.string(value, path);
  if (text === '') reader.report(path, 'must not be empty');
  return text === '' ? undefined : text;
}
