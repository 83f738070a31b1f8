// Who may call what: the roles of DESIGN.md as the groups routes declare. Admin may do
// everything, so every group holds it (the role matrix test checks that no route forgets it).
import { ROLES, type Role } from '../store/roles.js';

/** Who may call a route: the roles allowed, or everyone (health, metrics, the OpenAPI document). */
export type Access = readonly Role[] | 'public';

export const ACCESS = {
  /** Tokens, settings, clusters and account switches. */
  admin: ['Admin'],
  /** Any valid token, whatever its role: what every caller may ask about itself (whoami). */
  anyRole: ROLES,
  /** Read everything. */
  read: ['Admin', 'SecurityAdmin', 'SecurityReader'],
  /** Read rules: the people who read everything and the webhooks that sync them. */
  readRules: ['Admin', 'SecurityAdmin', 'SecurityReader', 'Sensor'],
  /** Create, change, disable and delete rules and their exemptions. */
  changeRules: ['Admin', 'SecurityAdmin'],
  /** Post scan reports: scanners in CI, and security admins by hand. */
  postScans: ['Admin', 'SecurityAdmin', 'Scanner'],
  /** What a cluster's webhook does: sync and post admission events. */
  sensor: ['Admin', 'Sensor'],
} as const satisfies Record<string, readonly Role[]>;

export function describeAccess(access: Access): string {
  return access === 'public' ? 'public: no token needed' : `roles: ${access.join(', ')}`;
}
