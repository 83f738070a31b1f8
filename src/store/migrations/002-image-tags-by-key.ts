// The tags that point at a key, for the sync: each scan is sent with every tag the store maps to
// its keys, not only those its own report named (a newer report of the same digest often names
// none), so that a webhook synced later finds the image by tag as one synced earlier does.
import type { Migration } from './migration.js';

export const imageTagsByKey: Migration = {
  version: 2,
  name: 'image-tags-by-key',
  sqlite: `CREATE INDEX image_tags_key ON image_tags (key);`,
  postgres: `CREATE INDEX image_tags_key ON image_tags (key);`,
};
