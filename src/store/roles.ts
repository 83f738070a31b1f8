// Who may do what: the roles of DESIGN.md. Admin > SecurityAdmin > SecurityReader for people;
// Sensor and Scanner are narrow roles for machines.
export const ROLES = ['Admin', 'SecurityAdmin', 'SecurityReader', 'Sensor', 'Scanner'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
