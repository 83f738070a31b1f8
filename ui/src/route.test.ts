import { describe, expect, test } from 'vitest';
import { formatRoute, parseRoute, type Route } from './route.js';

describe('the hash routes', () => {
  test.each<[string, Route]>([
    ['', { page: 'events', filters: {} }],
    ['#/', { page: 'events', filters: {} }],
    ['#/events', { page: 'events', filters: {} }],
    ['#/events?decision=Denied&decision=Audited&namespace=prod-payments', { page: 'events', filters: { decision: ['Denied', 'Audited'], namespace: 'prod-payments' } }],
    ['#/events?cve=CVE-2024-1234&dryRun=false&from=2026-11-01T00%3A00%3A00.000Z', { page: 'events', filters: { cve: 'CVE-2024-1234', dryRun: 'false', from: '2026-11-01T00:00:00.000Z' } }],
    ['#/events/0193a1b2-0000-7000-8000-000000000001', { page: 'event', id: '0193a1b2-0000-7000-8000-000000000001' }],
    ['#/rules', { page: 'rules' }],
    ['#/rules/deny%20critical', { page: 'rule', id: 'deny critical' }],
    ['#/images/ghcr.io%2Forg%2Fapp%3A1.0', { page: 'image', reference: 'ghcr.io/org/app:1.0' }],
    ['#/environment', { page: 'environment' }],
    ['#/tokens', { page: 'tokens' }],
    ['#/scans', { page: 'scans' }],
    ['#/nowhere', { page: 'events', filters: {} }],
  ])('%s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  test('a decision the API does not know and empty filters are dropped, not sent', () => {
    expect(parseRoute('#/events?decision=Maybe&decision=Denied&cluster=&rule=r')).toEqual({ page: 'events', filters: { decision: ['Denied'], rule: 'r' } });
  });

  test('a stray percent sign in a hand-edited id is taken as written', () => {
    expect(parseRoute('#/rules/100%')).toEqual({ page: 'rule', id: '100%' });
  });

  test.each<Route>([
    { page: 'events', filters: {} },
    { page: 'events', filters: { decision: ['BreakGlass', 'Error'], image: 'registry.example.com/shop/app:1.0 & more', cve: 'GHSA-xxxx-yyyy' } },
    { page: 'event', id: 'a/b?c#d' },
    { page: 'rules' },
    { page: 'rule', id: 'name with / and #' },
    { page: 'image', reference: 'registry.example.com:5000/shop/app@sha256:0123abcd' },
  ])('formatting then parsing gives the same route: %j', (route) => {
    expect(parseRoute(formatRoute(route))).toEqual(route);
  });
});
