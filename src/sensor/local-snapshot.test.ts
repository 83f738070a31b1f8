// The snapshot on its own: sync steps applied by hand, read back as admission reads them.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Finding } from '../findings/model.js';
import { parseImageReference } from '../images/reference.js';
import { DEFAULT_RULE, type Rule } from '../policy/rule.js';
import { DEFAULT_SETTINGS } from '../api/settings.js';
import { LocalSnapshot, type SnapshotChange } from './local-snapshot.js';
import type { SyncRules, SyncScan, SyncScans } from './sync-protocol.js';
import { digestOf, tempDir } from './testing/control-plane.js';
import { answered } from './testing/answered.js';

let temp: ReturnType<typeof tempDir>;
let snapshot: LocalSnapshot;
beforeEach(() => {
  temp = tempDir();
  snapshot = LocalSnapshot.open(join(temp.dir, 'data', 'snapshot.db'));
});
afterEach(() => {
  snapshot.close();
  temp.remove();
});

const TAG = 'registry.example.com/team/app:1.0';
const ref = (text: string) => parseImageReference(text);

function finding(id: string, severity: Finding['severity'] = 'High', aliases: string[] = []): Finding {
  return { id, aliases, severity, package: { name: 'openssl', version: '3.0.1' }, fixedVersion: '3.0.2', fixAvailable: true };
}

let seq = 100;
function scan(overrides: Partial<SyncScan> & { findings: readonly Finding[] }): SyncScan {
  seq += 1;
  return { id: `scan-${seq}`, seq, keys: [digestOf('1')], scanner: 'trivy', scannedAt: '2026-02-01T00:00:00.000Z', receivedAt: '2026-03-01T00:00:00.000Z', tags: [TAG], manifestDigest: digestOf('1'), ...overrides };
}

function page(...scans: SyncScan[]): SyncScans {
  return { scans, seq: scans.at(-1)?.seq ?? 0, more: false };
}

function rules(...changes: { id: string; version?: number; seq: number; rule?: Rule }[]): SyncRules {
  return {
    rules: changes.map((change) => ({ id: change.id, version: change.version ?? 1, seq: change.seq, deleted: change.rule === undefined, ...(change.rule && { document: change.rule }) })),
    seq: Math.max(0, ...changes.map((change) => change.seq)),
  };
}

const ids = (text: string) => answered(snapshot.lookup(ref(text)))?.evidence?.findings.map((f) => f.id);

describe('rules', () => {
  test('compiled in name order with their id and version; disabled and deleted rules are not evaluated', () => {
    const deny: Rule = { ...DEFAULT_RULE, name: 'b-deny', action: 'Deny' };
    const audit: Rule = { ...DEFAULT_RULE, name: 'A-audit' };
    snapshot.apply({ rules: rules({ id: 'r1', seq: 1, rule: deny }, { id: 'r2', seq: 2, rule: audit }) });
    expect(snapshot.rules().map((rule) => rule.ref)).toEqual([
      { name: 'A-audit', id: 'r2', version: 1 },
      { name: 'b-deny', id: 'r1', version: 1 },
    ]);
    // Compiled once per change: a step without rule changes keeps the compiled rules.
    const compiled = snapshot.rules();
    snapshot.apply({ scans: page(scan({ findings: [] })), rules: rules() });
    expect(snapshot.rules()).toBe(compiled);

    snapshot.apply({ rules: rules({ id: 'r1', version: 2, seq: 3, rule: { ...deny, enabled: false } }, { id: 'r2', version: 2, seq: 4 }) });
    expect(snapshot.rules()).toEqual([]);
    expect(snapshot.state.rulesSeq).toBe(4);

    // A change the snapshot already has (a page fetched twice) changes nothing.
    snapshot.apply({ rules: rules({ id: 'r3', seq: 5, rule: audit }) });
    snapshot.apply({ rules: rules({ id: 'r3', seq: 5, rule: deny }) });
    expect(snapshot.rules().map((rule) => rule.ref.name)).toEqual(['A-audit']);
  });

  test('a change recompiles only the rules it changed: the others keep their compiled form', () => {
    snapshot.apply({ rules: rules({ id: 'r1', seq: 1, rule: { ...DEFAULT_RULE, name: 'one' } }, { id: 'r2', seq: 2, rule: { ...DEFAULT_RULE, name: 'two' } }) });
    const [one, two] = snapshot.rules();
    snapshot.apply({ rules: rules({ id: 'r2', version: 2, seq: 3, rule: { ...DEFAULT_RULE, name: 'two', action: 'Deny' } }, { id: 'r3', seq: 4, rule: { ...DEFAULT_RULE, name: 'three' } }) });
    const [oneAgain, three, twoAgain] = snapshot.rules();
    expect(oneAgain).toBe(one);
    expect(twoAgain).not.toBe(two);
    expect(twoAgain?.rule.action).toBe('Deny');
    expect(twoAgain?.ref).toEqual({ name: 'two', id: 'r2', version: 2 });
    expect(three?.ref.name).toBe('three');
  });

  test('a rule that does not compile fails the step and leaves the snapshot as it was', () => {
    snapshot.apply({ rules: rules({ id: 'r1', seq: 1, rule: DEFAULT_RULE }) });
    const broken: Rule = { ...DEFAULT_RULE, name: 'broken', maxScanAge: 'soon' };
    expect(() => snapshot.apply({ rules: rules({ id: 'r2', seq: 2, rule: broken }), scans: page(scan({ findings: [finding('CVE-1')] })) })).toThrow(/not a duration/);
    expect(snapshot.rules().map((rule) => rule.ref.id)).toEqual(['r1']);
    expect(snapshot.state.rulesSeq).toBe(1);
    expect(answered(snapshot.lookup(ref(TAG)))).toBeUndefined();
  });
});

describe('scans', () => {
  test('found by digest and by tag, with the digest the decision is made for', () => {
    snapshot.apply({ scans: page(scan({ findings: [finding('CVE-1', 'Critical'), finding('CVE-2')] })) });
    const byTag = answered(snapshot.lookup(ref(TAG)));
    expect(byTag?.digest).toBe(digestOf('1'));
    expect(byTag?.evidence?.counts).toEqual({ Critical: 1, High: 1, Medium: 0, Low: 0, Unknown: 0 });
    expect(answered(snapshot.lookup(ref(`registry.example.com/team/app@${digestOf('1')}`)))).toBe(byTag);
    expect(byTag?.evidence?.scannedAt).toBe(Date.parse('2026-02-01T00:00:00.000Z'));
    expect(answered(snapshot.lookup(ref('registry.example.com/team/app:2.0')))).toBeUndefined();
    expect(answered(snapshot.lookup(ref(`registry.example.com/team/app@${digestOf('9')}`)))).toBeUndefined();
  });

  test('a newer scan of the same image and scanner replaces the older; an older one arriving late is kept out', () => {
    snapshot.apply({ scans: page(scan({ findings: [finding('CVE-OLD')] })) });
    expect(ids(TAG)).toEqual(['CVE-OLD']);
    snapshot.apply({ scans: page(scan({ scannedAt: '2026-02-02T00:00:00.000Z', findings: [finding('CVE-NEW')] })) });
    expect(ids(TAG)).toEqual(['CVE-NEW']);
    snapshot.apply({ scans: page(scan({ scannedAt: '2026-01-01T00:00:00.000Z', findings: [finding('CVE-LATE')] })) });
    expect(ids(TAG)).toEqual(['CVE-NEW']);
  });

  test('scanners are merged: a vulnerability two scanners report (under a GHSA and its CVE) counts once', () => {
    snapshot.apply({
      scans: page(
        scan({ findings: [finding('CVE-2024-1', 'High', ['GHSA-aaaa'])] }),
        scan({ scanner: 'grype', findings: [finding('GHSA-aaaa', 'Critical', ['CVE-2024-1']), finding('CVE-2024-2', 'Low')] }),
      ),
    });
    const evidence = answered(snapshot.lookup(ref(TAG)))?.evidence;
    expect(evidence?.findings.map((f) => [f.id, f.severity])).toEqual([
      ['CVE-2024-1', 'Critical'],
      ['CVE-2024-2', 'Low'],
    ]);
    expect(evidence?.hasId('GHSA-aaaa')).toBe(true);
  });

  test('a scan applied twice changes nothing; a tag follows the newest scan that names it', () => {
    const first = scan({ findings: [finding('CVE-1')] });
    snapshot.apply({ scans: page(first) });
    snapshot.apply({ scans: page(first) });
    expect(ids(TAG)).toEqual(['CVE-1']);

    // The tag moves to a new build; the old digest keeps its evidence.
    snapshot.apply({ scans: page(scan({ keys: [digestOf('2')], manifestDigest: digestOf('2'), scannedAt: '2026-02-05T00:00:00.000Z', findings: [finding('CVE-2')] })) });
    expect(answered(snapshot.lookup(ref(TAG)))?.digest).toBe(digestOf('2'));
    expect(ids(`registry.example.com/team/app@${digestOf('1')}`)).toEqual(['CVE-1']);
    // An older build's report naming the tag does not move it back.
    snapshot.apply({ scans: page(scan({ keys: [digestOf('3')], manifestDigest: digestOf('3'), scannedAt: '2026-01-05T00:00:00.000Z', findings: [] })) });
    expect(answered(snapshot.lookup(ref(TAG)))?.digest).toBe(digestOf('2'));
  });

  test('a report keyed by image id is found by its tag, without a digest', () => {
    snapshot.apply({ scans: page(scan({ keys: [`id:${digestOf('7')}`], manifestDigest: undefined, tags: ['docker.io/library/local:dev'], findings: [finding('CVE-7')] })) });
    const entry = answered(snapshot.lookup(ref('local:dev')));
    expect(entry?.digest).toBeUndefined();
    expect(entry?.evidence?.findings.map((f) => f.id)).toEqual(['CVE-7']);
  });

  test('tags are read from the file as they are asked, a bounded few kept: a tag asked before any scan named it is found once one does', () => {
    snapshot.close();
    snapshot = LocalSnapshot.open(join(temp.dir, 'tags.db'), { tagCacheSize: 2 });
    const tagOf = (i: number) => `registry.example.com/app-${i}:1`;
    const LATER = 'registry.example.com/later:1';
    expect(answered(snapshot.lookup(ref(LATER)))).toBeUndefined();
    snapshot.apply({ scans: page(...Array.from({ length: 10 }, (_, i) => scan({ keys: [digestOf(String(i + 1))], manifestDigest: digestOf(String(i + 1)), tags: [tagOf(i)], findings: [finding(`CVE-${i}`)] }))) });
    // Ten tags through a cache of two, twice over: each found, by the key its scan named.
    for (let round = 0; round < 2; round++) for (let i = 0; i < 10; i++) expect(answered(snapshot.lookup(ref(tagOf(i))))?.digest).toBe(digestOf(String(i + 1)));
    // Asked (and not found) before; now a scan names it.
    expect(answered(snapshot.lookup(ref(LATER)))).toBeUndefined();
    snapshot.apply({ scans: page(scan({ keys: [digestOf('20')], manifestDigest: digestOf('20'), tags: [LATER], findings: [finding('CVE-20')] })) });
    expect(answered(snapshot.lookup(ref(LATER)))?.digest).toBe(digestOf('20'));
    // A tag in the cache that moves to a new build is read again.
    expect(answered(snapshot.lookup(ref(tagOf(9))))?.digest).toBe(digestOf('10'));
    snapshot.apply({ scans: page(scan({ keys: [digestOf('21')], manifestDigest: digestOf('21'), scannedAt: '2026-02-05T00:00:00.000Z', tags: [tagOf(9)], findings: [] })) });
    expect(answered(snapshot.lookup(ref(tagOf(9))))?.digest).toBe(digestOf('21'));
  });

  test('evidence is cached up to its bound and rebuilt after a change or an eviction', () => {
    snapshot.close();
    snapshot = LocalSnapshot.open(join(temp.dir, 'small.db'), { evidenceCacheSize: 2 });
    const tags = ['a', 'b', 'c'].map((name) => `registry.example.com/${name}:1`);
    snapshot.apply({ scans: page(...tags.map((tag, i) => scan({ keys: [digestOf(String(i + 1))], manifestDigest: digestOf(String(i + 1)), tags: [tag], findings: [finding(`CVE-${i}`)] }))) });
    const a = answered(snapshot.lookup(ref(tags[0] ?? '')));
    expect(answered(snapshot.lookup(ref(tags[0] ?? '')))).toBe(a);
    // Asked for once, b and c cannot push out a, asked for twice.
    answered(snapshot.lookup(ref(tags[1] ?? '')));
    answered(snapshot.lookup(ref(tags[2] ?? '')));
    expect(answered(snapshot.lookup(ref(tags[0] ?? '')))).toBe(a);
    // Asked for twice each, they can.
    for (const tag of [tags[1], tags[1], tags[2], tags[2]]) answered(snapshot.lookup(ref(tag ?? '')));
    const again = answered(snapshot.lookup(ref(tags[0] ?? '')));
    expect(again).not.toBe(a);
    expect(again).toEqual(a);

    snapshot.apply({ scans: page(scan({ keys: [digestOf('1')], manifestDigest: digestOf('1'), tags: [], scannedAt: '2026-02-09T00:00:00.000Z', findings: [finding('CVE-REBUILT')] })) });
    expect(ids(tags[0] ?? '')).toEqual(['CVE-REBUILT']);
  });

  test('the evidence cache counts what it answered and what was read from disk, an image the snapshot lacks too', () => {
    snapshot.apply({ scans: page(scan({ keys: [digestOf('1')], manifestDigest: digestOf('1'), tags: ['registry.example.com/counted:1'], findings: [finding('CVE-2026-1')] })) });
    const start = snapshot.evidenceCache();
    answered(snapshot.lookup(ref('registry.example.com/counted:1')));
    answered(snapshot.lookup(ref('registry.example.com/counted:1')));
    answered(snapshot.lookup(ref(`registry.example.com/absent@${digestOf('2')}`)));
    answered(snapshot.lookup(ref(`registry.example.com/absent@${digestOf('2')}`)));
    const counted = snapshot.evidenceCache();
    expect({ hits: counted.hits - start.hits, misses: counted.misses - start.misses }).toEqual({ hits: 2, misses: 2 });
  });

  test('evidence is cached up to a weight in bytes too, the answers remembered on it counted as they come', () => {
    snapshot.close();
    const bound = 2_000_000;
    snapshot = LocalSnapshot.open(join(temp.dir, 'weighed.db'), { evidenceCacheBytes: bound });
    const tagOf = (i: number) => `registry.example.com/app-${i}:1`;
    const many = Array.from({ length: 300 }, (_, i) => finding(`CVE-2026-${i}`));
    snapshot.apply({ scans: page(...Array.from({ length: 40 }, (_, i) => scan({ keys: [digestOf(String(i + 1))], manifestDigest: digestOf(String(i + 1)), tags: [tagOf(i)], findings: many }))) });
    // Each image of 300 findings weighs some 100 kB: a count of 4,096 would keep all forty.
    for (let round = 0; round < 2; round++) for (let i = 0; i < 40; i++) answered(snapshot.lookup(ref(tagOf(i))));
    const full = snapshot.evidenceCache();
    expect(full.images).toBeGreaterThan(10);
    expect(full.images).toBeLessThan(25);
    expect(full.bytes).toBeLessThanOrEqual(bound);
    // The last image asked for grows by an answer a rule remembers on it, as the engine does.
    const last = answered(snapshot.lookup(ref(tagOf(39))))?.evidence;
    const before = last?.bytes ?? 0;
    last?.remember('a rule asked', many, many.length);
    const grown = snapshot.evidenceCache();
    expect(grown.bytes - full.bytes).toBeLessThanOrEqual((last?.bytes ?? 0) - before);
    expect(grown.bytes).toBeLessThanOrEqual(bound);
    expect(answered(snapshot.lookup(ref(tagOf(39))))?.evidence).toBe(last);
  });
});

describe('on disk', () => {
  test('reopened, it answers as before: rules, evidence, settings and cursors', () => {
    const file = join(temp.dir, 'data', 'snapshot.db');
    snapshot.apply({
      rules: rules({ id: 'r1', seq: 3, rule: DEFAULT_RULE }),
      scans: { ...page(scan({ findings: [finding('CVE-1', 'Critical')] })), seq: 120 },
      settings: {
        settings: { retentionDays: 7, recordAllowed: true, breakGlass: { enabled: false } },
        accounts: [{ provider: 'aws', account: '1', gating: false, registryAccess: true, securityFindings: true, updatedAt: '2026-03-01T00:00:00.000Z', updatedBy: 'admin' }],
        clusters: [{ name: 'prod', provider: 'aws', account: '1', registeredAt: '2026-03-01T00:00:00.000Z' }],
      },
      syncedAt: '2026-03-01T12:00:00.000Z',
    });
    const before = { rules: snapshot.rules(), entry: answered(snapshot.lookup(ref(TAG))), settings: snapshot.settings(), state: snapshot.state };
    snapshot.close();

    snapshot = LocalSnapshot.open(file);
    expect(snapshot.rules()).toEqual(before.rules);
    expect(answered(snapshot.lookup(ref(TAG)))).toEqual(before.entry);
    expect(snapshot.settings()).toEqual(before.settings);
    expect(snapshot.account('aws', '1')?.gating).toBe(false);
    expect(snapshot.account('aws', '2')).toBeUndefined();
    expect(snapshot.cluster('prod')?.account).toBe('1');
    expect(snapshot.state).toEqual({ rulesSeq: 3, scansSeq: 120, syncedAt: '2026-03-01T12:00:00.000Z', stale: false });
  });

  test('a new snapshot has no rules, the default settings, and has never synced', () => {
    expect(snapshot.rules()).toEqual([]);
    expect(snapshot.settings()).toEqual({ retentionDays: 30, recordAllowed: false, breakGlass: { enabled: true } });
    expect(snapshot.state).toEqual({ rulesSeq: 0, scansSeq: 0, stale: false });
  });
});

describe('a resync from another database', () => {
  const OTHER_TAG = 'registry.example.com/team/other:2.0';
  const names = () => snapshot.rules().map((rule) => rule.ref.name);

  function synced(): void {
    snapshot.apply({
      rules: rules({ id: 'old-1', seq: 1, rule: { ...DEFAULT_RULE, name: 'old-rule' } }),
      scans: page(scan({ findings: [finding('CVE-KEPT')] }), scan({ keys: [digestOf('2')], manifestDigest: digestOf('2'), tags: [OTHER_TAG], findings: [finding('CVE-GONE')] })),
    });
  }

  test('decides by what the snapshot holds until the new answers replace it, then sweeps what the new database lacks', () => {
    synced();
    snapshot.beginResync();
    expect(snapshot.resyncing).toBe(true);
    expect(snapshot.state).toMatchObject({ rulesSeq: 0, scansSeq: 0 });
    // Nothing is gone yet: the old rules and findings still decide.
    expect(names()).toEqual(['old-rule']);
    expect(ids(TAG)).toEqual(['CVE-KEPT']);
    expect(ids(OTHER_TAG)).toEqual(['CVE-GONE']);

    // The new database's first answer: its rules replace the old ones in one step; a page of scans follows.
    snapshot.apply({ rules: rules({ id: 'new-1', seq: 3, rule: { ...DEFAULT_RULE, name: 'new-rule' } }), scans: { scans: [scan({ id: 'scan-kept', seq: 1, findings: [finding('CVE-KEPT')] })], seq: 1, more: true } });
    expect(names()).toEqual(['new-rule']);
    expect(ids(OTHER_TAG)).toEqual(['CVE-GONE']);

    // The last page: what the new database did not send goes with it.
    snapshot.apply({ scans: { scans: [], seq: 1, more: false } });
    expect(snapshot.resyncing).toBe(false);
    expect(ids(TAG)).toEqual(['CVE-KEPT']);
    expect(answered(snapshot.lookup(ref(OTHER_TAG)))).toBeUndefined();
    expect(answered(snapshot.lookup(ref(`registry.example.com/team/other@${digestOf('2')}`)))).toBeUndefined();
    expect(names()).toEqual(['new-rule']);
  });

  test('a scan the old database had newer does not hide the new database\'s own', () => {
    synced();
    snapshot.beginResync();
    // Restored from an older backup: its scan of the same image is older than the one the snapshot holds.
    snapshot.apply({ scans: page(scan({ id: 'scan-older', seq: 1, scannedAt: '2026-01-01T00:00:00.000Z', findings: [finding('CVE-OLDER')] })) });
    expect(ids(TAG)).toEqual(['CVE-OLDER']);
  });

  test('a restart in the middle carries on, and the end still sweeps', () => {
    synced();
    snapshot.beginResync();
    snapshot.apply({ rules: rules({ id: 'new-1', seq: 3, rule: { ...DEFAULT_RULE, name: 'new-rule' } }), scans: { scans: [scan({ id: 'scan-kept', seq: 1, findings: [finding('CVE-KEPT')] })], seq: 1, more: true } });
    snapshot.close();
    snapshot = LocalSnapshot.open(join(temp.dir, 'data', 'snapshot.db'));
    expect(snapshot.resyncing).toBe(true);
    expect(snapshot.state).toMatchObject({ rulesSeq: 3, scansSeq: 1 });
    expect(names()).toEqual(['new-rule']);
    expect(ids(OTHER_TAG)).toEqual(['CVE-GONE']);
    // The next answer of rules is incremental again: it adds to the new rules, it does not replace them.
    snapshot.apply({ rules: rules({ id: 'new-2', seq: 4, rule: { ...DEFAULT_RULE, name: 'another-new-rule' } }), scans: { scans: [], seq: 1, more: false } });
    expect(names()).toEqual(['another-new-rule', 'new-rule']);
    expect(snapshot.resyncing).toBe(false);
    expect(answered(snapshot.lookup(ref(OTHER_TAG)))).toBeUndefined();
    expect(ids(TAG)).toEqual(['CVE-KEPT']);
  });
});

describe('a follower: another snapshot on the same file, told of each change (webhook workers)', () => {
  const OTHER_TAG = 'registry.example.com/team/other:2.0';
  let leader: LocalSnapshot;
  const changes: SnapshotChange[] = [];
  beforeEach(() => {
    changes.length = 0;
    leader = LocalSnapshot.open(join(temp.dir, 'data', 'shared.db'), { onChange: (change) => changes.push(structuredClone(change)) });
  });
  afterEach(() => leader.close());

  /** The follower opened now; `follow`: it is told of every change since (as IPC brings them). */
  function follower(): { snapshot: LocalSnapshot; catchUp(): void } {
    const opened = LocalSnapshot.open(join(temp.dir, 'data', 'shared.db'));
    let told = changes.length;
    return {
      snapshot: opened,
      catchUp: () => {
        for (const change of changes.slice(told)) opened.follow(change);
        told = changes.length;
      },
    };
  }
  const idsIn = (s: LocalSnapshot, text: string) => answered(s.lookup(ref(text)))?.evidence?.findings.map((f) => f.id);

  test('rules, settings, evidence, tags and state follow the leader; cached evidence of a changed image is dropped', () => {
    leader.apply({ rules: rules({ id: 'r1', seq: 1, rule: { ...DEFAULT_RULE, name: 'first' } }), scans: page(scan({ findings: [finding('CVE-1')] })), syncedAt: '2026-03-01T00:00:00.000Z' });
    const { snapshot: reader, catchUp } = follower();
    try {
      // Opened after the first change: it reads it from the file.
      expect(reader.rules().map((rule) => rule.ref.name)).toEqual(['first']);
      expect(idsIn(reader, TAG)).toEqual(['CVE-1']);
      // No scan names the other tag yet: the reader remembers that, until it is told otherwise.
      expect(answered(reader.lookup(ref(OTHER_TAG)))).toBeUndefined();

      leader.apply({
        rules: rules({ id: 'r2', seq: 2, rule: { ...DEFAULT_RULE, name: 'second', action: 'Deny' } }),
        scans: page(scan({ findings: [finding('CVE-2')] }), scan({ keys: [digestOf('2')], manifestDigest: digestOf('2'), tags: [OTHER_TAG], findings: [finding('CVE-3')] })),
        settings: { settings: { ...DEFAULT_SETTINGS, recordAllowed: true }, accounts: [], clusters: [{ name: 'prod-eu', provider: 'aws', account: '123456789012', registeredAt: '2026-03-01T00:00:00.000Z' }] },
        syncedAt: '2026-03-02T00:00:00.000Z',
      });
      // Until it is told, it decides by what it had (its evidence and the tags it asked about cached).
      expect(idsIn(reader, TAG)).toEqual(['CVE-1']);
      expect(answered(reader.lookup(ref(OTHER_TAG)))).toBeUndefined();
      catchUp();
      expect(reader.rules().map((rule) => rule.ref.name)).toEqual(['first', 'second']);
      expect(idsIn(reader, TAG)).toEqual(['CVE-2']);
      expect(idsIn(reader, OTHER_TAG)).toEqual(['CVE-3']);
      expect(reader.settings().recordAllowed).toBe(true);
      expect(reader.cluster('prod-eu')?.account).toBe('123456789012');
      expect(reader.state).toEqual(leader.state);

      // A change to one rule: the follower reads and compiles that rule again, not the others.
      const [first, second] = reader.rules();
      leader.apply({ rules: rules({ id: 'r2', version: 2, seq: 3, rule: { ...DEFAULT_RULE, name: 'second', action: 'Audit' } }) });
      catchUp();
      const [firstAgain, secondAgain] = reader.rules();
      expect(firstAgain).toBe(first);
      expect(secondAgain).not.toBe(second);
      expect(secondAgain).toMatchObject({ rule: { action: 'Audit' }, ref: { id: 'r2', version: 2 } });

      leader.setStale(true);
      catchUp();
      expect(reader.state.stale).toBe(true);

      // A resync that sweeps: what the new database lacks goes from the follower too.
      leader.beginResync();
      leader.apply({ rules: rules({ id: 'n1', seq: 1, rule: { ...DEFAULT_RULE, name: 'new' } }), scans: page(scan({ id: 'scan-kept', seq: 1, findings: [finding('CVE-2')] })) });
      catchUp();
      expect(reader.rules().map((rule) => rule.ref.name)).toEqual(['new']);
      expect(answered(reader.lookup(ref(OTHER_TAG)))).toBeUndefined();
      expect(idsIn(reader, TAG)).toEqual(['CVE-2']);
    } finally {
      reader.close();
    }
  });
});
