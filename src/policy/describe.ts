// The policy description: a rule in plain words, as admission events and the API show it.
import { severityRank } from '../findings/severity.js';
import { plainEquality } from './label-selector.js';
import type { CloudProvider, CloudScope, Conditions, Exemption, ExemptionType, ResourceKind, ResourceScope, Rule, ScopeCriterion } from './rule.js';

/**
 * E.g. "Deny images with Critical vulnerabilities in namespaces starting with 'prod-' on aws
 * account 123456789012; images without a scan are ignored; exempt CVE-2023-44487 until
 * 2026-12-31 (UTC)."
 */
export function describeRule(rule: Rule): string {
  const resources = rule.scope.resources ?? [];
  const images = resources.filter((scope) => scope.kind === 'Image');
  const workloads = resources.filter((scope) => scope.kind !== 'Image' && scope.kind !== 'Cluster');
  const clusters = resources.filter((scope) => scope.kind === 'Cluster');
  const cloud = rule.scope.cloud ?? [];

  const where = [
    workloads.map(workloadPhrase).join(' and '),
    clusters.map(workloadPhrase).join(' and '),
    cloud.length > 0 ? `on ${orList(cloud.map(cloudPhrase))}` : '',
  ].filter((part) => part !== '');
  if (workloads.length === 0 && clusters.length === 0 && cloud.length === 0) where.push('on every cluster');

  const subject = ['images', images.map(imagePhrase).join(' and ')].filter((part) => part !== '').join(' ');
  const main = [rule.action, subject, 'with', conditionsPhrase(rule.conditions), ...where].join(' ');
  const clauses = [main, unscannedPhrase(rule)];
  if (rule.exemptions.length > 0) clauses.push(`exempt ${andList(rule.exemptions.map((e) => exemptionPhrase(e, rule.timeZone)))}`);
  const text = `${clauses.join('; ')}.`;
  return rule.enabled ? text : `Disabled (not evaluated): ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
}

// ---- conditions ----

function conditionsPhrase(conditions: Conditions): string {
  const severities = [...new Set(conditions.severities ?? [])].sort((a, b) => severityRank(b) - severityRank(a));
  const cves = conditions.cves ?? [];
  const named = [severities.length > 0 ? `${orList(severities)} vulnerabilities` : '', orList(cves)].filter((part) => part !== '');
  const findings = named.length > 0 ? named.join(' or ') : 'vulnerabilities of any severity';

  const filters = [
    conditions.minCvss !== undefined ? `a CVSS score of ${conditions.minCvss} or more` : '',
    conditions.fixAvailable === true ? 'a fix available' : '',
    conditions.knownExploited === true ? 'a known exploit' : '',
  ].filter((part) => part !== '');
  const moreThan = conditions.moreThan ?? 0;
  const counted = moreThan > 0 ? `more than ${moreThan} ${moreThan === 1 ? 'finding' : 'findings'}` : filters.length > 0 ? 'only findings' : '';
  if (counted === '') return findings;
  return `${findings} (${[counted, filters.length > 0 ? `with ${andList(filters)}` : ''].filter((part) => part !== '').join(' ')})`;
}

// ---- scope ----

const WORKLOAD_NOUNS: Readonly<Record<Exclude<ResourceKind, 'Image' | 'LabelSelector'>, readonly [string, string, string]>> = {
  Cluster: ['on', 'cluster', 'clusters'],
  Namespace: ['in', 'namespace', 'namespaces'],
  Pod: ['in', 'pod', 'pods'],
  Deployment: ['in', 'deployment', 'deployments'],
};

function workloadPhrase(scope: ResourceScope): string {
  if (scope.kind === 'LabelSelector') return `in workloads ${labelPhrase(scope)}`;
  if (scope.kind === 'Image') return imagePhrase(scope);
  const [preposition, one, many] = WORKLOAD_NOUNS[scope.kind];
  return scope.criterion === 'Equals' ? `${preposition} ${one} '${scope.value}'` : `${preposition} ${many} ${criterionPhrase(scope.criterion, scope.value)}`;
}

function imagePhrase(scope: ResourceScope): string {
  return scope.criterion === 'Equals' ? `named '${scope.value}'` : criterionPhrase(scope.criterion, scope.value);
}

function labelPhrase({ criterion, value }: ResourceScope): string {
  const plain = plainEquality(value);
  if (!plain) return criterion === 'NotEquals' ? `not matching the label selector '${value}'` : `matching the label selector '${value}'`;
  switch (criterion) {
    case 'Equals':
      return `labelled ${plain.key}=${plain.value}`;
    case 'NotEquals':
      return `not labelled ${plain.key}=${plain.value}`;
    case 'StartsWith':
      return `whose label ${plain.key} starts with '${plain.value}'`;
    case 'EndsWith':
      return `whose label ${plain.key} ends with '${plain.value}'`;
    case 'Contains':
      return `whose label ${plain.key} contains '${plain.value}'`;
  }
}

function criterionPhrase(criterion: ScopeCriterion, value: string): string {
  switch (criterion) {
    case 'Equals':
      return `equal to '${value}'`;
    case 'NotEquals':
      return `other than '${value}'`;
    case 'StartsWith':
      return `starting with '${value}'`;
    case 'EndsWith':
      return `ending with '${value}'`;
    case 'Contains':
      return `containing '${value}'`;
  }
}

const ACCOUNT_NOUNS: Readonly<Record<CloudProvider, string>> = { aws: 'account', azure: 'subscription', gcp: 'project' };

function cloudPhrase({ provider, account }: CloudScope): string {
  return account === undefined ? `any ${provider} ${ACCOUNT_NOUNS[provider]}` : `${provider} ${ACCOUNT_NOUNS[provider]} ${account}`;
}

// ---- evidence ----

function unscannedPhrase(rule: Rule): string {
  const age = rule.maxScanAge === undefined ? '' : `, or whose scan is older than ${durationInWords(rule.maxScanAge)},`;
  const outcome = rule.unscanned === 'Ignore' ? 'ignored' : rule.action === 'Deny' ? 'denied' : 'audited';
  return `images without a scan${age} are ${outcome}`;
}

const UNIT_WORDS: Readonly<Record<string, string>> = { m: 'minute', h: 'hour', d: 'day', w: 'week' };

function durationInWords(duration: string): string {
  const match = /^\s*(\d+)([mhdw])\s*$/.exec(duration);
  if (!match) return duration;
  const count = Number(match[1]);
  return `${count} ${UNIT_WORDS[match[2] ?? ''] ?? ''}${count === 1 ? '' : 's'}`;
}

// ---- exemptions ----

const EXEMPTION_NOUNS: Readonly<Record<ExemptionType, readonly [string, string]>> = {
  CVE: ['vulnerability', 'vulnerabilities'],
  Deployment: ['deployment', 'deployments'],
  Image: ['image', 'images'],
  Namespace: ['namespace', 'namespaces'],
  Pod: ['pod', 'pods'],
  Registry: ['registry', 'registries'],
  Repository: ['repository', 'repositories'],
};

function exemptionPhrase(exemption: Exemption, timeZone: string): string {
  const [one, many] = EXEMPTION_NOUNS[exemption.type];
  let what: string;
  if (exemption.criterion !== 'Equals') what = `${many} ${criterionPhrase(exemption.criterion, exemption.value)}`;
  else what = exemption.type === 'CVE' ? exemption.value : `${one} '${exemption.value}'`;
  return exemption.expires === undefined ? what : `${what} until ${exemption.expires} (${timeZone})`;
}

// ---- lists ----

function orList(items: readonly string[]): string {
  return joinList(items, 'or');
}

function andList(items: readonly string[]): string {
  return joinList(items, 'and');
}

function joinList(items: readonly string[], word: string): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${word} ${items[items.length - 1] ?? ''}`;
}
