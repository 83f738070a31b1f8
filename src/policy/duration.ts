// Durations as rules write them: `30d`, `12h`, `90m`, `2w`.

const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds of a duration like `30d`; throws an Error saying what is wrong. */
export function parseDuration(text: string): number {
  const match = /^([1-9]\d{0,5})([mhdw])$/.exec(text.trim());
  if (!match) throw new Error(`'${text}' is not a duration: write a whole number and a unit m, h, d or w (e.g. 30d)`);
  return Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
}

export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm'] as const) {
    const size = UNIT_MS[unit] ?? 1;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 60_000)}m`;
}
