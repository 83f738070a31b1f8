// The rules a workload can be in scope of, found without testing every rule: an installation of
// many teams writes most rules for one namespace (`Namespace Equals team-a`), and such a rule
// can only apply there. The others are tested for every workload, as before.
import type { CompiledRule } from './compile.js';

export class RuleIndex {
  /** Rules scoped to one namespace by `Equals`, by that namespace. */
  private readonly byNamespace = new Map<string, CompiledRule[]>();
  /** Rules that may apply in any namespace. */
  private readonly anywhere: CompiledRule[] = [];
  private readonly position = new Map<CompiledRule, number>();
  /** The merged list per namespace asked for, in the rules' own order (bounded: see forNamespace). */
  private readonly cache = new Map<string, readonly CompiledRule[]>();

  constructor(readonly rules: readonly CompiledRule[]) {
    rules.forEach((rule, index) => {
      this.position.set(rule, index);
      const namespace = rule.workloadScopes.find((scope) => scope.kind === 'Namespace' && scope.criterion === 'Equals')?.value;
      if (namespace === undefined) this.anywhere.push(rule);
      else {
        const list = this.byNamespace.get(namespace);
        if (list) list.push(rule);
        else this.byNamespace.set(namespace, [rule]);
      }
    });
  }

  /** Every rule that can be in scope in `namespace`, in the order of `rules`; the rest cannot. */
  forNamespace(namespace: string): readonly CompiledRule[] {
    const cached = this.cache.get(namespace);
    if (cached) return cached;
    const own = this.byNamespace.get(namespace);
    const merged = own ? [...this.anywhere, ...own].sort((a, b) => (this.position.get(a) ?? 0) - (this.position.get(b) ?? 0)) : this.anywhere;
    // Namespaces come from requests: keep the cache to the namespaces rules name, plus a bounded few.
    if (own || this.cache.size < 10_000) this.cache.set(namespace, merged);
    return merged;
  }
}

const indexes = new WeakMap<readonly CompiledRule[], RuleIndex>();

/** The index of a compiled rule list, built once per list (a snapshot hands out one list per rules change). */
export function ruleIndexOf(rules: readonly CompiledRule[]): RuleIndex {
  let index = indexes.get(rules);
  if (!index) indexes.set(rules, (index = new RuleIndex(rules)));
  return index;
}
