// Admission events as earlier builds stored them, read as events of this one. Earlier, each
// violation held its worst findings in full (the same finding repeated in every rule that
// matched it) and an image had no `findings`. Stored events of that shape are turned into this
// one when read, so a database written by an earlier build shows them whole.
import type { AdmissionEvent, EventFinding, EventImage, EventViolation } from './admission-event.js';

type EarlierViolation = Omit<EventViolation, 'findings'> & { readonly findings: readonly (string | EventFinding)[] };
type EarlierImage = Omit<EventImage, 'findings' | 'violations'> & { readonly findings?: readonly EventFinding[]; readonly violations: readonly EarlierViolation[] };
export type StoredEvent = Omit<AdmissionEvent, 'images'> & { readonly images: readonly EarlierImage[] };

export function currentEvent(stored: StoredEvent): AdmissionEvent {
  if (stored.images.every((image) => image.findings !== undefined)) return stored as AdmissionEvent;
  return { ...stored, images: stored.images.map(currentImage) };
}

function currentImage(image: EarlierImage): EventImage {
  if (image.findings !== undefined) return image as EventImage;
  const named = new Map<string, EventFinding>();
  const violations = image.violations.map((violation) => ({
    ...violation,
    findings: violation.findings.map((finding) => {
      if (typeof finding === 'string') return finding;
      if (!named.has(finding.id)) named.set(finding.id, finding);
      return finding.id;
    }),
  }));
  return { ...image, violations, findings: [...named.values()] };
}
