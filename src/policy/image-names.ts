// The names an image answers to in Image scopes and exemptions: as written, normalized, by digest.
import { digestName, formatImageReference, repositoryName, taggedName } from '../images/reference.js';
import type { TargetImage } from './target.js';

const cache = new WeakMap<TargetImage, readonly string[]>();

/** Computed once per image object: a workload's images are matched against every rule. */
export function imageNames(image: TargetImage): readonly string[] {
  const cached = cache.get(image);
  if (cached) return cached;
  const names = namesOf(image);
  cache.set(image, names);
  return names;
}

function namesOf(image: TargetImage): readonly string[] {
  const names = [image.reference];
  const ref = image.parsed;
  if (ref) {
    names.push(formatImageReference(ref));
    const tagged = taggedName(ref);
    if (tagged) names.push(tagged);
    const digest = image.digest ?? ref.digest;
    if (digest) names.push(digestName({ ...ref, digest }) ?? '', digest);
    names.push(repositoryName(ref));
  } else if (image.digest) {
    names.push(image.digest);
  }
  return [...new Set(names)];
}

/** A repository's names: `library/nginx`, `docker.io/library/nginx`, and `nginx` for official images. */
export function repositoryNames(image: TargetImage): string[] {
  const ref = image.parsed;
  if (!ref) return [];
  const names = [ref.repository, repositoryName(ref)];
  if (ref.registry === 'docker.io' && ref.repository.startsWith('library/')) names.push(ref.repository.slice('library/'.length));
  return names;
}
