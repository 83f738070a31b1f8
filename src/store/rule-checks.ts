// The rule lifecycle checks both databases apply identically, with the messages a user sees.
import type { Rule } from '../policy/rule.js';
import { ConflictError, NotFoundError } from './errors.js';
import type { RuleChange } from './store.js';

/** Names are unique case-insensitively; the key is computed here, not by SQL lower(), which is ASCII-only in SQLite. */
export function nameKey(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

export function nameTaken(document: Rule): ConflictError {
  return new ConflictError(`A rule named '${document.name}' already exists (names are unique, whatever their case).`);
}

export function ruleNotFound(id: string): NotFoundError {
  return new NotFoundError(`No rule with id '${id}'.`);
}

export function checkExpectedVersion(name: string, current: number, expected: number | undefined): void {
  if (expected !== undefined && expected !== current) {
    throw new ConflictError(`Rule '${name}' is at version ${current}, not ${expected}: it was changed meanwhile; reload it and apply your change again.`);
  }
}

/** Creation and deletion have their own methods, so their versions always mean what they say. */
export function checkUpdateChange(change: RuleChange): void {
  if (change === 'Created' || change === 'Deleted') throw new TypeError(`rules.update() cannot record '${change}': use rules.${change === 'Created' ? 'create' : 'delete'}().`);
}
