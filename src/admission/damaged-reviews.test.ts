// The real AdmissionReviews of test/fixtures/admission, damaged at random places: reading and
// planning either succeed or fail with a ReviewError that names a field, never with a TypeError
// or the like. The webhook answers a ReviewError with a 400 naming the field; any other error it
// takes for its own fault, and the failure mode decides (closed: every such request denied).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { planAdmission } from './plan.js';
import { parseAdmissionReview, ReviewError } from './review.js';
import { fixtureFiles, fixtureReview } from './testing/requests.js';

type Json = unknown;
type Path = readonly (string | number)[];

/** Every path into a JSON value, the root included. */
function pathsOf(value: Json, at: Path = []): Path[] {
  const paths: Path[] = [at];
  if (Array.isArray(value)) value.forEach((item, i) => paths.push(...pathsOf(item, [...at, i])));
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...at, key]));
  return paths;
}

/** A copy of `value` with what is at `path` replaced, or removed when `replacement` is REMOVE. */
const REMOVE = Symbol('remove');
function withAt(value: Json, path: Path, replacement: Json | typeof REMOVE): Json {
  if (path.length === 0) return replacement === REMOVE ? undefined : replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    const index = head as number;
    if (rest.length === 0 && replacement === REMOVE) copy.splice(index, 1);
    else copy[index] = withAt(copy[index], rest, replacement);
    return copy;
  }
  const copy = { ...(value as Record<string, Json>) };
  const key = head as string;
  if (rest.length === 0 && replacement === REMOVE) delete copy[key];
  else copy[key] = withAt(copy[key], rest, replacement);
  return copy;
}

const reviews = fixtureFiles().map((file) => ({ file, review: fixtureReview(file) }));

/** What a damaged field becomes: any JSON value (as a body parsed from JSON holds), or nothing. */
const damage = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom<Json | typeof REMOVE>(REMOVE, null, '', 0, -1, true, [], {}, 'a'.repeat(300), '::', 'nginx@sha256:zz'),
);

/** A fixture with one to four of its fields (anywhere: the request, the object, a container) damaged. */
const damagedReview = fc
  .tuple(fc.constantFrom(...reviews), fc.array(fc.tuple(fc.nat(), damage), { minLength: 1, maxLength: 4 }))
  .map(([{ file, review }, damages]) => {
    let damaged: Json = review;
    for (const [pick, replacement] of damages) {
      const paths = pathsOf(damaged);
      const path = paths[pick % paths.length] ?? [];
      damaged = withAt(damaged, path, replacement);
    }
    return { file, damaged };
  });

describe('damaged AdmissionReviews', () => {
  test('are read and planned, or refused with a ReviewError naming a field: never another error', () => {
    let refused = 0;
    let planned = 0;
    fc.assert(
      fc.property(damagedReview, ({ damaged }) => {
        let request;
        try {
          request = parseAdmissionReview(damaged);
        } catch (error) {
          expect(error).toBeInstanceOf(ReviewError);
          expect((error as ReviewError).message).not.toBe('');
          refused++;
          return;
        }
        try {
          const plan = planAdmission(request, { breakGlass: true, excludedNamespaces: ['kube-system'] });
          planned++;
          if (plan.action === 'Evaluate') {
            for (const image of plan.images) {
              expect(typeof image.reference).toBe('string');
              expect(image.reference).not.toBe('');
              for (const pinPath of image.pinPaths) expect(pinPath).toMatch(/^\/\S+\/image$/);
            }
          }
        } catch (error) {
          expect(error).toBeInstanceOf(ReviewError);
          // Planning names the field under the request's object, so a user can find it.
          expect((error as ReviewError).field).toMatch(/^request\.(object|oldObject)\b/);
          refused++;
        }
      }),
      { numRuns: 3_000 },
    );
    // Both outcomes were reached, so the property held over damaged and sound requests alike.
    expect(refused).toBeGreaterThan(100);
    expect(planned).toBeGreaterThan(100);
  });
});
