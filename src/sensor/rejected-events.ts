// The events an outbox set aside because the control plane refused them for what they are (see
// Outbox.deliver), read for a person to look at (`portcullis outbox rejected`), and dropped by
// one who decided they will never be taken (`portcullis outbox drop-rejected`). Through a
// connection of its own: the webhook that owns the file may be running (WAL lets it write on; a
// drop waits its turn for the write lock, and the webhook counts the events set aside again).
import Database from 'better-sqlite3';

export interface RejectedEvent {
  /** The outbox file that holds it. */
  readonly file: string;
  readonly id: string;
  /** ISO-8601: when it was last refused. */
  readonly rejectedAt: string;
  /** What the control plane answered. */
  readonly reason: string;
  /** The event as it was recorded (its JSON text parsed; the text itself if it is not JSON). */
  readonly event: unknown;
}

/** The events `file` (an outbox) holds set aside, oldest first. */
export function readRejected(file: string): RejectedEvent[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT id, body, reason, rejected_at FROM rejected ORDER BY seq').all() as { id: string; body: string; reason: string; rejected_at: string }[];
    return rows.map((row) => ({ file, id: row.id, rejectedAt: row.rejected_at, reason: row.reason, event: parsed(row.body) }));
  } finally {
    db.close();
  }
}

/** Deletes the events set aside under these ids from `file`, in one transaction; answers the ids it held. */
export function dropRejected(file: string, ids: ReadonlySet<string> | 'all'): string[] {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const held = db.prepare('SELECT id FROM rejected ORDER BY seq').pluck();
    const remove = db.prepare('DELETE FROM rejected WHERE id = ?');
    // Read and deleted under the write lock: a retry by the webhook between the two would move
    // events out of `rejected`, and they would be said dropped without being so.
    return db
      .transaction(() => {
        const all = held.all() as string[];
        const dropping = ids === 'all' ? all : all.filter((id) => ids.has(id));
        for (const id of dropping) remove.run(id);
        return dropping;
      })
      .immediate();
  } finally {
    db.close();
  }
}

function parsed(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}
