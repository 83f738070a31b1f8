// The one behaviour both stores must have: every method of Store, run against each database by
// sqlite/sqlite-store.test.ts and postgres/postgres-store.test.ts. `makeStore` answers a store on
// an empty database, not yet migrated; each test gets its own.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { EVENT_DECISIONS, type AdmissionEvent, type EventDecision } from '../events/admission-event.js';
import { summarizeEvent } from '../events/event-summary.js';
import { aRule } from '../policy/testing/builders.js';
import { InputError } from '../problems.js';
import { ConflictError, NotFoundError } from './errors.js';
import type { EventFilter, Store, StoredScan } from './store.js';
import { APP_TAG, aScan, anEvent, at, digest, finding, hashOf, type EventSketch } from './testing/builders.js';

export function describeStoreContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`the ${name} store`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
      await store.migrate();
    });

    afterEach(async () => {
      await store.close();
    });

    describe('lifecycle', () => {
      test(`says it is ${name}`, () => {
        expect(store.kind).toBe(name);
      });

      test('migrating again changes nothing and keeps what is stored', async () => {
        const rule = await store.rules.create(aRule({ name: 'kept' }), 'alice', at(0));
        await store.migrate();
        await store.migrate();
        expect(await store.rules.list()).toStrictEqual([rule]);
      });

      test('ping answers while open; closing twice is harmless; ping fails once closed', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
        await store.close();
        await store.close();
        await expect(store.ping()).rejects.toThrow();
      });
    });

    describe('tokens', () => {
      const HASH = 'a'.repeat(64);

      test('a token is found by the hash of its secret, and by nothing else', async () => {
        const created = await store.tokens.create({ name: 'ci', role: 'Scanner', hash: HASH, createdBy: 'alice', expiresAt: at(60) }, at(0));
        expect(created).toStrictEqual({ id: expect.any(String), name: 'ci', role: 'Scanner', createdAt: at(0), createdBy: 'alice', expiresAt: at(60) });
        expect(await store.tokens.findByHash(HASH)).toStrictEqual(created);
        expect(await store.tokens.findByHash('b'.repeat(64))).toBeUndefined();
      });

      test('what a token was not given stays absent', async () => {
        const created = await store.tokens.create({ name: 'sensor', role: 'Sensor', hash: HASH }, at(0));
        expect(created).toStrictEqual({ id: expect.any(String), name: 'sensor', role: 'Sensor', createdAt: at(0) });
      });

      test('a second token with the same secret is a conflict, and is not stored', async () => {
        await store.tokens.create({ name: 'one', role: 'Admin', hash: HASH }, at(0));
        await expect(store.tokens.create({ name: 'two', role: 'Admin', hash: HASH }, at(1))).rejects.toBeInstanceOf(ConflictError);
        expect(await store.tokens.count()).toBe(1);
      });

      test('list is in creation order and count counts every token, revoked ones too', async () => {
        const b = await store.tokens.create({ name: 'b', role: 'Admin', hash: '1'.repeat(64) }, at(0));
        const a = await store.tokens.create({ name: 'a', role: 'SecurityReader', hash: '2'.repeat(64) }, at(1));
        const c = await store.tokens.create({ name: 'c', role: 'Sensor', hash: '3'.repeat(64) }, at(1));
        await store.tokens.revoke(b.id, at(2));
        expect((await store.tokens.list()).map((t) => t.name)).toEqual(['b', 'a', 'c']);
        expect(await store.tokens.count()).toBe(3);
        expect(a.id).not.toBe(c.id);
      });

      test('revoking twice keeps the first time; an unknown id answers undefined', async () => {
        const token = await store.tokens.create({ name: 'ci', role: 'Scanner', hash: HASH }, at(0));
        const revoked = await store.tokens.revoke(token.id, at(5));
        expect(revoked).toStrictEqual({ ...token, revokedAt: at(5) });
        expect(await store.tokens.revoke(token.id, at(9))).toStrictEqual(revoked);
        expect(await store.tokens.findByHash(HASH)).toStrictEqual(revoked);
        expect(await store.tokens.revoke('no-such-token', at(9))).toBeUndefined();
      });
    });

    describe('rules', () => {
      test('a created rule is version 1, found by id and by its name in any case', async () => {
        const document = aRule({ name: 'No-Critical', description: 'Blocks criticals.', exemptions: [{ type: 'CVE', criterion: 'Equals', value: 'CVE-2024-1', expires: '2026-12-31', reason: 'vendor fix pending' }] });
        const rule = await store.rules.create(document, 'alice', at(0));
        expect(rule).toStrictEqual({
          id: expect.any(String),
          name: 'No-Critical',
          version: 1,
          document,
          createdAt: at(0),
          createdBy: 'alice',
          updatedAt: at(0),
          updatedBy: 'alice',
          seq: expect.any(Number),
        });
        expect(rule.seq).toBeGreaterThan(0);
        expect(await store.rules.get(rule.id)).toStrictEqual(rule);
        expect(await store.rules.getByName('no-critical')).toStrictEqual(rule);
        expect(await store.rules.getByName('NO-CRITICAL')).toStrictEqual(rule);
        expect(await store.rules.get('no-such-rule')).toBeUndefined();
        expect(await store.rules.getByName('other')).toBeUndefined();
      });

      test('list has every rule by name, whatever its case', async () => {
        for (const name of ['beta', 'Alpha', 'gamma', 'Delta']) await store.rules.create(aRule({ name }), 'alice', at(0));
        expect((await store.rules.list()).map((r) => r.name)).toEqual(['Alpha', 'beta', 'Delta', 'gamma']);
      });

      test('a name taken in another case is a conflict, and nothing is stored', async () => {
        await store.rules.create(aRule({ name: 'Ärger-Rule' }), 'alice', at(0));
        await expect(store.rules.create(aRule({ name: 'ärger-rule' }), 'bob', at(1))).rejects.toBeInstanceOf(ConflictError);
        expect(await store.rules.list()).toHaveLength(1);
      });

      test('an update stores a new version, keeps creation, and moves the change sequence on', async () => {
        const created = await store.rules.create(aRule({ name: 'r' }), 'alice', at(0));
        const changed = aRule({ name: 'r', action: 'Audit' });
        const updated = await store.rules.update(created.id, changed, 'Replaced', 'bob', at(1));
        expect(updated).toStrictEqual({ ...created, version: 2, document: changed, updatedAt: at(1), updatedBy: 'bob', seq: expect.any(Number) });
        expect(updated.seq).toBeGreaterThan(created.seq);
        expect(await store.rules.get(created.id)).toStrictEqual(updated);
        expect(await store.rules.versions(created.id)).toStrictEqual([
          { ruleId: created.id, version: 1, name: 'r', document: aRule({ name: 'r' }), change: 'Created', actor: 'alice', at: at(0) },
          { ruleId: created.id, version: 2, name: 'r', document: changed, change: 'Replaced', actor: 'bob', at: at(1) },
        ]);
      });

      test('an update expecting another version than the current one is a conflict', async () => {
        const created = await store.rules.create(aRule({ name: 'r' }), 'alice', at(0));
        await store.rules.update(created.id, aRule({ name: 'r', enabled: false }), 'Disabled', 'bob', at(1), 1);
        await expect(store.rules.update(created.id, aRule({ name: 'r' }), 'Enabled', 'carol', at(2), 1)).rejects.toBeInstanceOf(ConflictError);
        const enabled = await store.rules.update(created.id, aRule({ name: 'r' }), 'Enabled', 'carol', at(2), 2);
        expect(enabled.version).toBe(3);
        expect((await store.rules.versions(created.id)).map((v) => v.change)).toEqual(['Created', 'Disabled', 'Enabled']);
      });

      test('renaming onto a name taken in any case is a conflict; a rule may change the case of its own name', async () => {
        const a = await store.rules.create(aRule({ name: 'a' }), 'alice', at(0));
        await store.rules.create(aRule({ name: 'b' }), 'alice', at(0));
        await expect(store.rules.update(a.id, aRule({ name: 'B' }), 'Replaced', 'bob', at(1))).rejects.toBeInstanceOf(ConflictError);
        expect(await store.rules.get(a.id)).toStrictEqual(a);
        const renamed = await store.rules.update(a.id, aRule({ name: 'A' }), 'Replaced', 'bob', at(1));
        expect(renamed.name).toBe('A');
        expect(await store.rules.getByName('a')).toStrictEqual(renamed);
      });

      test('updating an unknown or deleted rule is not found; creation and deletion are not updates', async () => {
        const rule = await store.rules.create(aRule({ name: 'r' }), 'alice', at(0));
        await expect(store.rules.update('no-such-rule', aRule(), 'Replaced', 'bob', at(1))).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.rules.update(rule.id, aRule({ name: 'r' }), 'Created', 'bob', at(1))).rejects.toBeInstanceOf(TypeError);
        await expect(store.rules.update(rule.id, aRule({ name: 'r' }), 'Deleted', 'bob', at(1))).rejects.toBeInstanceOf(TypeError);
        await store.rules.delete(rule.id, 'bob', at(2));
        await expect(store.rules.update(rule.id, aRule({ name: 'r' }), 'Replaced', 'bob', at(3))).rejects.toBeInstanceOf(NotFoundError);
      });

      test('a deleted rule is gone, keeps its history with who deleted it, and frees its name', async () => {
        const rule = await store.rules.create(aRule({ name: 'Old' }), 'alice', at(0));
        expect(await store.rules.delete(rule.id, 'bob', at(1))).toBe(true);
        expect(await store.rules.delete(rule.id, 'bob', at(2))).toBe(false);
        expect(await store.rules.delete('no-such-rule', 'bob', at(2))).toBe(false);
        expect(await store.rules.get(rule.id)).toBeUndefined();
        expect(await store.rules.getByName('old')).toBeUndefined();
        expect(await store.rules.list()).toEqual([]);
        expect((await store.rules.versions(rule.id)).at(-1)).toStrictEqual({ ruleId: rule.id, version: 2, name: 'Old', document: aRule({ name: 'Old' }), change: 'Deleted', actor: 'bob', at: at(1) });
        const again = await store.rules.create(aRule({ name: 'old' }), 'carol', at(3));
        expect(again.id).not.toBe(rule.id);
        expect(await store.rules.getByName('OLD')).toStrictEqual(again);
      });

      test('versions of an unknown rule are none', async () => {
        expect(await store.rules.versions('no-such-rule')).toEqual([]);
      });

      test('changesSince answers each rule changed after a number once, by seq, deleted ones as tombstones', async () => {
        const a = await store.rules.create(aRule({ name: 'a' }), 'alice', at(0));
        const b = await store.rules.create(aRule({ name: 'b' }), 'alice', at(0));
        const c = await store.rules.create(aRule({ name: 'c' }), 'alice', at(0));
        const updatedA = await store.rules.update(a.id, aRule({ name: 'a', action: 'Audit' }), 'Replaced', 'bob', at(1));
        await store.rules.delete(b.id, 'bob', at(2));
        const all = await store.rules.changesSince(0);
        expect(all.map((change) => [change.rule.name, change.deleted])).toEqual([
          ['c', false],
          ['a', false],
          ['b', true],
        ]);
        expect(all[1]?.rule).toStrictEqual(updatedA);
        expect(all[2]?.rule).toMatchObject({ id: b.id, version: 2, updatedBy: 'bob', updatedAt: at(2) });
        const seqs = all.map((change) => change.rule.seq);
        expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        expect((await store.rules.changesSince(c.seq)).map((change) => change.rule.name)).toEqual(['a', 'b']);
        expect(await store.rules.changesSince(seqs.at(-1) ?? 0)).toEqual([]);
        // The last number handed out: nothing changed after it.
        expect(await store.changeSeq()).toBe(seqs.at(-1));
      });

      test('rules created at once under one name: one wins, the others are conflicts', async () => {
        const results = await Promise.allSettled(['same', 'Same', 'SAME', 'sAme'].map((n) => store.rules.create(aRule({ name: n }), 'alice', at(0))));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const result of results) if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(ConflictError);
        expect(await store.rules.list()).toHaveLength(1);
      });
    });

    describe('scans', () => {
      test('a stored scan is the image of its digest, with its findings counted', async () => {
        const scan = aScan({ findings: [finding('CVE-2024-0001', 'High'), finding('CVE-2024-0002', 'Critical', 'zlib')] });
        const result = await store.scans.put(scan, hashOf(scan), at(1));
        expect(result).toStrictEqual({
          scan: { id: expect.any(String), keys: [digest('1')], scanner: 'trivy', scannedAt: at(0), receivedAt: at(1), reportHash: hashOf(scan), scan, seq: expect.any(Number) },
          created: true,
          replaced: [],
        });
        const image = await store.scans.image(digest('1'));
        expect(image).toStrictEqual({
          key: digest('1'),
          tags: [APP_TAG],
          repoDigests: [`registry.example.com/team/app@${digest('1')}`],
          scans: [result.scan],
          findings: [finding('CVE-2024-0002', 'Critical', 'zlib'), finding('CVE-2024-0001', 'High')],
          counts: { Critical: 1, High: 1, Medium: 0, Low: 0, Unknown: 0 },
          scannedAt: at(0),
        });
        expect(await store.scans.image(digest('2'))).toBeUndefined();
      });

      test('the same report again is stored once: nothing changes', async () => {
        const scan = aScan();
        const first = await store.scans.put(scan, hashOf(scan), at(1));
        const second = await store.scans.put(scan, hashOf(scan), at(2));
        expect(second).toStrictEqual({ scan: first.scan, created: false, replaced: [] });
        expect((await store.scans.changesSince(0, 10)).scans).toStrictEqual([first.scan]);
      });

      test('a newer scan from the same scanner replaces the older one', async () => {
        const old = aScan({ scannedAt: at(0) });
        const stored = await store.scans.put(old, hashOf(old), at(1));
        const newer = aScan({ scannedAt: at(10), findings: [] });
        const result = await store.scans.put(newer, hashOf(newer), at(11));
        expect(result.created).toBe(true);
        expect(result.replaced).toEqual([stored.scan.id]);
        expect((await store.scans.image(digest('1')))?.scans).toStrictEqual([result.scan]);
        expect((await store.scans.changesSince(0, 10)).scans).toStrictEqual([result.scan]);
      });

      test('an older scan arriving late is kept out, and the answer names the newer one', async () => {
        const newer = aScan({ scannedAt: at(10) });
        const current = await store.scans.put(newer, hashOf(newer), at(11));
        const older = aScan({ scannedAt: at(0), findings: [] });
        expect(await store.scans.put(older, hashOf(older), at(12))).toStrictEqual({ scan: current.scan, created: false, replaced: [] });
        expect((await store.scans.image(digest('1')))?.scans).toStrictEqual([current.scan]);
      });

      test('a scan without a time of its own counts as made when it was received', async () => {
        const undated = aScan({ scannedAt: undefined });
        delete (undated as { scannedAt?: string }).scannedAt;
        const first = await store.scans.put(undated, hashOf(undated), at(5));
        expect(first.scan).not.toHaveProperty('scannedAt');
        expect((await store.scans.image(digest('1')))?.scannedAt).toBe(at(5));
        const older = aScan({ scannedAt: at(4) });
        expect((await store.scans.put(older, hashOf(older), at(6))).created).toBe(false);
        const newer = aScan({ scannedAt: at(6) });
        expect((await store.scans.put(newer, hashOf(newer), at(7))).replaced).toEqual([first.scan.id]);
      });

      test("scans of several scanners stand side by side, and the image merges them", async () => {
        const trivy = aScan({ scanner: 'trivy', scannedAt: at(0), findings: [finding('CVE-2024-0001', 'High')] });
        const grype = aScan({ scanner: 'grype', scannedAt: at(3), findings: [finding('CVE-2024-0001', 'High'), finding('CVE-2024-0009', 'Low', 'zlib')] });
        const t = await store.scans.put(trivy, hashOf(trivy), at(5));
        const g = await store.scans.put(grype, hashOf(grype), at(6));
        expect(g.replaced).toEqual([]);
        const image = await store.scans.image(digest('1'));
        expect(image?.scans).toStrictEqual([g.scan, t.scan]);
        expect(image?.findings.map((f) => f.id)).toEqual(['CVE-2024-0001', 'CVE-2024-0009']);
        expect(image?.counts).toEqual({ Critical: 0, High: 1, Medium: 0, Low: 1, Unknown: 0 });
        expect(image?.scannedAt).toBe(at(3));
      });

      test('a scan of several digests answers for each; a newer scan of one of them replaces it there only', async () => {
        const index = digest('a');
        const both = aScan({ manifestDigest: digest('1'), digests: [digest('1'), index], scannedAt: at(0) });
        const first = await store.scans.put(both, hashOf(both), at(1));
        expect(first.scan.keys).toEqual([digest('1'), index]);
        expect((await store.scans.image(index))?.scans).toStrictEqual([first.scan]);
        const platform = aScan({ manifestDigest: digest('1'), digests: [digest('1')], scannedAt: at(5), findings: [] });
        const second = await store.scans.put(platform, hashOf(platform), at(6));
        expect(second.replaced).toEqual([first.scan.id]);
        expect((await store.scans.image(digest('1')))?.scans).toStrictEqual([second.scan]);
        expect((await store.scans.image(index))?.scans).toStrictEqual([first.scan]);
        // Replaced everywhere now: the first scan is no longer stored.
        const indexScan = aScan({ manifestDigest: index, digests: [index], scannedAt: at(7) });
        await store.scans.put(indexScan, hashOf(indexScan), at(8));
        expect((await store.scans.changesSince(0, 10)).scans.map((s) => s.id)).not.toContain(first.scan.id);
      });

      test('a scan older for one of its digests and newer for another is stored for the newer one only', async () => {
        const mine = aScan({ manifestDigest: digest('2'), digests: [digest('2')], scannedAt: at(10) });
        await store.scans.put(mine, hashOf(mine), at(10));
        const both = aScan({ manifestDigest: digest('1'), digests: [digest('1'), digest('2')], scannedAt: at(5) });
        const result = await store.scans.put(both, hashOf(both), at(11));
        expect(result).toMatchObject({ created: true, replaced: [] });
        expect((await store.scans.image(digest('1')))?.scans.map((s) => s.id)).toEqual([result.scan.id]);
        expect((await store.scans.image(digest('2')))?.scans.map((s) => s.scan)).toStrictEqual([mine]);
      });

      test('a report without digests is keyed by its image id, and its tags point there', async () => {
        const imageId = digest('c');
        const archive = aScan({ manifestDigest: undefined, digests: [], imageId, repoDigests: [], warnings: ['no digest'] });
        delete (archive as { manifestDigest?: string }).manifestDigest;
        const result = await store.scans.put(archive, hashOf(archive), at(1));
        expect(result.scan.keys).toEqual([`id:${imageId}`]);
        expect((await store.scans.image(`id:${imageId}`))?.scans).toStrictEqual([result.scan]);
        expect(await store.scans.keyForTag(APP_TAG)).toBe(`id:${imageId}`);
      });

      test('a report naming neither a digest nor an image id is refused, and nothing is stored', async () => {
        const nothing = aScan({ digests: [] });
        await expect(store.scans.put(nothing, hashOf(nothing), at(1))).rejects.toBeInstanceOf(InputError);
        expect((await store.scans.changesSince(0, 10)).scans).toEqual([]);
      });

      test('a tag points at the platform digest of its newest scan', async () => {
        const index = digest('a');
        const first = aScan({ manifestDigest: digest('1'), digests: [index, digest('1')], scannedAt: at(0) });
        await store.scans.put(first, hashOf(first), at(1));
        expect(await store.scans.keyForTag(APP_TAG)).toBe(digest('1'));
        const rebuilt = aScan({ manifestDigest: digest('2'), scannedAt: at(5), scanner: 'grype' });
        await store.scans.put(rebuilt, hashOf(rebuilt), at(6));
        expect(await store.scans.keyForTag(APP_TAG)).toBe(digest('2'));
        const stale = aScan({ manifestDigest: digest('3'), scannedAt: at(2) });
        await store.scans.put(stale, hashOf(stale), at(7));
        expect(await store.scans.keyForTag(APP_TAG)).toBe(digest('2'));
        expect(await store.scans.keyForTag('registry.example.com/team/other:1.0')).toBeUndefined();
        // tagsOf: the same mapping, by key.
        const other = aScan({ manifestDigest: digest('4'), scannedAt: at(8), repoTags: ['registry.example.com/team/b:1', 'registry.example.com/team/a:1'] });
        await store.scans.put(other, hashOf(other), at(9));
        expect(await store.scans.tagsOf([digest('1'), digest('2'), digest('4'), digest('9')])).toEqual(
          new Map([
            [digest('2'), [APP_TAG]],
            [digest('4'), ['registry.example.com/team/a:1', 'registry.example.com/team/b:1']],
          ]),
        );
        expect(await store.scans.tagsOf([])).toEqual(new Map());
      });

      test('changesSince answers scans stored after a number, by seq, at most limit of them', async () => {
        const stored = [];
        for (const hex of ['1', '2', '3']) {
          const scan = aScan({ manifestDigest: digest(hex) });
          stored.push((await store.scans.put(scan, hashOf(scan), at(1))).scan);
        }
        expect(await store.scans.changesSince(0, 10)).toStrictEqual({ scans: stored, more: false });
        expect(await store.scans.changesSince(0, 2)).toStrictEqual({ scans: stored.slice(0, 2), more: true });
        expect(await store.scans.changesSince(0, 3)).toStrictEqual({ scans: stored, more: false });
        expect(await store.scans.changesSince(stored[0]?.seq ?? 0, 10)).toStrictEqual({ scans: stored.slice(1), more: false });
        expect(await store.scans.changesSince(stored[2]?.seq ?? 0, 10)).toStrictEqual({ scans: [], more: false });
      });

      test('changesSince stops a page at a budget of findings, but always answers the first scan', async () => {
        const findings = (count: number) => Array.from({ length: count }, (_, i) => finding(`CVE-2024-${String(i).padStart(4, '0')}`));
        const stored: StoredScan[] = [];
        for (const [hex, count] of [['1', 3], ['2', 4], ['3', 0], ['4', 9], ['5', 1]] as const) {
          const scan = aScan({ manifestDigest: digest(hex), findings: findings(count) });
          stored.push((await store.scans.put(scan, hashOf(scan), at(1))).scan);
        }
        const page = async (after: number, maxFindings: number) => {
          const { scans, more } = await store.scans.changesSince(stored[after - 1]?.seq ?? 0, 10, maxFindings);
          return { scans: scans.map((scan) => stored.findIndex((s) => s.id === scan.id) + 1), more };
        };
        // 3 + 4 = 7 fits in 7; the empty third scan adds nothing; the fourth (9) would pass it.
        expect(await page(0, 7)).toEqual({ scans: [1, 2, 3], more: true });
        expect(await page(0, 6)).toEqual({ scans: [1], more: true });
        // 9 alone is over any budget of fewer: it comes alone rather than never.
        expect(await page(3, 5)).toEqual({ scans: [4], more: true });
        expect(await page(4, 5)).toEqual({ scans: [5], more: false });
        expect(await page(0, 17)).toEqual({ scans: [1, 2, 3, 4, 5], more: false });
        expect((await store.scans.changesSince(0, 10, 7)).scans).toStrictEqual(stored.slice(0, 3));
      });

      test('rules and scans share one change sequence', async () => {
        const rule = await store.rules.create(aRule({ name: 'r' }), 'alice', at(0));
        const scan = aScan();
        const put = await store.scans.put(scan, hashOf(scan), at(1));
        const updated = await store.rules.update(rule.id, aRule({ name: 'r', enabled: false }), 'Disabled', 'bob', at(2));
        expect(rule.seq).toBeLessThan(put.scan.seq);
        expect(put.scan.seq).toBeLessThan(updated.seq);
      });

      test('puts of one digest arriving at once leave the newest scan, and only it, stored', async () => {
        const scans = [3, 7, 1, 5, 0, 6, 2, 4].map((minute) => aScan({ scannedAt: at(minute), warnings: [`made at ${minute}`] }));
        await Promise.all(scans.map((scan) => store.scans.put(scan, hashOf(scan), at(10))));
        const image = await store.scans.image(digest('1'));
        expect(image?.scans.map((s) => s.scannedAt)).toEqual([at(7)]);
        expect((await store.scans.changesSince(0, 100)).scans.map((s) => s.scannedAt)).toEqual([at(7)]);
      });
    });

    describe('admission events', () => {
      const D1 = digest('1');
      const D2 = digest('2');
      const APP = 'registry.example.com/team/app:1.0';
      const NGINX = 'nginx:1.25';
      /** A small history every filter has something to find in and something to leave out. */
      const HISTORY: Record<string, EventSketch> = {
        denied: { time: at(0), decision: 'Denied', cluster: 'prod-eu', namespace: 'payments', rules: ['no-critical'], images: [{ reference: APP, digest: D1, violations: [{ rule: 'no-critical', cves: ['CVE-2024-0001', 'GHSA-aaaa-bbbb-cccc'] }] }] },
        audited: { time: at(1), decision: 'Audited', cluster: 'prod-us', namespace: 'payments', rules: ['audit-high'], images: [{ reference: NGINX, digest: D2, violations: [{ rule: 'audit-high', cves: ['CVE-2024-0002'] }] }] },
        allowed: { time: at(2), decision: 'Allowed', namespace: 'web', dryRun: true, images: [{ reference: NGINX, digest: D2 }] },
        pinned: { time: at(3), seed: 1, decision: 'Denied', cluster: 'prod-eu', namespace: 'web', dryRun: true, rules: ['No-Critical'], images: [{ reference: `registry.example.com/team/app@${D1}`, digest: D1, violations: [{ rule: 'No-Critical', cves: ['cve-2024-0001'] }] }] },
        breakGlass: { time: at(3), seed: 2, decision: 'BreakGlass', cluster: 'prod-us', namespace: 'payments', rules: ['no-critical', 'audit-high'], images: [{ reference: APP, violations: [{ rule: 'no-critical', cves: ['CVE-2024-0001'] }, { rule: 'audit-high', cves: ['CVE-2024-0002'] }] }] },
        // 14:04 at +02:00 is 12:04 UTC: the newest of all.
        error: { time: '2026-03-01T14:04:00.000+02:00', decision: 'Error', cluster: 'prod-eu', namespace: 'kube-system', images: [{ reference: 'unresolvable:tag' }] },
      };
      let events: Record<string, AdmissionEvent>;

      beforeEach(async () => {
        events = Object.fromEntries(Object.entries(HISTORY).map(([label, sketch]) => [label, anEvent(sketch)]));
        expect(await store.events.insert(Object.values(events))).toBe(Object.keys(HISTORY).length);
      });

      const ids = (labels: readonly string[]): string[] => newestFirst(labels.map((label) => events[label] as AdmissionEvent)).map((e) => e.id);
      const listed = async (filter: EventFilter, limit = 100): Promise<string[]> => (await store.events.list(filter, { limit })).events.map((e) => e.id);

      test('an event reads back exactly as inserted', async () => {
        for (const event of Object.values(events)) expect(await store.events.get(event.id)).toStrictEqual(event);
        expect(await store.events.get('no-such-event')).toBeUndefined();
      });

      test('a page lists each event as its summary: no findings, matched ids or rule snapshots', async () => {
        const all = newestFirst(Object.values(events));
        expect((await store.events.list({}, { limit: 100 })).events).toStrictEqual(all.map(summarizeEvent));
        // Each filter's page too (SQLite's CVE filter has a query of its own).
        expect((await store.events.list({ cve: 'CVE-2024-0001' }, { limit: 100 })).events).toStrictEqual(all.filter((e) => ['denied', 'pinned', 'breakGlass'].some((label) => events[label] === e)).map(summarizeEvent));
        expect((await store.events.list({ rule: 'audit-high' }, { limit: 100 })).events).toStrictEqual([events.breakGlass, events.audited].map((e) => summarizeEvent(e as AdmissionEvent)));
      });

      test('an event delivered again is stored once; a batch answers how many were new', async () => {
        const again = Object.values(events);
        expect(await store.events.insert(again)).toBe(0);
        const fresh = anEvent({ time: at(9) });
        expect(await store.events.insert([fresh, again[0] as AdmissionEvent, fresh])).toBe(1);
        expect(await store.events.insert([])).toBe(0);
        // Twice in one batch, with rows in every filter's index: once, and the rest of the batch too.
        const twice = anEvent({ time: at(10), rules: ['twice-rule'], images: [{ reference: 'registry.example.com/shop/twice:1.0', violations: [{ rule: 'twice-rule', cves: ['CVE-2024-7777'] }] }] });
        const beside = anEvent({ time: at(11), rules: ['twice-rule'] });
        expect(await store.events.insert([twice, beside, twice])).toBe(2);
        expect(await listed({ rule: 'twice-rule' })).toEqual([beside.id, twice.id]);
        expect(await listed({ cve: 'CVE-2024-7777' })).toEqual([twice.id]);
        expect((await store.events.list({}, { limit: 100 })).events).toHaveLength(again.length + 3);
        expect(await listed({ rule: 'no-critical' })).toEqual(ids(['pinned', 'breakGlass', 'denied']));
      });

      test('a batch of thousands of events, some delivered before, stores each new one once, with its side rows', async () => {
        const images = [{ reference: APP, violations: [{ rule: 'audit-high', cves: ['CVE-2024-0042'] }] }];
        const batch = Array.from({ length: 2_345 }, (_, i) => anEvent({ time: at(50 + i), seed: 1_000 + i, images }));
        expect(await store.events.insert(batch.slice(1_000, 1_010))).toBe(10);
        expect(await store.events.insert([...batch].reverse())).toBe(batch.length - 10);
        const ids = newestFirst(batch).map((e) => e.id);
        expect(await walk(store, { cve: 'CVE-2024-0042' }, 500)).toEqual(ids);
        expect(await walk(store, { image: APP, rule: 'audit-high', from: at(50) }, 1_000)).toEqual(ids);
      });

      test('deliveries of one batch at once store each event once', async () => {
        const batch = [anEvent({ time: at(20), rules: ['r'] }), anEvent({ time: at(21), rules: ['r'] }), anEvent({ time: at(22), rules: ['r'] })];
        const stored = await Promise.all([batch, [...batch].reverse(), batch].map((b) => store.events.insert(b)));
        expect(stored.reduce((a, b) => a + b, 0)).toBe(3);
        expect(await listed({ rule: 'r' })).toEqual(newestFirst(batch).map((e) => e.id));
      });

      test('an event with a time that is not one stores nothing of its batch', async () => {
        const bad = { ...anEvent({ time: at(30) }), time: 'yesterday' };
        await expect(store.events.insert([anEvent({ time: at(31) }), bad])).rejects.toBeInstanceOf(InputError);
        expect((await store.events.list({}, { limit: 100 })).events).toHaveLength(Object.keys(HISTORY).length);
      });

      test('list is newest first, by time as an instant, then by id', async () => {
        expect(await listed({})).toEqual(ids(['error', 'pinned', 'breakGlass', 'allowed', 'audited', 'denied']));
        expect(await listed({})).toEqual(ids(Object.keys(HISTORY)));
      });

      const FILTERS: readonly { name: string; filter: EventFilter; expected: readonly string[] }[] = [
        { name: 'from is inclusive', filter: { from: at(3) }, expected: ['pinned', 'breakGlass', 'error'] },
        { name: 'to is exclusive', filter: { to: at(3) }, expected: ['denied', 'audited', 'allowed'] },
        { name: 'from and to in other offsets are the same instants', filter: { from: '2026-03-01T07:01:00-05:00', to: '2026-03-01T13:03:00+01:00' }, expected: ['audited', 'allowed'] },
        { name: 'one decision', filter: { decisions: ['Denied'] }, expected: ['denied', 'pinned'] },
        { name: 'several decisions', filter: { decisions: ['Audited', 'BreakGlass', 'Error'] }, expected: ['audited', 'breakGlass', 'error'] },
        { name: 'no decisions is no filter', filter: { decisions: [] }, expected: Object.keys(HISTORY) },
        { name: 'cluster', filter: { cluster: 'prod-eu' }, expected: ['denied', 'pinned', 'error'] },
        { name: 'namespace', filter: { namespace: 'web' }, expected: ['allowed', 'pinned'] },
        { name: 'rule, in any case, reported or violated', filter: { rule: 'NO-CRITICAL' }, expected: ['denied', 'pinned', 'breakGlass'] },
        { name: 'rule named by a violation only', filter: { rule: 'audit-high' }, expected: ['audited', 'breakGlass'] },
        { name: 'image by reference as written', filter: { image: NGINX }, expected: ['audited', 'allowed'] },
        { name: 'image by digest', filter: { image: D1 }, expected: ['denied', 'pinned'] },
        { name: 'image by a reference no event has', filter: { image: 'nginx:latest' }, expected: [] },
        { name: 'cve, in any case', filter: { cve: 'Cve-2024-0001' }, expected: ['denied', 'pinned', 'breakGlass'] },
        { name: 'cve that is not a CVE id', filter: { cve: 'ghsa-aaaa-bbbb-cccc' }, expected: ['denied'] },
        { name: 'dry runs', filter: { dryRun: true }, expected: ['allowed', 'pinned'] },
        { name: 'not dry runs', filter: { dryRun: false }, expected: ['denied', 'audited', 'breakGlass', 'error'] },
        { name: 'rule and cluster', filter: { rule: 'no-critical', cluster: 'prod-us' }, expected: ['breakGlass'] },
        { name: 'cve and image', filter: { cve: 'CVE-2024-0001', image: APP }, expected: ['denied', 'breakGlass'] },
        { name: 'cve, image and rule', filter: { cve: 'CVE-2024-0002', image: APP, rule: 'audit-high' }, expected: ['breakGlass'] },
        { name: 'rule and time', filter: { rule: 'no-critical', from: at(1), to: at(4) }, expected: ['pinned', 'breakGlass'] },
        { name: 'decision, namespace and dry run', filter: { decisions: ['Denied', 'Allowed'], namespace: 'web', dryRun: true }, expected: ['allowed', 'pinned'] },
        { name: 'everything at once', filter: { from: at(0), to: at(10), decisions: ['Denied'], cluster: 'prod-eu', namespace: 'web', rule: 'no-critical', image: D1, cve: 'CVE-2024-0001', dryRun: true }, expected: ['pinned'] },
        { name: 'filters that exclude each other', filter: { cluster: 'prod-eu', decisions: ['Audited'] }, expected: [] },
      ];
      test.each(FILTERS)('filter: $name', async ({ filter, expected }) => {
        expect(await listed(filter)).toEqual(ids(expected));
        expect(await walk(store, filter, 1)).toEqual(ids(expected));
      });

      test('pages follow each other without gaps or repeats, whatever their size', async () => {
        const all = await listed({});
        for (let limit = 1; limit <= all.length + 1; limit++) {
          const first = await store.events.list({}, { limit });
          expect(first.events).toHaveLength(Math.min(limit, all.length));
          expect(first.nextCursor === undefined).toBe(limit >= all.length);
          expect(await walk(store, {}, limit)).toEqual(all);
        }
      });

      test('a page size below 1 is 1', async () => {
        expect((await store.events.list({}, { limit: 0 })).events).toHaveLength(1);
      });

      test('a cursor not handed out, or a time that is not one, is bad input', async () => {
        for (const cursor of ['not a cursor!', Buffer.from('no position').toString('base64url'), '']) {
          await expect(store.events.list({}, { limit: 10, cursor })).rejects.toBeInstanceOf(InputError);
        }
        await expect(store.events.list({ from: 'last tuesday' }, { limit: 10 })).rejects.toBeInstanceOf(InputError);
        await expect(store.events.list({ rule: 'no-critical', to: 'never' }, { limit: 10 })).rejects.toBeInstanceOf(InputError);
      });

      test('prune deletes the events before an instant and answers how many', async () => {
        expect(await store.events.prune(at(2))).toBe(2);
        expect(await listed({})).toEqual(ids(['allowed', 'pinned', 'breakGlass', 'error']));
        expect(await listed({ rule: 'audit-high' })).toEqual(ids(['breakGlass']));
        expect(await store.events.get(events.denied?.id ?? '')).toBeUndefined();
        expect(await store.events.prune(at(2))).toBe(0);
        await expect(store.events.prune('soon')).rejects.toBeInstanceOf(InputError);
      });

      test('prune takes every event before the instant, however many share a millisecond, and their side rows; none after', async () => {
        await store.events.prune('9999-12-31T00:00:00.000Z');
        const time = (ms: number) => new Date(Date.parse(at(0)) + ms).toISOString();
        const images = [{ reference: APP, violations: [{ rule: 'audit-high', cves: ['CVE-2024-0009'] }] }];
        // 60 in one millisecond (more than a SQLite chunk), 60 in others, 10 at and after the instant.
        const before = [...Array.from({ length: 60 }, (_, i) => anEvent({ time: time(5), seed: i, images })), ...Array.from({ length: 60 }, (_, i) => anEvent({ time: time(10 + i), seed: 100 + i, images }))];
        const after = Array.from({ length: 10 }, (_, i) => anEvent({ time: time(100 + i), seed: 200 + i, images }));
        await store.events.insert([...before, ...after]);
        expect(await store.events.prune(time(100))).toBe(before.length);
        const kept = newestFirst(after).map((e) => e.id);
        expect(await listed({})).toEqual(kept);
        expect(await listed({ cve: 'CVE-2024-0009' })).toEqual(kept);
        expect(await listed({ rule: 'audit-high' })).toEqual(kept);
        expect(await listed({ image: APP })).toEqual(kept);
      });

      test('events of one millisecond, stored in any order: a filter pages them by id, at every page size', async () => {
        await store.events.prune('9999-12-31T00:00:00.000Z');
        const time = (ms: number) => new Date(Date.parse(at(0)) + ms).toISOString();
        const images = [{ reference: APP, violations: [{ rule: 'audit-high', cves: ['CVE-2024-0009'] }] }];
        const crowded = Array.from({ length: 12 }, (_, i) => anEvent({ time: time(7), seed: i, images, decision: i % 3 === 0 ? 'Denied' : 'Audited' }));
        const around = [anEvent({ time: time(6), seed: 50, images }), anEvent({ time: time(8), seed: 51, images })];
        // Stored greatest id first, over three deliveries, so that arrival and id order disagree.
        const byId = newestFirst(crowded);
        for (const batch of [byId.slice(0, 5), [around[0] as AdmissionEvent, ...byId.slice(5, 9)], [...byId.slice(9), around[1] as AdmissionEvent]]) await store.events.insert(batch);
        const all = [...crowded, ...around];
        for (const filter of [{ cve: 'CVE-2024-0009' }, { cve: 'CVE-2024-0009', decisions: ['Audited' as const] }, { cve: 'cve-2024-0009', from: time(7), to: time(8) }, { rule: 'audit-high' }, {}]) {
          const expected = newestFirst(all.filter((event) => matches(event, filter))).map((e) => e.id);
          expect(expected.length).toBeGreaterThan(3);
          for (let limit = 1; limit <= expected.length + 1; limit++) expect(await walk(store, filter, limit)).toEqual(expected);
        }
      });

      test('an event dated before 1970 or from 2100 on stores nothing of its batch, and the error names its time', async () => {
        for (const time of ['1969-12-31T23:59:59.999Z', '2100-01-01T00:00:00.000Z']) {
          const error = await store.events.insert([anEvent({ time: at(40) }), anEvent({ time })]).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(InputError);
          expect((error as InputError).problems).toEqual([{ path: 'events[1].time', message: `'${time}' is outside the times events may have: from 1970 until 2100.` }]);
        }
        const images = [{ reference: APP, violations: [{ rule: 'no-critical', cves: ['CVE-2024-0001'] }] }];
        expect(await store.events.insert([anEvent({ time: '1970-01-01T00:00:00.000Z' }), anEvent({ time: '2099-12-31T23:59:59.999Z', images })])).toBe(2);
        expect((await store.events.list({ cve: 'CVE-2024-0001' }, { limit: 100 })).events.at(0)?.time).toBe('2099-12-31T23:59:59.999Z');
        expect((await store.events.list({ to: '1970-01-01T00:00:00.001Z' }, { limit: 100 })).events.map((e) => e.time)).toEqual(['1970-01-01T00:00:00.000Z']);
      });

      test('a pruned event leaves nothing behind: delivered again, it is stored and found as new', async () => {
        expect(await store.events.prune(at(100))).toBe(Object.keys(HISTORY).length);
        expect(await listed({ cve: 'CVE-2024-0001' })).toEqual([]);
        expect(await store.events.insert(Object.values(events))).toBe(Object.keys(HISTORY).length);
        expect(await listed({ cve: 'CVE-2024-0001' })).toEqual(ids(['denied', 'pinned', 'breakGlass']));
      });

      test('any events, any filter, any page size: the pages are the matching events, newest first, each once', async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(sketchArbitrary, { maxLength: 14 }), filterArbitrary, fc.integer({ min: 1, max: 5 }), async (sketches, filter, limit) => {
            await store.events.prune('9999-12-31T00:00:00.000Z');
            const batch = sketches.map((sketch, i) => anEvent({ ...sketch, seed: i }));
            expect(await store.events.insert(batch)).toBe(batch.length);
            expect(await walk(store, filter, limit)).toEqual(newestFirst(batch.filter((event) => matches(event, filter))).map((e) => e.id));
          }),
          { numRuns: 60 },
        );
      });
    });

    describe('clusters and accounts', () => {
      test('a registered cluster is listed and found by name', async () => {
        const cluster = await store.clusters.upsert({ name: 'prod-eu', provider: 'aws', account: '123456789012' }, at(0));
        expect(cluster).toStrictEqual({ name: 'prod-eu', provider: 'aws', account: '123456789012', registeredAt: at(0) });
        const bare = await store.clusters.upsert({ name: 'kind' }, at(1));
        expect(bare).toStrictEqual({ name: 'kind', registeredAt: at(1) });
        expect(await store.clusters.get('prod-eu')).toStrictEqual(cluster);
        expect(await store.clusters.get('nowhere')).toBeUndefined();
        expect((await store.clusters.list()).map((c) => c.name)).toEqual(['kind', 'prod-eu']);
      });

      test('registering again replaces provider and account, and keeps when it was registered and seen', async () => {
        await store.clusters.upsert({ name: 'prod', provider: 'aws', account: '123456789012' }, at(0));
        await store.clusters.touch('prod', at(1));
        expect(await store.clusters.upsert({ name: 'prod', provider: 'gcp', account: 'my-project' }, at(2))).toStrictEqual({ name: 'prod', provider: 'gcp', account: 'my-project', registeredAt: at(0), lastSeenAt: at(1) });
        expect(await store.clusters.upsert({ name: 'prod' }, at(3))).toStrictEqual({ name: 'prod', registeredAt: at(0), lastSeenAt: at(1) });
      });

      test('touch records when a cluster was last seen; an unknown cluster is not made by it', async () => {
        await store.clusters.upsert({ name: 'prod' }, at(0));
        await store.clusters.touch('prod', at(5));
        await store.clusters.touch('prod', at(6));
        expect((await store.clusters.get('prod'))?.lastSeenAt).toBe(at(6));
        await store.clusters.touch('nowhere', at(6));
        expect(await store.clusters.get('nowhere')).toBeUndefined();
      });

      test('delete answers whether there was a cluster', async () => {
        await store.clusters.upsert({ name: 'prod' }, at(0));
        expect(await store.clusters.delete('prod')).toBe(true);
        expect(await store.clusters.delete('prod')).toBe(false);
        expect(await store.clusters.list()).toEqual([]);
      });

      test('account switches are stored, changed one by one, and listed by provider and account', async () => {
        expect(await store.clusters.account('aws', '123456789012')).toBeUndefined();
        // An account never changed starts with every switch on; only what a change names is set.
        const off = await store.clusters.changeAccount('aws', '123456789012', { gating: false, securityFindings: false }, 'alice', at(0));
        expect(off).toStrictEqual({ provider: 'aws', account: '123456789012', gating: false, registryAccess: true, securityFindings: false, updatedAt: at(0), updatedBy: 'alice' });
        expect(await store.clusters.account('aws', '123456789012')).toStrictEqual(off);
        const on = await store.clusters.changeAccount('aws', '123456789012', { gating: true, registryAccess: false }, 'bob', at(1));
        expect(on).toStrictEqual({ provider: 'aws', account: '123456789012', gating: true, registryAccess: false, securityFindings: false, updatedAt: at(1), updatedBy: 'bob' });
        await store.clusters.changeAccount('azure', 'sub-1', {}, 'bob', at(2));
        await store.clusters.changeAccount('aws', '000000000000', { gating: true }, 'bob', at(2));
        expect((await store.clusters.listAccounts()).map((a) => `${a.provider}/${a.account}`)).toEqual(['aws/000000000000', 'aws/123456789012', 'azure/sub-1']);
        expect(await store.clusters.account('azure', 'sub-1')).toMatchObject({ gating: true, registryAccess: true, securityFindings: true, updatedBy: 'bob' });
        expect(await store.clusters.account('gcp', '123456789012')).toBeUndefined();
      });

      test('two changes of different switches made at once both hold: neither writes back the other\'s old value', async () => {
        await store.clusters.changeAccount('gcp', 'shop', {}, 'setup', at(0));
        await Promise.all([
          store.clusters.changeAccount('gcp', 'shop', { gating: false }, 'alice', at(1)),
          store.clusters.changeAccount('gcp', 'shop', { registryAccess: false }, 'bob', at(1)),
          store.clusters.changeAccount('gcp', 'shop', { securityFindings: false }, 'carol', at(1)),
        ]);
        expect(await store.clusters.account('gcp', 'shop')).toMatchObject({ gating: false, registryAccess: false, securityFindings: false });
      });
    });

    describe('settings', () => {
      test('a setting reads back as the JSON value put, and a put replaces it', async () => {
        expect(await store.settings.get('retentionDays')).toBeUndefined();
        const values: unknown[] = [30, 'text', false, null, [1, 'two', { three: 3 }], { nested: { list: [true], n: 1.5 } }];
        for (const value of values) {
          await store.settings.put('setting', value, at(0));
          expect(await store.settings.get('setting')).toStrictEqual(value);
        }
      });

      test('a value JSON cannot hold is refused', async () => {
        await expect(store.settings.put('setting', undefined, at(0))).rejects.toBeInstanceOf(TypeError);
        expect(await store.settings.get('setting')).toBeUndefined();
      });
    });
  });
}

/** Every event of every page, following nextCursor to the end. */
export async function walk(store: Store, filter: EventFilter, limit: number): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await store.events.list(filter, { limit, ...(cursor !== undefined && { cursor }) });
    expect(page.events.length).toBeLessThanOrEqual(limit);
    seen.push(...page.events.map((e) => e.id));
    if (page.nextCursor === undefined) return seen;
    cursor = page.nextCursor;
  }
  throw new Error('more than 1000 pages: the cursor does not move on');
}

/** The order list() promises: newest instant first, then the greater id (compared as bytes). */
export function newestFirst(events: readonly AdmissionEvent[]): AdmissionEvent[] {
  return [...events].sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** What a filter means, said plainly: the model the store's SQL is checked against. */
function matches(event: AdmissionEvent, filter: EventFilter): boolean {
  const time = Date.parse(event.time);
  const violations = event.images.flatMap((image) => image.violations);
  const rules = [...event.rules.map((rule) => rule.name), ...violations.map((violation) => violation.rule)].map((rule) => rule.toLowerCase());
  const images = event.images.flatMap((image) => [image.reference, ...(image.digest === undefined ? [] : [image.digest])]);
  const cves = violations.flatMap((violation) => violation.findings.map((id) => id.toUpperCase()));
  return (
    (filter.from === undefined || time >= Date.parse(filter.from)) &&
    (filter.to === undefined || time < Date.parse(filter.to)) &&
    (filter.decisions === undefined || filter.decisions.length === 0 || filter.decisions.includes(event.decision)) &&
    (filter.cluster === undefined || event.cluster === filter.cluster) &&
    (filter.namespace === undefined || event.namespace === filter.namespace) &&
    (filter.dryRun === undefined || event.dryRun === filter.dryRun) &&
    (filter.rule === undefined || rules.includes(filter.rule.toLowerCase())) &&
    (filter.image === undefined || images.includes(filter.image)) &&
    (filter.cve === undefined || cves.includes(filter.cve.toUpperCase()))
  );
}

// Few distinct values, so that filters often match, times often tie, and pages split ties.
const minute = fc.integer({ min: 0, max: 5 });
/** An instant, sometimes written at another offset. */
const instant = fc.tuple(minute, fc.boolean()).map(([m, shifted]) => (shifted ? new Date(Date.parse(at(m)) + 3 * 3_600_000).toISOString().replace('Z', '+03:00') : at(m)));
const ruleName = fc.constantFrom('no-critical', 'No-Critical', 'audit-high', 'AUDIT-HIGH');
const cve = fc.constantFrom('CVE-2024-0001', 'cve-2024-0002', 'GHSA-aaaa-bbbb-cccc');
const IMAGES = [
  { reference: 'nginx:1.25', digest: digest('2') },
  { reference: 'registry.example.com/team/app:1.0', digest: digest('1') },
  { reference: `registry.example.com/team/app@${digest('1')}`, digest: digest('1') },
  { reference: 'unresolvable:tag' },
] as const;
const optional = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arbitrary, { nil: undefined });

const sketchArbitrary: fc.Arbitrary<EventSketch> = fc.record({
  time: instant,
  decision: fc.constantFrom(...EVENT_DECISIONS),
  cluster: optional(fc.constantFrom('prod-eu', 'prod-us')),
  namespace: fc.constantFrom('payments', 'web'),
  dryRun: fc.boolean(),
  rules: fc.uniqueArray(ruleName, { maxLength: 2 }),
  images: fc.array(
    fc.record({
      image: fc.constantFrom(...IMAGES),
      violations: fc.array(fc.record({ rule: ruleName, cves: fc.uniqueArray(cve, { maxLength: 2 }) }), { maxLength: 2 }),
    }).map(({ image, violations }) => ({ ...image, violations })),
    { maxLength: 2 },
  ),
});

const filterArbitrary: fc.Arbitrary<EventFilter> = fc.record(
  {
    from: instant,
    to: instant,
    decisions: fc.uniqueArray(fc.constantFrom<EventDecision>(...EVENT_DECISIONS), { maxLength: 3 }),
    cluster: fc.constantFrom('prod-eu', 'prod-us'),
    namespace: fc.constantFrom('payments', 'web'),
    rule: ruleName,
    image: fc.constantFrom(...IMAGES.map((image) => image.reference), digest('1'), digest('2')),
    cve,
    dryRun: fc.boolean(),
  },
  { requiredKeys: [] },
);
