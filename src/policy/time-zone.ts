// Calendar days in a time zone, without a date library: an exemption that expires on a day holds
// through the last millisecond of that day where the rule's team lives.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The calendar day (`YYYY-MM-DD`) an instant falls on in a time zone. */
export function localDay(epochMs: number, timeZone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return formatterFor(timeZone).format(epochMs);
}

const HOUR = 3_600_000;

/**
 * The last millisecond (epoch ms) of a calendar day in a time zone. Found by searching for the
 * first instant whose local day is later, so DST changes at midnight and odd offsets need no
 * special cases.
 */
export function endOfDay(day: string, timeZone: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) throw new Error(`'${day}' is not a calendar day (YYYY-MM-DD)`);
  const nextMidnightUtc = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + 1);
  // Every zone's offset is within ±14 h (plus slack), so the answer lies in this window.
  let low = nextMidnightUtc - 15 * HOUR; // local day is still `day` or earlier
  let high = nextMidnightUtc + 15 * HOUR; // local day is already after `day`
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (localDay(middle, timeZone) > day) high = middle;
    else low = middle;
  }
  return low;
}
