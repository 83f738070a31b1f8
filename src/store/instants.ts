// Instants are ISO-8601 strings at the interface. Where the store orders or compares them it keeps
// epoch milliseconds, so '…T12:00:00+02:00' and '…T10:00:00Z' are one moment in both databases.
import { InputError } from '../problems.js';

/** Epoch milliseconds of an ISO-8601 instant; an InputError naming `path` when it is none. */
export function millisOf(instant: string, path: string): number {
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) throw InputError.of({ path, message: `'${instant}' is not an ISO-8601 time.` });
  return ms;
}
