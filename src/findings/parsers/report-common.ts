// What every report parser shares: how a report's references, times and warnings are read and
// worded is the same whichever scanner wrote it.
import { digestName, parseImageReference, taggedName } from '../../images/reference.js';
import type { Finding } from '../model.js';


/** `registry/repo:tag` or `registry/repo@digest`, normalized; undefined (and a problem) if it is not one. */
export function referenceName(value: string, want: 'tag' | 'digest', problem: (message: string) => void): string | undefined {
  // Docker shows an untagged image as `<none>:<none>`: nothing to key on, and nothing wrong.
  if (value.startsWith('<none>')) return undefined;
  let ref;
  try {
    ref = parseImageReference(value);
  } catch (error) {
    problem((error as Error).message);
    return undefined;
  }
  const name = want === 'tag' ? taggedName(ref) : digestName(ref);
  if (name === undefined) problem(want === 'tag' ? `'${value}' names no tag` : `'${value}' names no digest (want repository@sha256:…)`);
  return name;
}

export function keyedByImageIdWarning(imageId: string, repoTags: readonly string[]): string {
  const head = `names no repo digest (a scan of an image archive?), so it is keyed by image ID ${imageId}`;
  if (repoTags.length === 0) return `${head} and names no tag either: admission cannot match it to any image`;
  return `${head} and its tags (${repoTags.join(', ')}): admission can match it only by tag`;
}

export function unknownSeverityWarning(findings: readonly Finding[]): string {
  const ids = [...new Set(findings.map((f) => f.id))];
  const shown = ids.length > 5 ? `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more` : ids.join(', ');
  return `${findings.length} finding${findings.length === 1 ? ' has' : 's have'} no known severity and count${findings.length === 1 ? 's' : ''} as Unknown: ${shown}`;
}

export function isoTime(value: string): string | undefined {
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

export function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value.trim() === '' ? undefined : value;
}
