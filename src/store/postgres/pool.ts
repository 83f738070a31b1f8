// The pg connection pool, configured to hand rows back as rows.ts expects them on both databases:
// BIGINT as numbers (times in ms, change seq, counts) and json/jsonb as their JSON text.
import pg from 'pg';
import type { CustomTypesConfig } from 'pg';

const INT8 = 20;
const JSON_OID = 114;
const JSONB_OID = 3802;

/** A BIGINT as a number; one past 2^53 would silently lose digits, so it fails loudly instead. */
function parseBigint(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`The BIGINT ${text} does not fit a JavaScript number.`);
  return value;
}

function keepText(text: string): string {
  return text;
}

// Per pool, not pg.types.setTypeParser: other code in the process keeps pg's defaults.
const TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (format === undefined || format === 'text') {
      if (oid === INT8) return parseBigint;
      if (oid === JSON_OID || oid === JSONB_OID) return keepText;
    }
    return pg.types.getTypeParser(oid, format);
  },
} as CustomTypesConfig;

/** `max`: the most connections open at once; default pg's (10). */
export function createPool(connectionString: string, max?: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, types: TYPES, ...(max !== undefined && { max }) });
  // An idle connection the server dropped (restart, failover) is taken out of the pool; without a
  // listener its 'error' would end the process. The next query reports the outage instead.
  pool.on('error', () => {});
  return pool;
}
