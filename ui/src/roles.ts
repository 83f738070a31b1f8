// The UI offers only the actions the signed-in role can take, by the API's own access groups;
// the API checks every call whatever the UI shows.
import { ACCESS } from '../../src/api/access.js';
import type { Role } from './api.js';

export function mayChangeRules(role: Role): boolean {
  return (ACCESS.changeRules as readonly Role[]).includes(role);
}

/** Register and remove clusters, change an account's switches and the installation's settings. */
export function mayAdminister(role: Role): boolean {
  return (ACCESS.admin as readonly Role[]).includes(role);
}

/** Post scan reports by hand. */
export function mayPostScans(role: Role): boolean {
  return (ACCESS.postScans as readonly Role[]).includes(role);
}
