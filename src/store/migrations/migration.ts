// A schema migration: one numbered step, with its SQL for each database side by side so the two
// schemas change together. Steps are append-only: a released step is never edited.
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sqlite: string;
  readonly postgres: string;
}

/** The migrations a database lacks, in order; refuses a database migrated by a newer Portcullis. */
export function pendingMigrations(all: readonly Migration[], applied: readonly number[]): Migration[] {
  const known = new Set(all.map((m) => m.version));
  const unknown = applied.filter((version) => !known.has(version));
  if (unknown.length > 0) {
    throw new Error(`The database has schema version ${Math.max(...unknown)}, which this Portcullis does not know (it knows up to ${Math.max(...known)}): run a Portcullis at least as new as the one that migrated it.`);
  }
  const done = new Set(applied);
  return all.filter((m) => !done.has(m.version));
}
