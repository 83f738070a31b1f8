// Events stored by an earlier build, read back through a real store: whole, in this build's shape.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, test } from 'vitest';
import { anEvent } from '../store/testing/builders.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { AdmissionEvent, EventFinding } from './admission-event.js';
import { summarizeEvent } from './event-summary.js';
import { currentEvent, type StoredEvent } from './earlier-formats.js';

const OPENSSL: EventFinding = { id: 'CVE-2024-0001', severity: 'Critical', package: 'openssl', version: '3.0.1', fixedVersion: '3.0.2' };
const ZLIB: EventFinding = { id: 'CVE-2024-0002', severity: 'High', package: 'zlib', version: '1.2.11' };

/** The event as an earlier build wrote it: each violation with its findings in full, no image findings. */
function earlier(event: AdmissionEvent): StoredEvent {
  const byId = new Map([OPENSSL, ZLIB].map((f) => [f.id, f]));
  return {
    ...event,
    images: event.images.map(({ findings: _findings, ...image }) => ({
      ...image,
      violations: image.violations.map((v) => ({ ...v, findings: v.findings.map((id) => byId.get(id) ?? { id, severity: 'Unknown', package: '', version: '' }) })),
    })),
  };
}

const event = anEvent({ time: '2026-03-01T11:00:00.000Z', images: [{ reference: 'nginx:1.25', violations: [{ rule: 'deny-critical', cves: ['CVE-2024-0001'] }, { rule: 'audit-high', cves: ['CVE-2024-0001', 'CVE-2024-0002'] }] }] });

test('violations name their findings by id; the image holds each once, in full', () => {
  const [image] = currentEvent(earlier(event)).images;
  expect(image?.violations.map((v) => v.findings)).toEqual([['CVE-2024-0001'], ['CVE-2024-0001', 'CVE-2024-0002']]);
  expect(image?.findings).toEqual([OPENSSL, ZLIB]);
  expect(image?.matched).toEqual(['CVE-2024-0001', 'CVE-2024-0002']);
});

test('an event of this shape is returned as it is', () => {
  expect(currentEvent(event)).toBe(event);
});

let store: SqliteStore | undefined;
let dir: string | undefined;
afterEach(async () => {
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a store read returns an event stored in the earlier shape in this one', async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-earlier-'));
  const file = join(dir, 'portcullis.db');
  store = new SqliteStore(file);
  await store.migrate();
  await store.events.insert([event]);
  // As an earlier build left it in the database: the whole event its body, and no summary (migration 5).
  const db = new Database(file);
  db.prepare('UPDATE events SET body = ? WHERE id = ?').run(JSON.stringify(earlier(event)), event.id);
  db.prepare('DELETE FROM event_summaries WHERE event_rowid = (SELECT rowid FROM events WHERE id = ?)').run(event.id);
  db.close();
  const read = await store.events.get(event.id);
  expect(read?.images[0]?.findings).toEqual([OPENSSL, ZLIB]);
  expect(read?.images[0]?.violations[1]?.findings).toEqual(['CVE-2024-0001', 'CVE-2024-0002']);
  // Still found by the CVE filter, whose index was made when it was stored.
  expect((await store.events.list({ cve: 'cve-2024-0002' }, { limit: 10 })).events.map((e) => e.id)).toEqual([event.id]);
  // Listed, it is summarized from that body.
  expect((await store.events.list({}, { limit: 10 })).events).toStrictEqual([summarizeEvent(event)]);
});
