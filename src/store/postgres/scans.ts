import { randomUUID } from 'node:crypto';
import type { ImageScan } from '../../findings/model.js';
import { imageRecord } from '../image-record.js';
import { scanOf, tagsByKey, type ScanRow } from '../rows.js';
import { pageEnd, type ScanSize } from '../scan-page.js';
import { effectiveMillis, planPut, primaryKey, scanKeys, type Head } from '../scan-plan.js';
import type { ImageRecord, Instant, PutScanResult, ScanChanges, ScanStore, StoredScan } from '../store.js';
import type { PostgresDatabase } from './database.js';

/** The first key of the two-key advisory locks that queue puts of the same key and scanner. */
const SCAN_KEY_LOCK = 0x7363616e; // 'scan'

const HEADS = 'SELECT key, scan_id AS "scanId", report_hash AS "reportHash", effective_ms AS "effectiveMs" FROM scan_keys WHERE key = ANY($1::text[]) AND scanner = $2';

export class PostgresScans implements ScanStore {
  constructor(private readonly db: PostgresDatabase) {}

  async put(scan: ImageScan, reportHash: string, at: Instant): Promise<PutScanResult> {
    const keys = scanKeys(scan);
    const scanner = scan.source.scanner;
    const effectiveMs = effectiveMillis(scan, at);
    return this.db.transaction(async (tx) => {
      // Two puts for one key and scanner would both read the same head and both win. Locks are
      // taken in one order (sorted keys), so puts sharing several keys cannot deadlock; a hash
      // collision only makes two unrelated puts wait for each other.
      for (const key of [...keys].sort()) await tx.get('SELECT pg_advisory_xact_lock($1, hashtext($2))', SCAN_KEY_LOCK, `${scanner} ${key}`);
      const heads = new Map((await tx.all<Head>(HEADS, keys, scanner)).map((head) => [head.key, head]));
      const plan = planPut(keys, heads, reportHash, effectiveMs);
      if (plan.kind === 'unchanged') {
        const current = await tx.get<ScanRow>('SELECT * FROM scans WHERE id = $1', plan.current);
        if (!current) throw new Error(`scan_keys points at the missing scan ${plan.current}`);
        return { scan: scanOf(current), created: false, replaced: [] };
      }
      const id = randomUUID();
      const seq = await tx.nextSeq();
      await tx.run(
        `INSERT INTO scans (id, scanner, keys, scanned_at, received_at, effective_ms, report_hash, body, seq, finding_count)
         VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8::jsonb, $9, $10)`,
        id, scanner, JSON.stringify(keys), scan.scannedAt ?? null, at, effectiveMs, reportHash, JSON.stringify(scan), seq, scan.findings.length,
      );
      await tx.run(
        `INSERT INTO scan_keys (key, scanner, scan_id, report_hash, effective_ms) SELECT unnest($1::text[]), $2, $3, $4, $5
         ON CONFLICT (key, scanner) DO UPDATE SET scan_id = excluded.scan_id, report_hash = excluded.report_hash, effective_ms = excluded.effective_ms`,
        plan.keys, scanner, id, reportHash, effectiveMs,
      );
      // A replaced scan that is still the newest for another of its keys stays for that key. Its
      // row is locked first: a put replacing it for that other key at the same time then checks
      // after this one commits, and sees that no key points at it any more.
      for (const old of plan.replaced) {
        await tx.get('SELECT 1 FROM scans WHERE id = $1 FOR UPDATE', old);
        await tx.run('DELETE FROM scans WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM scan_keys WHERE scan_id = $1)', old);
      }
      const primary = primaryKey(scan, keys);
      const tags = [...new Set(scan.repoTags)];
      if (tags.length > 0) {
        await tx.run(
          `INSERT INTO image_tags (tag, key, scanned_ms) SELECT unnest($1::text[]), $2, $3
           ON CONFLICT (tag) DO UPDATE SET key = excluded.key, scanned_ms = excluded.scanned_ms WHERE excluded.scanned_ms >= image_tags.scanned_ms`,
          tags, primary, effectiveMs,
        );
      }
      const stored: StoredScan = {
        id,
        keys,
        scanner,
        ...(scan.scannedAt !== undefined && { scannedAt: scan.scannedAt }),
        receivedAt: at,
        reportHash,
        scan,
        seq,
      };
      return { scan: stored, created: true, replaced: plan.replaced };
    });
  }

  async image(key: string): Promise<ImageRecord | undefined> {
    const rows = await this.db.all<ScanRow>('SELECT s.* FROM scan_keys k JOIN scans s ON s.id = k.scan_id WHERE k.key = $1', key);
    return rows.length === 0 ? undefined : imageRecord(key, rows.map(scanOf));
  }

  async keyForTag(tag: string): Promise<string | undefined> {
    return (await this.db.get<{ key: string }>('SELECT key FROM image_tags WHERE tag = $1', tag))?.key;
  }

  async tagsOf(keys: readonly string[]): Promise<Map<string, string[]>> {
    if (keys.length === 0) return new Map();
    return tagsByKey(await this.db.all<{ tag: string; key: string }>('SELECT tag, key FROM image_tags WHERE key = ANY($1::text[]) ORDER BY tag', [...keys]));
  }

  async changesSince(seq: number, limit: number, maxFindings?: number): Promise<ScanChanges> {
    // The sizes from the index alone, then only the page's reports.
    const sizes = await this.db.all<ScanSize>('SELECT seq, finding_count AS findings FROM scans WHERE seq > $1 ORDER BY seq LIMIT $2', seq, Math.max(0, Math.floor(limit)) + 1);
    const { lastSeq, more } = pageEnd(sizes, limit, maxFindings);
    const scans = lastSeq === undefined ? [] : (await this.db.all<ScanRow>('SELECT * FROM scans WHERE seq > $1 AND seq <= $2 ORDER BY seq', seq, lastSeq)).map(scanOf);
    return { scans, more };
  }
}
