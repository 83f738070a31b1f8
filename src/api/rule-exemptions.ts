// /api/v1/rules/{id}/exemptions: add or remove one exemption of a rule without rewriting the
// whole document. Each is a new version of the rule (ExemptionAdded, ExemptionRemoved).
import { z } from 'zod';
import type { Exemption, Rule } from '../policy/rule.js';
import { validateRule } from '../policy/rule-document.js';
import { ACCESS } from './access.js';
import { ApiError, type ApiProblem } from './errors.js';
import { defineRoute, type Route } from './route.js';
import { changeRule, findRule, IfMatchHeaders, RuleParams, withETag } from './rule-changes.js';
import { ExemptionSchema, RuleSchema } from './rule-schemas.js';
import { ruleView } from './rule-view.js';

const TAGS = ['rules'];

/**
 * The rule with one more exemption, validated as a whole (an expiry day is checked against the
 * rule's time zone, a CVE id like every other). Problems are named where the client wrote them.
 */
function withExemption(current: Rule, exemption: Exemption): Rule {
  const index = current.exemptions.length;
  const { rule, problems } = validateRule({ ...current, exemptions: [...current.exemptions, exemption] }, 'rule');
  if (rule && problems.length === 0) return rule;
  throw ApiError.invalid(problems.map((problem): ApiProblem => ({ path: bodyPath(problem.path ?? '', index), message: problem.message })));
}

function bodyPath(path: string, index: number): string {
  const own = /^(?:rule\.)?exemptions\[(\d+)\]/.exec(path);
  return own && Number(own[1]) === index ? `body${path.slice(own[0].length)}` : path;
}

const ExemptionParams = RuleParams.extend({ index: z.string().describe("The exemption's position in the rule (0-based), as the rule lists it.") });

export const ruleExemptionRoutes: readonly Route[] = [
  defineRoute({
    operationId: 'addRuleExemption',
    method: 'POST',
    url: '/api/v1/rules/:id/exemptions',
    access: ACCESS.changeRules,
    summary: 'Add an exemption to a rule',
    description: 'A new version (ExemptionAdded); the exemption is last in the list.',
    tags: TAGS,
    params: RuleParams,
    headers: IfMatchHeaders,
    body: ExemptionSchema,
    status: 201,
    response: RuleSchema,
    handler: async ({ params, headers, body }, context) => {
      const rule = await findRule(context, params.id);
      const changed = await changeRule(context, rule, 'ExemptionAdded', headers['if-match'], (current) => withExemption(current, body));
      return ruleView(withETag(changed, context), context.now);
    },
  }),
  defineRoute({
    operationId: 'removeRuleExemption',
    method: 'DELETE',
    url: '/api/v1/rules/:id/exemptions/:index',
    access: ACCESS.changeRules,
    summary: 'Remove an exemption from a rule',
    description: 'A new version (ExemptionRemoved). Send If-Match with the version you read, so the index means the exemption you saw.',
    tags: TAGS,
    params: ExemptionParams,
    headers: IfMatchHeaders,
    response: RuleSchema,
    handler: async ({ params, headers }, context) => {
      const rule = await findRule(context, params.id);
      const changed = await changeRule(context, rule, 'ExemptionRemoved', headers['if-match'], (current) => {
        const index = /^\d+$/.test(params.index) ? Number(params.index) : -1;
        if (index < 0 || index >= current.exemptions.length) {
          throw new ApiError('not_found', `The rule '${current.name}' has no exemption '${params.index}' (it has ${current.exemptions.length}, numbered from 0).`);
        }
        return { ...current, exemptions: current.exemptions.filter((_exemption, at) => at !== index) };
      });
      return ruleView(withETag(changed, context), context.now);
    },
  }),
];
