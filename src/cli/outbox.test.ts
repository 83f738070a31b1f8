// `portcullis outbox rejected`: the events a webhook's outbox set aside, read from its data
// directory (its own outbox and each worker's), while or after the webhook runs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { AdmissionEvent } from '../events/admission-event.js';
import { RejectedEventsError } from '../sensor/event-sinks.js';
import { OUTBOX_FILE, Outbox } from '../sensor/outbox.js';
import { anEvent } from '../store/testing/builders.js';
import { EXIT } from './exit-codes.js';
import { main, type Io } from './main.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-outbox-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), readStdin: () => '' };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** An outbox at `file` whose control plane refused `refused` (by id) and took the rest. */
async function outboxWith(file: string, events: readonly AdmissionEvent[], refused: ReadonlySet<string>): Promise<void> {
  const outbox = Outbox.open(file, {
    sink: {
      deliver: async (batch) => {
        const bad = batch.find((event) => refused.has(event.id));
        if (bad) throw new RejectedEventsError(`events[0].images[0].scanStatus: '${bad.id}' is not one the control plane knows`);
      },
    },
  });
  for (const event of events) await outbox.record(event);
  await outbox.flush();
  await outbox.close();
}

const events = (count: number, seed: number) => Array.from({ length: count }, (_, i) => anEvent({ time: `2026-03-01T11:00:0${i}.000Z`, seed: seed + i }));

describe('portcullis outbox rejected', () => {
  test("lists the events set aside in the webhook's outbox and each worker's, with why; as JSON with the events themselves", async () => {
    const alone = events(3, 100);
    const worker = events(2, 200);
    await outboxWith(join(dir, OUTBOX_FILE), alone, new Set([alone[1]?.id ?? '']));
    mkdirSync(join(dir, 'worker-1'));
    await outboxWith(join(dir, 'worker-1', OUTBOX_FILE), worker, new Set([worker[0]?.id ?? '']));

    const listed = await run('outbox', 'rejected', '--data-dir', dir);
    expect(listed.code, listed.stderr).toBe(EXIT.ok);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^EVENT\s+REFUSED AT\s+OUTBOX\s+REASON$/);
    expect(lines).toHaveLength(3);
    expect(listed.stdout).toContain(alone[1]?.id);
    expect(listed.stdout).toContain(worker[0]?.id);
    expect(listed.stdout).toContain('is not one the control plane knows');

    const json = await run('outbox', 'rejected', '--data-dir', dir, '-o', 'json');
    const rejected = JSON.parse(json.stdout) as { id: string; file: string; reason: string; event: AdmissionEvent }[];
    expect(rejected.map((r) => [r.id, r.file])).toEqual([
      [alone[1]?.id, join(dir, OUTBOX_FILE)],
      [worker[0]?.id, join(dir, 'worker-1', OUTBOX_FILE)],
    ]);
    expect(rejected[0]?.event).toEqual(JSON.parse(JSON.stringify(alone[1])));
  });

  test('says so when nothing is set aside', async () => {
    await outboxWith(join(dir, OUTBOX_FILE), events(2, 300), new Set());
    const listed = await run('outbox', 'rejected', '--data-dir', dir);
    expect(listed.code).toBe(EXIT.ok);
    expect(listed.stdout).toBe(`No events set aside in ${join(dir, OUTBOX_FILE)}.\n`);
  });

  test('a directory without an outbox, or a file that is not one, is bad input naming the place', async () => {
    const empty = await run('outbox', 'rejected', '--data-dir', dir);
    expect(empty.code).toBe(EXIT.badInput);
    expect(empty.stderr).toContain(`--data-dir: ${dir} holds no outbox.db`);

    writeFileSync(join(dir, OUTBOX_FILE), 'not a database');
    const broken = await run('outbox', 'rejected', '--data-dir', dir);
    expect(broken.code).toBe(EXIT.badInput);
    expect(broken.stderr).toContain(`${join(dir, OUTBOX_FILE)}: cannot be read as an outbox`);
  });
});

describe('portcullis outbox drop-rejected', () => {
  test('drops the events named, from whichever outbox holds them, and nothing else; --all drops the rest', async () => {
    const alone = events(3, 400);
    const worker = events(2, 500);
    await outboxWith(join(dir, OUTBOX_FILE), alone, new Set([alone[0]?.id ?? '', alone[2]?.id ?? '']));
    mkdirSync(join(dir, 'worker-1'));
    await outboxWith(join(dir, 'worker-1', OUTBOX_FILE), worker, new Set([worker[1]?.id ?? '']));

    const dropped = await run('outbox', 'drop-rejected', '--data-dir', dir, '--event', alone[2]?.id ?? '', '--event', worker[1]?.id ?? '');
    expect(dropped.code, dropped.stderr).toBe(EXIT.ok);
    expect(dropped.stdout).toBe(`dropped ${alone[2]?.id} from ${join(dir, OUTBOX_FILE)}\ndropped ${worker[1]?.id} from ${join(dir, 'worker-1', OUTBOX_FILE)}\n`);
    const left = JSON.parse((await run('outbox', 'rejected', '--data-dir', dir, '-o', 'json')).stdout) as { id: string }[];
    expect(left.map((event) => event.id)).toEqual([alone[0]?.id]);

    const all = await run('outbox', 'drop-rejected', '--data-dir', dir, '--all');
    expect(all.stdout).toBe(`dropped ${alone[0]?.id} from ${join(dir, OUTBOX_FILE)}\n`);
    expect((await run('outbox', 'rejected', '--data-dir', dir)).stdout).toContain('No events set aside');
  });

  test('an id not set aside anywhere is bad input naming it, and nothing is dropped; neither ids nor --all is too', async () => {
    const alone = events(2, 600);
    await outboxWith(join(dir, OUTBOX_FILE), alone, new Set([alone[0]?.id ?? '']));
    const mistyped = await run('outbox', 'drop-rejected', '--data-dir', dir, '--event', alone[0]?.id ?? '', '--event', 'no-such-event');
    expect(mistyped.code).toBe(EXIT.badInput);
    expect(mistyped.stderr).toContain('--event: no-such-event is not an event set aside in');
    expect((await run('outbox', 'rejected', '--data-dir', dir)).stdout).toContain(alone[0]?.id);

    for (const args of [[], ['--all', '--event', alone[0]?.id ?? '']]) {
      const refused = await run('outbox', 'drop-rejected', '--data-dir', dir, ...args);
      expect(refused.code).toBe(EXIT.badInput);
      expect(refused.stderr).toContain('--event: name the events to drop');
    }
  });

  test('beside a running outbox: its count of events set aside follows the drop, and a later retry moves only what is left', async () => {
    const file = join(dir, OUTBOX_FILE);
    const recorded = events(3, 700);
    const refused = new Set(recorded.map((event) => event.id));
    const taken: string[] = [];
    const outbox = Outbox.open(file, {
      sink: {
        deliver: async (batch) => {
          const bad = batch.find((event) => refused.has(event.id));
          if (bad) throw new RejectedEventsError(`'${bad.id}' is refused`);
          taken.push(...batch.map((event) => event.id));
        },
      },
    });
    try {
      for (const event of recorded) await outbox.record(event);
      await outbox.flush();
      expect(outbox.rejected()).toBe(3);

      const dropped = await run('outbox', 'drop-rejected', '--data-dir', dir, '--event', recorded[0]?.id ?? '', '--event', recorded[1]?.id ?? '');
      expect(dropped.code, dropped.stderr).toBe(EXIT.ok);

      // Not yet recounted: the control plane takes them now, and the retry moves (and counts as pending) only the one left.
      refused.clear();
      expect(await outbox.retryRejected()).toBe(1);
      await outbox.flush();
      expect(taken).toEqual([recorded[2]?.id]);
      expect([outbox.pending(), outbox.rejected()]).toEqual([0, 0]);

      // Refused again, two set aside, one dropped: the recount (every 5 s in a webhook) says one.
      const more = events(2, 800);
      for (const event of more) refused.add(event.id);
      for (const event of more) await outbox.record(event);
      await outbox.flush();
      expect(outbox.rejected()).toBe(2);
      await run('outbox', 'drop-rejected', '--data-dir', dir, '--event', more[0]?.id ?? '');
      await outbox.recountRejected();
      expect(outbox.rejected()).toBe(1);
    } finally {
      await outbox.close();
    }
  });
});
