// The real AdmissionReviews of test/fixtures/admission, damaged at random places: one to four
// fields anywhere (the request, the object, a container, the root itself) replaced by any JSON
// value, as a body parsed from JSON can hold, or removed. For tests that a bad review is refused
// with a reason, never taken for a fault of the webhook's own.
import fc from 'fast-check';
import { fixtureFiles, fixtureReview } from './requests.js';

type Path = readonly (string | number)[];

const REMOVE = Symbol('remove');

/** Every path into a JSON value, the root included. */
function pathsOf(value: unknown, at: Path = []): Path[] {
  const paths: Path[] = [at];
  if (Array.isArray(value)) value.forEach((item, i) => paths.push(...pathsOf(item, [...at, i])));
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...at, key]));
  return paths;
}

/** A copy of `value` with what is at `path` replaced, or removed when `replacement` is REMOVE. */
function withAt(value: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement === REMOVE ? undefined : replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy: unknown[] = [...value];
    const index = head as number;
    if (rest.length === 0 && replacement === REMOVE) copy.splice(index, 1);
    else copy[index] = withAt(copy[index], rest, replacement);
    return copy;
  }
  const copy = { ...(value as Record<string, unknown>) };
  const key = head as string;
  if (rest.length === 0 && replacement === REMOVE) delete copy[key];
  else copy[key] = withAt(copy[key], rest, replacement);
  return copy;
}

/** What a damaged field becomes: any JSON value, or one of the values that trip parsers most. */
const damage = fc.oneof(fc.jsonValue(), fc.constantFrom<unknown>(REMOVE, null, '', 0, -1, true, [], {}, 'a'.repeat(300), '::', 'nginx@sha256:zz'));

/** A fixture, by file name, with one to four of its fields damaged. */
export function damagedReviews(): fc.Arbitrary<{ file: string; review: unknown }> {
  const reviews = fixtureFiles().map((file) => ({ file, review: fixtureReview(file) }));
  return fc.tuple(fc.constantFrom(...reviews), fc.array(fc.tuple(fc.nat(), damage), { minLength: 1, maxLength: 4 })).map(([{ file, review }, damages]) => {
    let damaged: unknown = review;
    for (const [pick, replacement] of damages) {
      const paths = pathsOf(damaged);
      damaged = withAt(damaged, paths[pick % paths.length] ?? [], replacement);
    }
    return { file, review: damaged };
  });
}
