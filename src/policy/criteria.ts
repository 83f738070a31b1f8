// The matching criteria shared by scopes and exemptions.
import type { ScopeCriterion } from './rule.js';

/** Does `actual` satisfy `criterion` against `expected`? (Case-sensitive, like Kubernetes names.) */
export function satisfies(criterion: ScopeCriterion, actual: string, expected: string): boolean {
  switch (criterion) {
    case 'Equals':
      return actual === expected;
    case 'StartsWith':
      return actual.startsWith(expected);
    case 'EndsWith':
      return actual.endsWith(expected);
    case 'Contains':
      return actual.includes(expected);
    case 'NotEquals':
      return actual !== expected;
  }
}

/**
 * For a thing known by several names (an image as written, normalized, by digest): a positive
 * criterion holds when any name satisfies it; NotEquals holds only when no name equals the value.
 */
export function anySatisfies(criterion: ScopeCriterion, names: readonly string[], expected: string): boolean {
  if (criterion === 'NotEquals') return !names.includes(expected);
  return names.some((name) => satisfies(criterion, name, expected));
}
