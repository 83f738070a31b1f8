// Every migration, in order. Append new steps here; never edit or reorder a released one.
import { initial } from './001-initial.js';
import { imageTagsByKey } from './002-image-tags-by-key.js';
import { scanFindingCounts } from './003-scan-finding-counts.js';
import { eventCveTerms } from './004-event-cve-terms.js';
import { eventSummaries } from './005-event-summaries.js';
import { eventTimeKeys } from './006-event-time-keys.js';
import type { Migration } from './migration.js';

export const MIGRATIONS: readonly Migration[] = [initial, imageTagsByKey, scanFindingCounts, eventCveTerms, eventSummaries, eventTimeKeys];

export { pendingMigrations, type Migration } from './migration.js';
