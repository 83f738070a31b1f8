import { randomUUID } from 'node:crypto';
import type { ImageScan } from '../../findings/model.js';
import { imageRecord } from '../image-record.js';
import { scanOf, tagsByKey, type ScanRow } from '../rows.js';
import { pageEnd, type ScanSize } from '../scan-page.js';
import { effectiveMillis, planPut, primaryKey, scanKeys, type Head } from '../scan-plan.js';
import type { ImageRecord, Instant, PutScanResult, ScanChanges, ScanStore, StoredScan } from '../store.js';
import { optional, type SqliteDatabase } from './database.js';

const HEAD = 'SELECT key, scan_id AS scanId, report_hash AS reportHash, effective_ms AS effectiveMs FROM scan_keys WHERE key = ? AND scanner = ?';

export class SqliteScans implements ScanStore {
  private readonly putTx;
  private readonly imageTx;

  constructor(private readonly db: SqliteDatabase) {
    this.putTx = db.writer((scan: ImageScan, reportHash: string, at: Instant): PutScanResult => {
      const keys = scanKeys(scan);
      const scanner = scan.source.scanner;
      const effectiveMs = effectiveMillis(scan, at);
      const heads = new Map<string, Head>();
      for (const key of keys) {
        const head = db.get<Head>(HEAD, key, scanner);
        if (head) heads.set(key, head);
      }
      const plan = planPut(keys, heads, reportHash, effectiveMs);
      if (plan.kind === 'unchanged') {
        const current = db.get<ScanRow>('SELECT * FROM scans WHERE id = ?', plan.current);
        if (!current) throw new Error(`scan_keys points at the missing scan ${plan.current}`);
        return { scan: scanOf(current), created: false, replaced: [] };
      }
      const stored: StoredScan = {
        id: randomUUID(),
        keys,
        scanner,
        ...(scan.scannedAt !== undefined && { scannedAt: scan.scannedAt }),
        receivedAt: at,
        reportHash,
        scan,
        seq: db.nextSeq(),
      };
      db.run(
        `INSERT INTO scans (id, scanner, keys, scanned_at, received_at, effective_ms, report_hash, body, seq, finding_count)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        stored.id, scanner, JSON.stringify(keys), optional(scan.scannedAt), at, effectiveMs, reportHash, JSON.stringify(scan), stored.seq, scan.findings.length,
      );
      for (const key of plan.keys) {
        db.run(
          `INSERT INTO scan_keys (key, scanner, scan_id, report_hash, effective_ms) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (key, scanner) DO UPDATE SET scan_id = excluded.scan_id, report_hash = excluded.report_hash, effective_ms = excluded.effective_ms`,
          key, scanner, stored.id, reportHash, effectiveMs,
        );
      }
      // A replaced scan that is still the newest for another of its keys stays for that key.
      for (const old of plan.replaced) db.run('DELETE FROM scans WHERE id = ? AND NOT EXISTS (SELECT 1 FROM scan_keys WHERE scan_id = ?)', old, old);
      const primary = primaryKey(scan, keys);
      for (const tag of new Set(scan.repoTags)) {
        db.run(
          `INSERT INTO image_tags (tag, key, scanned_ms) VALUES (?, ?, ?)
           ON CONFLICT (tag) DO UPDATE SET key = excluded.key, scanned_ms = excluded.scanned_ms WHERE excluded.scanned_ms >= image_tags.scanned_ms`,
          tag, primary, effectiveMs,
        );
      }
      return { scan: stored, created: true, replaced: plan.replaced };
    });

    this.imageTx = db.reader((key: string): ImageRecord | undefined => {
      const rows = db.all<ScanRow>('SELECT s.* FROM scan_keys k JOIN scans s ON s.id = k.scan_id WHERE k.key = ?', key);
      return rows.length === 0 ? undefined : imageRecord(key, rows.map(scanOf));
    });
  }

  async put(scan: ImageScan, reportHash: string, at: Instant): Promise<PutScanResult> {
    return this.putTx(scan, reportHash, at);
  }

  async image(key: string): Promise<ImageRecord | undefined> {
    return this.imageTx(key);
  }

  async keyForTag(tag: string): Promise<string | undefined> {
    return this.db.get<{ key: string }>('SELECT key FROM image_tags WHERE tag = ?', tag)?.key;
  }

  async tagsOf(keys: readonly string[]): Promise<Map<string, string[]>> {
    // The keys as one JSON parameter: one prepared statement whatever their number (the
    // connection keeps each distinct SQL text prepared).
    const rows = this.db.all<{ tag: string; key: string }>('SELECT tag, key FROM image_tags WHERE key IN (SELECT value FROM json_each(?)) ORDER BY tag', JSON.stringify(keys));
    return tagsByKey(rows);
  }

  async changesSince(seq: number, limit: number, maxFindings?: number): Promise<ScanChanges> {
    // The sizes from the index alone, then only the page's reports.
    const sizes = this.db.all<ScanSize>('SELECT seq, finding_count AS findings FROM scans WHERE seq > ? ORDER BY seq LIMIT ?', seq, Math.max(0, Math.floor(limit)) + 1);
    const { lastSeq, more } = pageEnd(sizes, limit, maxFindings);
    const scans = lastSeq === undefined ? [] : this.db.all<ScanRow>('SELECT * FROM scans WHERE seq > ? AND seq <= ? ORDER BY seq', seq, lastSeq).map(scanOf);
    return { scans, more };
  }
}
