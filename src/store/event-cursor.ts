// The opaque cursor of event pages: the position (time, id) of the last event handed out.
import { InputError } from '../problems.js';

export interface EventPosition {
  readonly timeMs: number;
  readonly id: string;
}

export function encodeCursor(position: EventPosition): string {
  return Buffer.from(`${position.timeMs}.${position.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): EventPosition {
  const match = /^(-?\d{1,16})\.(.+)$/s.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1] || !match[2] || !/^[A-Za-z0-9_-]*$/.test(cursor)) {
    throw InputError.of({ path: 'cursor', message: 'The cursor is not one this server handed out: pass back nextCursor exactly as received.' });
  }
  return { timeMs: Number(match[1]), id: match[2] };
}
