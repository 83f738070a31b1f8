// Kubernetes label selectors (`env=prod`, `tier!=web`, `env in (prod,stage)`, `!legacy`), used
// by LabelSelector scopes beyond the plain `key=value` form.

export type Requirement =
  | { readonly key: string; readonly op: 'in' | 'notin'; readonly values: readonly string[] }
  | { readonly key: string; readonly op: 'exists' | 'doesnotexist' };

const KEY = /^(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(?:[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Splits on commas that are not inside parentheses. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts.map((p) => p.trim());
}

/** Parses a selector; throws an Error whose message says which requirement is wrong. */
export function parseLabelSelector(selector: string): Requirement[] {
  if (selector.trim() === '') throw new Error('the selector is empty');
  return splitRequirements(selector).map((text) => {
    const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(text);
    if (set) {
      const values = (set[3] ?? '').split(',').map((v) => v.trim());
      checkKey(set[1] ?? '', text);
      values.forEach((v) => checkValue(v, text));
      return { key: set[1] ?? '', op: set[2] as 'in' | 'notin', values };
    }
    const equality = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(text);
    if (equality) {
      checkKey(equality[1] ?? '', text);
      checkValue(equality[3] ?? '', text);
      return { key: equality[1] ?? '', op: equality[2] === '!=' ? 'notin' : 'in', values: [equality[3] ?? ''] };
    }
    const absent = /^!\s*(\S+)$/.exec(text);
    if (absent) {
      checkKey(absent[1] ?? '', text);
      return { key: absent[1] ?? '', op: 'doesnotexist' };
    }
    checkKey(text, text);
    return { key: text, op: 'exists' };
  });
}

function checkKey(key: string, requirement: string): void {
  if (!KEY.test(key) || key.length > 317) throw new Error(`'${requirement}': '${key}' is not a valid label key`);
}

function checkValue(value: string, requirement: string): void {
  if (!VALUE.test(value) || value.length > 63) throw new Error(`'${requirement}': '${value}' is not a valid label value`);
}

/** All requirements must hold, as in Kubernetes (`notin` and `!=` also hold when the label is absent). */
export function selectorMatches(requirements: readonly Requirement[], labels: Readonly<Record<string, string>>): boolean {
  return requirements.every((req) => {
    const value = Object.hasOwn(labels, req.key) ? labels[req.key] : undefined;
    switch (req.op) {
      case 'exists':
        return value !== undefined;
      case 'doesnotexist':
        return value === undefined;
      case 'in':
        return value !== undefined && req.values.includes(value);
      case 'notin':
        return value === undefined || !req.values.includes(value);
    }
  });
}

/** The plain `key=value` form the seeds describe, where the rule's criterion applies to the value. */
export function plainEquality(selector: string): { key: string; value: string } | undefined {
  const match = /^\s*([^!=\s(),]+)\s*=\s*([^=\s(),]*)\s*$/.exec(selector);
  return match ? { key: match[1] ?? '', value: match[2] ?? '' } : undefined;
}
