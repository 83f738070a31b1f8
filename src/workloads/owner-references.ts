// metadata.ownerReferences: who made the object. The one with `controller: true` manages it.
import type { PathSegment } from '../input/source-text.js';
import type { FieldReader } from './fields.js';

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid?: string;
  /** Absent in the object means false, as in Kubernetes. */
  readonly controller: boolean;
}

export function readOwnerReferences(value: unknown, path: readonly PathSegment[], reader: FieldReader): OwnerReference[] {
  return reader.list(value, path).flatMap((entry, index) => {
    const at = [...path, index];
    const fields = reader.object(entry, at);
    if (!fields) return [];
    const apiVersion = reader.string(fields.apiVersion, [...at, 'apiVersion']);
    const kind = reader.string(fields.kind, [...at, 'kind']);
    const name = reader.string(fields.name, [...at, 'name']);
    const uid = reader.optionalString(fields.uid, [...at, 'uid']);
    const controller = reader.optionalBoolean(fields.controller, [...at, 'controller']) ?? false;
    if (apiVersion === undefined || kind === undefined || name === undefined) return [];
    return [{ apiVersion, kind, name, ...(uid !== undefined && { uid }), controller }];
  });
}

/** The managing owner, if any (Kubernetes allows at most one). */
export function controllerOf(owners: readonly OwnerReference[]): OwnerReference | undefined {
  return owners.find((owner) => owner.controller);
}
