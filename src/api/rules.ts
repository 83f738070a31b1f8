// /api/v1/rules: the security rules. A rule is created, replaced, disabled, enabled and deleted;
// every change is a new version with who and when. Exemptions have their own module.
import type { Rule } from '../policy/rule.js';
import { validateRule } from '../policy/rule-document.js';
import { ACCESS } from './access.js';
import { ApiError, apiProblems } from './errors.js';
import { defineRoute, type Route } from './route.js';
import { changeRule, findRule, IfMatchHeaders, RuleParams, sameDocument, withETag } from './rule-changes.js';
import { RuleDocumentSchema, RuleSchema, RuleVersionSchema } from './rule-schemas.js';
import { ruleVersionView, ruleView } from './rule-view.js';
import { listOf } from './schemas.js';

const TAGS = ['rules'];

/** A rule document from a request body: every problem with its place, or the rule. */
function ruleFromBody(body: unknown): Rule {
  const { rule, problems } = validateRule(body, 'body');
  if (!rule || problems.length > 0) throw ApiError.invalid(apiProblems(problems), problems.length === 1 ? undefined : `The rule document has ${problems.length} problems: see problems.`);
  return rule;
}

function toggle(enabled: boolean): Route {
  const verb = enabled ? 'enable' : 'disable';
  return defineRoute({
    operationId: `${verb}Rule`,
    method: 'POST',
    url: `/api/v1/rules/:id/${verb}`,
    access: ACCESS.changeRules,
    summary: enabled ? 'Enable a rule' : 'Disable a rule (kept, not evaluated)',
    description: `A new version (${enabled ? 'Enabled' : 'Disabled'}); a rule already ${verb}d is answered as it is.`,
    tags: TAGS,
    params: RuleParams,
    headers: IfMatchHeaders,
    response: RuleSchema,
    handler: async ({ params, headers }, context) => {
      const rule = await findRule(context, params.id);
      const changed = await changeRule(context, rule, enabled ? 'Enabled' : 'Disabled', headers['if-match'], (current) =>
        current.enabled === enabled ? undefined : { ...current, enabled },
      );
      return ruleView(withETag(changed, context), context.now);
    },
  });
}

export const ruleRoutes: readonly Route[] = [
  defineRoute({
    operationId: 'listRules',
    method: 'GET',
    url: '/api/v1/rules',
    access: ACCESS.readRules,
    summary: 'List rules',
    tags: TAGS,
    response: listOf('rules', RuleSchema),
    handler: async (_input, { store, now }) => ({ rules: (await store.rules.list()).map((rule) => ruleView(rule, now)) }),
  }),
  defineRoute({
    operationId: 'getRule',
    method: 'GET',
    url: '/api/v1/rules/:id',
    access: ACCESS.readRules,
    summary: 'Get a rule by id or name',
    tags: TAGS,
    params: RuleParams,
    response: RuleSchema,
    handler: async ({ params }, context) => ruleView(withETag(await findRule(context, params.id), context), context.now),
  }),
  defineRoute({
    operationId: 'createRule',
    method: 'POST',
    url: '/api/v1/rules',
    access: ACCESS.changeRules,
    summary: 'Create a rule',
    description: 'The body is a rule document. 400 lists every problem with its path; 409 when the name is taken (case-insensitive).',
    tags: TAGS,
    documentedBody: RuleDocumentSchema,
    status: 201,
    response: RuleSchema,
    handler: async ({ body }, context) => {
      const created = await context.store.rules.create(ruleFromBody(body), context.actor, context.now.toISOString());
      context.reply.header('location', `/api/v1/rules/${encodeURIComponent(created.id)}`);
      return ruleView(withETag(created, context), context.now);
    },
  }),
  defineRoute({
    operationId: 'replaceRule',
    method: 'PUT',
    url: '/api/v1/rules/:id',
    access: ACCESS.changeRules,
    summary: 'Replace a rule',
    description: 'The body is the whole new rule document (a new name renames the rule). A document equal to the current one makes no new version.',
    tags: TAGS,
    params: RuleParams,
    headers: IfMatchHeaders,
    documentedBody: RuleDocumentSchema,
    response: RuleSchema,
    handler: async ({ params, headers, body }, context) => {
      const replacement = ruleFromBody(body);
      const rule = await findRule(context, params.id);
      const changed = await changeRule(context, rule, 'Replaced', headers['if-match'], (current) => (sameDocument(current, replacement) ? undefined : replacement));
      return ruleView(withETag(changed, context), context.now);
    },
  }),
  toggle(false),
  toggle(true),
  defineRoute({
    operationId: 'deleteRule',
    method: 'DELETE',
    url: '/api/v1/rules/:id',
    access: ACCESS.changeRules,
    summary: 'Delete a rule',
    description: 'Its versions stay readable by id; its name is free again.',
    tags: TAGS,
    params: RuleParams,
    handler: async ({ params }, context) => {
      const rule = await findRule(context, params.id);
      if (!(await context.store.rules.delete(rule.id, context.actor, context.now.toISOString()))) throw new ApiError('not_found', `No rule '${params.id}'.`);
    },
  }),
  defineRoute({
    operationId: 'listRuleVersions',
    method: 'GET',
    url: '/api/v1/rules/:id/versions',
    access: ACCESS.read,
    summary: "A rule's versions: who changed what, when",
    description: 'Oldest first. A deleted rule keeps its history (ask by id).',
    tags: TAGS,
    params: RuleParams,
    response: listOf('versions', RuleVersionSchema),
    handler: async ({ params }, { store }) => {
      const rule = (await store.rules.get(params.id)) ?? (await store.rules.getByName(params.id));
      const versions = await store.rules.versions(rule?.id ?? params.id);
      if (versions.length === 0) throw new ApiError('not_found', `No rule '${params.id}' (by id or name).`);
      return { versions: versions.map(ruleVersionView) };
    },
  }),
];
