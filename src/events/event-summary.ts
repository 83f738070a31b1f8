// An admission event in the two parts the stores keep it in: its summary, what Admission
// Monitoring lists of it, and its details, the rest (each image's violations, findings and
// matched ids, and the rules as applied), which GET /api/v1/events/{id} adds. A page of events
// then reads a few hundred bytes an event rather than the whole event (15 KB for one of a hundred
// matched CVEs), and parses that much less; and since the parts do not overlap, the event takes
// no more room than whole.
import type { AdmissionEvent, EventImage, RuleSnapshot } from './admission-event.js';

export type EventImageSummary = Pick<EventImage, 'reference' | 'digest' | 'scanStatus' | 'counts'> & {
  /** How many rules this image violated. */
  readonly violations: number;
};

export type EventSummary = Omit<AdmissionEvent, 'images' | 'rules'> & {
  readonly images: readonly EventImageSummary[];
  /** The names of the rules that triggered. */
  readonly rules: readonly string[];
};

/** What the summary leaves out: per image (in the same order), and the rules' snapshots. */
export interface EventDetails {
  readonly images: readonly Pick<EventImage, 'violations' | 'findings' | 'matched'>[];
  readonly rules: readonly RuleSnapshot[];
}

export function summarizeEvent(event: AdmissionEvent): EventSummary {
  return splitEvent(event).summary;
}

export function splitEvent(event: AdmissionEvent): { summary: EventSummary; details: EventDetails } {
  const { images, rules, ...core } = event;
  return {
    summary: {
      ...core,
      images: images.map(({ violations, findings: _findings, matched: _matched, ...image }) => ({ ...image, violations: violations.length })),
      rules: rules.map((rule) => rule.name),
    },
    details: {
      images: images.map(({ violations, findings, matched }) => ({ violations, findings, matched })),
      rules,
    },
  };
}

/** The event again, from the parts splitEvent made of it. */
export function joinEvent(summary: EventSummary, details: EventDetails): AdmissionEvent {
  const { images, rules: _names, ...core } = summary;
  if (details.images.length !== images.length) {
    throw new Error(`The stored details of event ${summary.id} name ${details.images.length} images where its summary names ${images.length}.`);
  }
  return {
    ...core,
    images: images.map(({ violations: _count, ...image }, i) => ({ ...image, ...(details.images[i] as EventDetails['images'][number]) })),
    rules: details.rules,
  };
}
