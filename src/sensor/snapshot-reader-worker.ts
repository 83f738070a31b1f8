// The snapshot reader's thread (started by snapshot-reader.ts): a read-only connection to the
// snapshot's file, answering each read in the order asked. A read sees what was committed when it
// began (WAL): the sync's writer never waits for it, nor it for the writer. The file is opened at
// the first read, and again after a read that could not open it: a failure is that read's answer
// (with SQLite's message, which an error thrown out of the thread would lose), not the thread's end.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { EVIDENCE_ROWS_SQL, TAG_KEY_SQL, type EvidenceRow, type SnapshotReadAnswer, type SnapshotReadRequest, type SnapshotReaderData } from './snapshot-reader.js';

const port = parentPort;
if (port === null) throw new Error('snapshot-reader-worker.ts runs as a worker thread (see snapshot-reader.ts)');
const { file } = workerData as SnapshotReaderData;
const post = (answer: SnapshotReadAnswer) => port.postMessage(answer);

interface Reads {
  readonly db: Database.Database;
  readonly evidence: Database.Statement<[string], EvidenceRow>;
  readonly tag: Database.Statement<[string], { key: string }>;
}
let reads: Reads | undefined;

function open(): Reads {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return { db, evidence: db.prepare<[string], EvidenceRow>(EVIDENCE_ROWS_SQL), tag: db.prepare<[string], { key: string }>(TAG_KEY_SQL) };
  } catch (error) {
    db.close();
    throw error;
  }
}

port.on('message', (request: SnapshotReadRequest) => {
  if (request.kind === 'stop') {
    reads?.db.close();
    port.close();
    return;
  }
  try {
    reads ??= open();
    if (request.kind === 'open') post({ kind: 'opened', ticket: request.ticket });
    else if (request.kind === 'evidence') post({ kind: 'evidence', ticket: request.ticket, rows: reads.evidence.all(request.key) });
    else post({ kind: 'tag', ticket: request.ticket, key: reads.tag.get(request.tag)?.key ?? null });
  } catch (error) {
    post({ kind: 'failed', ticket: request.ticket, message: (error as Error).message });
  }
});
