// Event ids are UUIDv7: unique without coordination, and sortable by time, so a webhook replica
// can name an event before it is delivered and the store can keep it once.
import { randomFillSync } from 'node:crypto';

/** Random bytes drawn in blocks: one system call per 400 ids rather than one per id (an id per admission). */
const pool = Buffer.alloc(4000);
let offset = pool.length;

function randomTen(): Uint8Array {
  if (offset + 10 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += 10;
  return pool.subarray(offset - 10, offset);
}

export function eventId(time: Date, random: Uint8Array = randomTen()): string {
  const ms = time.getTime();
  const bytes = new Uint8Array(16);
  // 48 bits of milliseconds, big-endian (a double holds them exactly).
  for (let i = 0; i < 6; i++) bytes[i] = Math.floor(ms / 2 ** (8 * (5 - i))) & 0xff;
  bytes.set(random.subarray(0, 10), 6);
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f); // version 7
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f); // RFC 4122 variant
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
