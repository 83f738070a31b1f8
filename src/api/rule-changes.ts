// How the rule routes find a rule and change it: by id or name, optionally pinned to the version
// the client read (If-Match), every change a new version with who and when.
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { Rule } from '../policy/rule.js';
import { ConflictError } from '../store/errors.js';
import type { RuleChange, StoredRule } from '../store/store.js';
import { ApiError } from './errors.js';
import type { RouteContext } from './route.js';

export const RuleParams = z.object({ id: z.string().min(1).describe('The rule id, or its name.') });

export const IfMatchHeaders = z.object({
  'if-match': z
    .string()
    .regex(/^\s*(?:\*|(?:W\/)?"?[1-9]\d*"?)\s*$/, 'must be the version the change is based on, like "3"')
    .transform((value) => /\d+/.exec(value)?.[0])
    .transform((digits) => (digits === undefined ? undefined : Number(digits)))
    .optional()
    .describe('The version (ETag) the change is based on: 409 when the rule has changed since.'),
});

/** By id, else by name (case-insensitive): `portcullis rules get deny-critical-in-prod` just works. */
export async function findRule({ store }: RouteContext, idOrName: string): Promise<StoredRule> {
  const rule = (await store.rules.get(idOrName)) ?? (await store.rules.getByName(idOrName));
  if (!rule) throw new ApiError('not_found', `No rule '${idOrName}' (by id or name).`);
  return rule;
}

/** Answers the rule's version as its ETag, for the client's next If-Match. */
export function withETag(rule: StoredRule, { reply }: RouteContext): StoredRule {
  reply.header('etag', `"${rule.version}"`);
  return rule;
}

/** Two documents that say the same thing, whatever the order of their keys or undefined fields. */
export function sameDocument(a: Rule, b: Rule): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}

const ATTEMPTS = 3;

/**
 * Applies `next` to the current document and stores the result as a new version. `next` answers
 * undefined when there is nothing to change (disabling a disabled rule): no new version.
 * Pinned by If-Match, a stale version is a 409; unpinned, a change that lands in between is
 * read and the change made again on top of it.
 */
export async function changeRule(
  context: RouteContext,
  rule: StoredRule,
  change: RuleChange,
  expectedVersion: number | undefined,
  next: (current: Rule) => Rule | undefined,
): Promise<StoredRule> {
  let current = rule;
  for (let attempt = 1; ; attempt++) {
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw new ApiError('conflict', `The rule '${current.name}' is at version ${current.version}, not ${expectedVersion}: read it again and reapply your change.`);
    }
    const document = next(current.document);
    if (!document) return current;
    try {
      return await context.store.rules.update(current.id, document, change, context.actor, context.now.toISOString(), expectedVersion ?? current.version);
    } catch (error) {
      if (!(error instanceof ConflictError) || expectedVersion !== undefined || attempt >= ATTEMPTS) throw error;
      const latest = await context.store.rules.get(current.id);
      // Same version: the conflict was not a race (a name taken): answer it.
      if (!latest || latest.version === current.version) throw error;
      current = latest;
    }
  }
}
