// Events handed from one replica of the webhook to another. A replica's outbox lives in an
// emptyDir unless the install asks for persistent storage: a pod deleted for good (a rolling
// update, a node drained, a scale-down) while the control plane is away would take its
// undelivered events with it. So a replica that stops with events it could not deliver hands
// them to another through the webhook Service (`--handoff-url`), whose outbox keeps them until
// the control plane is back. The receiver checks the Sensor token; the sender checks that the
// receiver presents this webhook's own certificate (tls/pinned-peer.ts), so the token only ever
// goes to a replica.
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { EVENT_BATCH_MAX } from '../api/event-schemas.js';
import { problemsOf } from '../api/validation.js';
import type { AdmissionEvent } from '../events/admission-event.js';
import { postEvents, type ControlPlaneConnection } from './control-plane.js';
import type { EventSink } from './event-sinks.js';

/** Where a replica takes events handed to it, on the webhook's HTTPS port. */
export const HANDOFF_PATH = '/outbox/handoff';

/** Largest handoff body: a batch of the outbox with every event's matched findings. */
export const HANDOFF_BODY_LIMIT = 64 * 1024 * 1024;

/** An answer of the receiving side, for the webhook's server to send. */
export interface HandoffAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** The receiving side: what server.ts calls for POST /outbox/handoff. */
export interface HandoffReceiver {
  /** Whether the request's Authorization header holds this webhook's token: asked before its body is read. */
  authorized(authorization: string | undefined): boolean;
  /** The body of an authorized request. */
  receive(text: string): Promise<HandoffAnswer>;
}

/** The answer to a request without the token. */
export const UNAUTHORIZED: HandoffAnswer = error(401, 'unauthorized', "Hand events over with this webhook's Sensor token: Authorization: Bearer <token>.");

export interface HandoffReceiverOptions {
  /** This webhook's Sensor token as it is now (a rotated token file is read again). */
  readonly token: () => string;
  /** Resolves once the event is durably in this replica's outbox. */
  record(event: AdmissionEvent): Promise<void>;
}

/**
 * A batch as the control plane's POST /api/v1/events takes it, checked only for what the outbox
 * needs: each event is passed on as it came, and the control plane checks it in full. A replica
 * of another version (a rolling update) may know fewer fields than the control plane does; were
 * it to refuse them, the events would be set aside in an outbox about to go.
 */
const HandedOverSchema = z.object({
  events: z
    .array(z.looseObject({ id: z.string().min(1) }))
    .min(1)
    .max(EVENT_BATCH_MAX),
});

/**
 * Takes a batch (`{events: [...]}`) into this replica's outbox, and answers `{received}` once all
 * of it is on disk. Events keep their ids, so the control plane stores each once, however it arrives.
 */
export function handoffReceiver(options: HandoffReceiverOptions): HandoffReceiver {
  return {
    authorized: (authorization) => sameSecret(authorization ?? '', `Bearer ${options.token()}`),
    async receive(text) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (failure) {
        return error(400, 'invalid_request', `The body is not valid JSON: ${(failure as Error).message}`);
      }
      const parsed = HandedOverSchema.safeParse(json);
      if (!parsed.success) return error(400, 'invalid_request', `The body is not a batch of events: ${issuesOf(parsed.error)}`);
      const events = parsed.data.events as unknown as AdmissionEvent[];
      await Promise.all(events.map((event) => options.record(event)));
      return { status: 200, body: { received: events.length } };
    },
  };
}

/** The sending side: another replica's outbox, reached through the webhook Service. */
export class PeerEventSink implements EventSink {
  constructor(private readonly connection: ControlPlaneConnection) {}

  deliver(events: readonly AdmissionEvent[], signal?: AbortSignal): Promise<void> {
    return this.deliverJson(
      events.map((event) => JSON.stringify(event)),
      signal,
    );
  }

  deliverJson(events: readonly string[], signal?: AbortSignal): Promise<void> {
    // Whatever the answer, a plain error: the outbox sets aside only what the control plane
    // refuses, and what a replica (of another version, say) refuses stays to be tried again.
    return postEvents(this.connection, HANDOFF_PATH, events, signal).then(() => undefined);
  }
}

/** Compared by their hashes, in constant time: neither the token nor its length shows in the timing. */
function sameSecret(given: string, expected: string): boolean {
  const hash = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(hash(given), hash(expected));
}

function error(status: number, code: string, message: string): HandoffAnswer {
  return { status, body: { error: { code, message } } };
}

function issuesOf(error: z.ZodError): string {
  return problemsOf(error, '')
    .slice(0, 5)
    .map((problem) => `${problem.path || '(body)'}: ${problem.message}`)
    .join('; ');
}
