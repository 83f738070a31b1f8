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

/** `template`: the spec is a pod template (a Deployment's, a CronJob's…), not a Pod's own. */
export function readContainers(podSpec: KubernetesFields, specPath: readonly PathSegment[], reader: FieldReader, template: boolean): WorkloadContainer[] {
  // The API server requires `containers`; a spec without it is a broken manifest, not an empty pod.
  if (podSpec.containers === undefined || podSpec.containers === null) reader.report([...specPath, 'containers'], 'missing');
  return CONTAINER_LISTS.flatMap((list) => {
    const listPath = [...specPath, list];
    return reader.list(podSpec[list], listPath).flatMap((entry, index) => {
      const container = readContainer(entry, [...listPath, index], list, reader, template);
      return container ? [container] : [];
    });
  });
}

function readContainer(entry: unknown, path: readonly PathSegment[], list: ContainerList, reader: FieldReader, template: boolean): WorkloadContainer | undefined {
  const fields = reader.object(entry, path);
  if (!fields) return undefined;
  const name = reader.string(fields.name, [...path, 'name']);
  const image = readImage(fields.image, [...path, 'image'], reader, template);
  return name !== undefined && image !== undefined ? { name, image, list } : undefined;
}

// As the API server validates them: it refuses an empty image everywhere, and one with
// surrounding spaces in a Pod only. In a pod template a blank image is a placeholder that
// something fills in later (OpenShift's image triggers write " "), and the object that then
// names the image is reviewed in its turn: there is nothing to evaluate yet. An image that is
// merely not a valid reference is accepted (the pull fails later) and left for the evaluation.
function readImage(value: unknown, path: readonly PathSegment[], reader: FieldReader, template: boolean): string | undefined {
  const image = reader.string(value, path);
  if (image === undefined) return undefined;
  if (image === '') reader.report(path, 'must not be empty');
  else if (template) return image.trim() === '' ? undefined : image;
  else if (image.trim() !== image) reader.report(path, 'must not have leading or trailing whitespace');
  else return image;
  return undefined;
}
