// How many findings each scan holds, beside its sequence number, so that a sync page can stop at
// a budget of findings (see scan-pages.ts) without reading the reports themselves: a page of 500
// scans of a thousand findings each would be tens of megabytes, parsed and applied on the
// webhook's admission thread in one go. The index covers the page query, so SQLite reads the
// count without walking each report's overflow pages.
import type { Migration } from './migration.js';

export const scanFindingCounts: Migration = {
  version: 3,
  name: 'scan-finding-counts',
  sqlite: `
ALTER TABLE scans ADD COLUMN finding_count INTEGER NOT NULL DEFAULT 0;
UPDATE scans SET finding_count = COALESCE(json_array_length(body, '$.findings'), 0);
CREATE INDEX scans_seq_findings ON scans (seq, finding_count);
DROP INDEX scans_seq;`,
  postgres: `
ALTER TABLE scans ADD COLUMN finding_count integer NOT NULL DEFAULT 0;
UPDATE scans SET finding_count = COALESCE(jsonb_array_length(body->'findings'), 0);
CREATE INDEX scans_seq_findings ON scans (seq) INCLUDE (finding_count);
DROP INDEX scans_seq;`,
};
