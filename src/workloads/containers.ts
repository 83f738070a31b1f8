// The containers of a pod spec, from all three lists, with the image each one runs.
import type { PathSegment } from '../input/source-text.js';
import type { FieldReader, KubernetesFields } from './fields.js';

/** In the order the kubelet starts them; the order containers and images are reported in. */
export const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
export type ContainerList = (typeof CONTAINER_LISTS)[number];

export interface WorkloadContainer {
  readonly name: string;
  /** The image as written in the spec; normalizing it is the evaluation's job. */
  readonly image: string;
  readonly list: ContainerList;
}

export function readContainers(podSpec: KubernetesFields, specPath: readonly PathSegment[], reader: FieldReader): WorkloadContainer[] {
  // The API server requires `containers`; a spec without it is a broken manifest, not an empty pod.
  if (podSpec.containers === undefined || podSpec.containers === null) reader.report([...specPath, 'containers'], 'missing');
  return CONTAINER_LISTS.flatMap((list) => {
    const listPath = [...specPath, list];
    return reader.list(podSpec[list], listPath).flatMap((entry, index) => {
      const container = readContainer(entry, [...listPath, index], list, reader);
      return container ? [container] : [];
    });
  });
}

function readContainer(entry: unknown, path: readonly PathSegment[], list: ContainerList, reader: FieldReader): WorkloadContainer | undefined {
  const fields = reader.object(entry, path);
  if (!fields) return undefined;
  const name = reader.string(fields.name, [...path, 'name']);
  const image = readImage(fields.image, [...path, 'image'], reader);
  return name !== undefined && image !== undefined ? { name, image, list } : undefined;
}

// The API server refuses an empty image and one with surrounding spaces; an image that is merely
// not a valid reference is accepted (the pull fails later) and is left for the evaluation to judge.
function readImage(value: unknown, path: readonly PathSegment[], reader: FieldReader): string | undefined {
  const image = reader.string(value, path);
  if (image === undefined) return undefined;
  if (image.trim() === '') reader.report(path, 'must not be empty');
  else if (image.trim() !== image) reader.report(path, 'must not have leading or trailing whitespace');
  else return image;
  return undefined;
}
