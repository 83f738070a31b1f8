// The snapshot reading what memory does not hold in a thread of its own (as the webhook's does):
// lookups answer a promise of what a snapshot reading on its own thread would answer at once,
// share one read per image, keep nothing a change made stale, and fail plainly.
import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Finding } from '../findings/model.js';
import { parseImageReference } from '../images/reference.js';
import { LocalSnapshot } from './local-snapshot.js';
import type { SnapshotEntry, SnapshotLookup } from './policy-snapshot.js';
import { SnapshotReader, type EvidenceRow, type SnapshotReads } from './snapshot-reader.js';
import type { SyncScan } from './sync-protocol.js';
import { answered } from './testing/answered.js';
import { digestOf, tempDir } from './testing/control-plane.js';

let temp: ReturnType<typeof tempDir>;
let file: string;
const opened: LocalSnapshot[] = [];
beforeEach(() => {
  temp = tempDir();
  file = join(temp.dir, 'snapshot.db');
});
afterEach(() => {
  for (const snapshot of opened.splice(0)) snapshot.close();
  temp.remove();
});

const TAG = 'registry.example.com/team/app:1.0';
const ref = (text: string) => parseImageReference(text);
const pinned = (hex: string) => ref(`registry.example.com/team/app@${digestOf(hex)}`);

function open(reader?: SnapshotReads): LocalSnapshot {
  const snapshot = LocalSnapshot.open(file, reader ? { reader } : {});
  opened.push(snapshot);
  return snapshot;
}

function finding(id: string): Finding {
  return { id, aliases: [], severity: 'Critical', package: { name: 'openssl', version: '3.0.1' }, fixedVersion: '3.0.2', fixAvailable: true };
}

let seq = 0;
/** A scan of the image `hex` under TAG, newer than the ones before. */
function scanOf(hex: string, ids: readonly string[]): SyncScan {
  seq += 1;
  return { id: `scan-${seq}`, seq, keys: [digestOf(hex)], scanner: 'trivy', scannedAt: `2026-02-0${seq}T00:00:00.000Z`, receivedAt: '2026-03-01T00:00:00.000Z', tags: [TAG], manifestDigest: digestOf(hex), findings: ids.map(finding) };
}

function put(snapshot: LocalSnapshot, scan: SyncScan): void {
  snapshot.apply({ scans: { scans: [scan], seq: scan.seq, more: false } });
}

const idsOf = (entry: SnapshotEntry | undefined) => entry?.evidence?.findings.map((f) => f.id);

/** The lookup's promise: what memory does not hold is read in the thread. */
function reading(found: SnapshotLookup): Promise<SnapshotEntry | undefined> {
  expect(found).toBeInstanceOf(Promise);
  return found as Promise<SnapshotEntry | undefined>;
}

/**
 * A reader whose reads are made at once (through the thread) and answered only when released:
 * a change can then be committed between a read and its answer.
 */
function heldReader(inner: SnapshotReader) {
  const reads: Promise<unknown>[] = [];
  let release = () => undefined as void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const held = <T>(read: Promise<T>): Promise<T> => {
    reads.push(read);
    return read.then(async (value) => (await released, value));
  };
  const reader: SnapshotReads = {
    evidenceRows: (key: string): Promise<EvidenceRow[]> => held(inner.evidenceRows(key)),
    keyOfTag: (tag: string) => held(inner.keyOfTag(tag)),
    close: () => inner.close(),
  };
  return { reader, reads, release: () => release() };
}

describe('a snapshot reading in a thread', () => {
  test('answers a promise of what a snapshot reading on its own thread finds, then answers from memory', async () => {
    put(open(), scanOf('1', ['CVE-2026-0001', 'CVE-2026-0002']));
    const inline = open();
    const threaded = open(new SnapshotReader(file));

    const byDigest = await reading(threaded.lookup(pinned('1')));
    expect(idsOf(byDigest)).toEqual(idsOf(answered(inline.lookup(pinned('1')))));
    expect(byDigest?.digest).toBe(digestOf('1'));
    // Kept: the next lookup is a Map's answer, the same entry.
    expect(threaded.lookup(pinned('1'))).toBe(byDigest);

    // A tag: its key read in the thread, then the key's evidence from memory.
    expect(await reading(threaded.lookup(ref(TAG)))).toBe(byDigest);
    expect(threaded.lookup(ref(TAG))).toBe(byDigest);

    // What no scan covers is read once, and remembered as such.
    expect(await reading(threaded.lookup(pinned('9')))).toBeUndefined();
    expect(threaded.lookup(pinned('9'))).toBeUndefined();
    expect(await reading(threaded.lookup(ref('registry.example.com/team/app:9.9')))).toBeUndefined();
    expect(threaded.lookup(ref('registry.example.com/team/app:9.9'))).toBeUndefined();
    expect(threaded.evidenceCache()).toMatchObject({ images: 2, misses: 2 });
  });

  test('lookups of one image while it is read share the one read', async () => {
    put(open(), scanOf('1', ['CVE-2026-0001']));
    let reads = 0;
    const inner = new SnapshotReader(file);
    const snapshot = open({ evidenceRows: (key) => ((reads += 1), inner.evidenceRows(key)), keyOfTag: (tag) => inner.keyOfTag(tag), close: () => inner.close() });
    const first = snapshot.lookup(pinned('1'));
    expect(snapshot.lookup(pinned('1'))).toBe(first);
    expect(idsOf(await first)).toEqual(['CVE-2026-0001']);
    expect(reads).toBe(1);
  });

  test('an image changed while it was read: those waiting get what was read, and it is not kept', async () => {
    const snapshot = open();
    put(snapshot, scanOf('1', ['CVE-2026-0001']));
    const held = heldReader(new SnapshotReader(file));
    const threaded = open(held.reader);

    const before = threaded.lookup(pinned('1'));
    await held.reads[0];
    // The thread has read the old scan; a newer one is committed (the sync) before it is answered.
    const change = { scans: { scans: [scanOf('1', ['CVE-2026-0009'])], seq, more: false } };
    threaded.apply(change);
    held.release();
    expect(idsOf(await reading(before))).toEqual(['CVE-2026-0001']);
    // Not kept: the next lookup reads again, and finds the new scan.
    expect(idsOf(await reading(threaded.lookup(pinned('1'))))).toEqual(['CVE-2026-0009']);
  });

  test('a tag moved while it was read: those waiting get the image it named, and the tag is read again', async () => {
    put(open(), scanOf('1', ['CVE-2026-0001']));
    const held = heldReader(new SnapshotReader(file));
    const threaded = open(held.reader);

    const before = threaded.lookup(ref(TAG));
    await held.reads[0];
    // Another snapshot on the file (a sync thread's) moves the tag to a newer image; this one follows.
    const writer = LocalSnapshot.open(file, { onChange: (change) => threaded.follow(change) });
    opened.push(writer);
    put(writer, scanOf('2', ['CVE-2026-0002']));
    held.release();
    expect((await reading(before))?.digest).toBe(digestOf('1'));
    expect((await reading(threaded.lookup(ref(TAG))))?.digest).toBe(digestOf('2'));
  });

  test('a read that fails answers the file and SQLite\'s reason; the next read tries again', async () => {
    const reader = new SnapshotReader(file);
    try {
      // No file yet, then one without the snapshot's tables.
      await expect(reader.evidenceRows(digestOf('1'))).rejects.toThrow(`reading the snapshot ${file}: unable to open database file`);
      writeFileSync(file, '');
      await expect(reader.keyOfTag(TAG)).rejects.toThrow(`reading the snapshot ${file}: no such table: scan_keys`);
      put(open(), scanOf('1', ['CVE-2026-0001']));
      expect((await reader.evidenceRows(digestOf('1'))).map((row) => row.scanner)).toEqual(['trivy']);
      expect(await reader.keyOfTag(TAG)).toBe(digestOf('1'));
    } finally {
      reader.close();
    }
  });

  test('ready: the thread has opened the file before the first read; one it cannot open is logged, and reads try again', async () => {
    const openFiles = () => readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        return [readlinkSync(`/proc/self/fd/${fd}`)];
      } catch {
        return [];
      }
    });
    const logged: { msg: string; file: string; err?: { message: string } }[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line) as (typeof logged)[number]) });

    put(open(), scanOf('1', ['CVE-2026-0001']));
    const reader = new SnapshotReader(file, logger);
    try {
      const before = openFiles().filter((path) => path === file).length;
      await reader.ready();
      expect(openFiles().filter((path) => path === file).length).toBe(before + 1);
      expect(logged).toEqual([]);
    } finally {
      reader.close();
    }

    const absent = join(temp.dir, 'absent.db');
    const missing = new SnapshotReader(absent, logger);
    try {
      await missing.ready();
      expect(logged).toEqual([expect.objectContaining({ file: absent, msg: 'the snapshot reader thread could not open the snapshot; each read tries again', err: expect.objectContaining({ message: `reading the snapshot ${absent}: unable to open database file` }) })]);
      const written = LocalSnapshot.open(absent);
      opened.push(written);
      put(written, scanOf('2', ['CVE-2026-0002']));
      expect(await missing.keyOfTag(TAG)).toBe(digestOf('2'));
    } finally {
      missing.close();
    }
  });

  test('a read that fails is not remembered: asked again, it is read again', async () => {
    let reads = 0;
    const failing = open({ evidenceRows: () => ((reads += 1), Promise.reject(new Error('disk I/O error'))), keyOfTag: async () => undefined, close: () => undefined });
    await expect(failing.lookup(pinned('1'))).rejects.toThrow('disk I/O error');
    await expect(failing.lookup(pinned('1'))).rejects.toThrow('disk I/O error');
    expect(reads).toBe(2);
    expect(failing.evidenceCache()).toMatchObject({ images: 0, misses: 2 });
  });

  test('a thread that dies fails the reads it had; a read a second later starts another', async () => {
    put(open(), scanOf('1', ['CVE-2026-0001']));
    const reader = new SnapshotReader(file);
    try {
      await reader.ready();
      // As an out-of-memory or a native fault ends the thread (private: nothing else may end it),
      // with a read asked of it that it will not answer.
      const dying = reader['worker']?.terminate();
      const inFlight = reader.evidenceRows(digestOf('1'));
      await dying;
      await expect(inFlight).rejects.toThrow(`the thread reading the snapshot ${file} stopped`);
      // Not started again for every review meanwhile.
      await expect(reader.keyOfTag(TAG)).rejects.toThrow(`the thread reading the snapshot ${file} stopped; another starts in a moment`);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect(await reader.keyOfTag(TAG)).toBe(digestOf('1'));
    } finally {
      reader.close();
    }
  });

  test('closed, its reads in flight fail, and so do later ones', async () => {
    put(open(), scanOf('1', ['CVE-2026-0001']));
    const reader = new SnapshotReader(file);
    const inFlight = reader.evidenceRows(digestOf('1'));
    reader.close();
    await expect(inFlight).rejects.toThrow('the snapshot was closed');
    await expect(reader.keyOfTag(TAG)).rejects.toThrow('the snapshot was closed');
  });

  test('tells of each read its outcome and the time from asked to answered; not of the opening of the file', async () => {
    put(open(), scanOf('1', ['CVE-2026-0001']));
    const told: ['read' | 'failed', number][] = [];
    const tell = (outcome: 'read' | 'failed', seconds: number) => void told.push([outcome, seconds]);
    const reader = new SnapshotReader(file, undefined, tell);
    try {
      await reader.ready();
      expect(told).toEqual([]);
      const asked = performance.now();
      await reader.evidenceRows(digestOf('1'));
      const waited = (performance.now() - asked) / 1000;
      await reader.keyOfTag('registry.example.com/team/none:1.0');
      expect(told.map(([outcome]) => outcome)).toEqual(['read', 'read']);
      expect(told[0]?.[1]).toBeGreaterThan(0);
      expect(told[0]?.[1]).toBeLessThanOrEqual(waited);
      // Failed: SQLite's error, and the reads a closing fails.
      const tableless = join(temp.dir, 'tableless.db');
      writeFileSync(tableless, '');
      const broken = new SnapshotReader(tableless, undefined, tell);
      await expect(broken.evidenceRows(digestOf('1'))).rejects.toThrow('no such table');
      broken.close();
      const inFlight = reader.evidenceRows(digestOf('1'));
      reader.close();
      await expect(inFlight).rejects.toThrow('the snapshot was closed');
      expect(told.map(([outcome]) => outcome)).toEqual(['read', 'read', 'failed', 'failed']);
    } finally {
      reader.close();
    }
  });
});
