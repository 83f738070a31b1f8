// A stored rule as the API answers it: the document, the rule in plain words, and which
// exemptions have expired by now.
import type { z } from 'zod';
import { describeRule } from '../policy/describe.js';
import type { Exemption, Rule } from '../policy/rule.js';
import { ruleToDocument } from '../policy/rule-document.js';
import { endOfDay } from '../policy/time-zone.js';
import type { RuleVersion, StoredRule } from '../store/store.js';
import type { RuleSchema, RuleVersionSchema } from './rule-schemas.js';

export type RuleView = z.input<typeof RuleSchema>;
export type RuleVersionView = z.input<typeof RuleVersionSchema>;

export function ruleView(stored: StoredRule, now: Date): RuleView {
  const rule = stored.document;
  return {
    id: stored.id,
    name: stored.name,
    version: stored.version,
    enabled: rule.enabled,
    action: rule.action,
    description: describeRule(rule),
    document: documentOf(rule),
    exemptions: rule.exemptions.map((exemption, index) => ({ ...exemption, index, expired: isExpired(exemption, rule.timeZone, now) })),
    createdAt: stored.createdAt,
    createdBy: stored.createdBy,
    updatedAt: stored.updatedAt,
    updatedBy: stored.updatedBy,
  };
}

export function ruleVersionView(version: RuleVersion): RuleVersionView {
  return { version: version.version, name: version.name, change: version.change, actor: version.actor, at: version.at, document: documentOf(version.document) };
}

/** Past the last millisecond of its day in the rule's time zone. */
export function isExpired(exemption: Exemption, timeZone: string, now: Date): boolean {
  return exemption.expires !== undefined && now.getTime() > endOfDay(exemption.expires, timeZone);
}

function documentOf(rule: Rule): RuleView['document'] {
  return ruleToDocument(rule) as RuleView['document'];
}
