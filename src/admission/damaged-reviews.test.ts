// Reading and planning a damaged AdmissionReview either succeed or fail with a ReviewError that
// names the field, never with a TypeError or the like: the webhook answers a ReviewError with a
// 400 naming the field, and takes any other error for a fault of its own, which the failure mode
// decides (closed: denied).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { planAdmission } from './plan.js';
import { parseAdmissionReview, ReviewError, type AdmissionRequest } from './review.js';
import { damagedReviews } from './testing/damaged-reviews.js';

describe('damaged AdmissionReviews', () => {
  test('are read and planned, or refused with a ReviewError naming a field: never another error', () => {
    let refused = 0;
    let planned = 0;
    fc.assert(
      fc.property(damagedReviews(), ({ review }) => {
        let request: AdmissionRequest;
        try {
          request = parseAdmissionReview(review);
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
