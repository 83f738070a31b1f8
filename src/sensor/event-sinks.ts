// Where the outbox delivers admission events: the control plane's API (a webhook in a cluster),
// or the store itself (the all-in-one `serve`). Both can be described in data alone
// (`portable`), so that the outbox's sender thread delivers to them itself.
import type { AdmissionEvent } from '../events/admission-event.js';
import { InputError } from '../problems.js';
import type { Store } from '../store/store.js';
import { connectionTo, ControlPlaneError, postEvents, type ControlPlaneConnection, type ControlPlaneEndpoint } from './control-plane.js';

/** Where events go. */
export interface EventSink {
  /**
   * Resolves once every event is stored (or was already). Throws RejectedEventsError when the
   * sink will never take these events as they are; any other error is worth retrying.
   */
  deliver(events: readonly AdmissionEvent[], signal?: AbortSignal): Promise<void>;
  /**
   * The same for events as the outbox keeps them, JSON text: a sink that sends them on as text
   * need not parse and serialize each one again. Optional; the outbox uses it when present.
   */
  deliverJson?(events: readonly string[], signal?: AbortSignal): Promise<void>;
  /**
   * This sink described in data alone, for the outbox's sender thread to make its own and
   * deliver to itself: the events then never come back to the admission thread.
   */
  readonly portable?: PortableSink;
}

/** A sink another thread can make from this description (outbox-worker.ts). */
export type PortableSink = { readonly kind: 'http'; readonly endpoint: ControlPlaneEndpoint } | { readonly kind: 'sqlite'; readonly file: string };

/** The sink refuses these events for what they are (invalid, too large), however often they are sent. */
export class RejectedEventsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RejectedEventsError';
  }
}

/** The store itself: the all-in-one `serve`. A SQLite store on disk is written by the outbox's sender thread, through its own connection. */
export class StoreEventSink implements EventSink {
  readonly portable?: PortableSink;

  constructor(private readonly store: Pick<Store, 'events' | 'sqliteFile'>) {
    if (store.sqliteFile !== undefined) this.portable = { kind: 'sqlite', file: store.sqliteFile };
  }

  async deliver(events: readonly AdmissionEvent[]): Promise<void> {
    try {
      await this.store.events.insert(events);
    } catch (error) {
      if (error instanceof InputError) throw new RejectedEventsError(error.message);
      throw error;
    }
  }
}

/** POST /api/v1/events of a control plane, with a Sensor token. */
export class HttpEventSink implements EventSink {
  // Made at the first delivery: when the outbox's sender thread delivers (the sink is portable),
  // the sink on the admission thread never does, and needs no connection pool of its own.
  private connectionMade: ControlPlaneConnection | undefined;
  /** The last POST body's buffer, written again by the next (see postEvents). */
  private spare: Buffer | undefined;

  readonly portable: PortableSink;

  constructor(private readonly endpoint: ControlPlaneEndpoint) {
    this.portable = { kind: 'http', endpoint };
  }

  private get connection(): ControlPlaneConnection {
    return (this.connectionMade ??= connectionTo(this.endpoint));
  }

  deliver(events: readonly AdmissionEvent[], signal?: AbortSignal): Promise<void> {
    return this.deliverJson(
      events.map((event) => JSON.stringify(event)),
      signal,
    );
  }

  async deliverJson(events: readonly string[], signal?: AbortSignal): Promise<void> {
    // Taken while the post has it: another delivery at the same time writes a buffer of its own.
    const spare = this.spare;
    this.spare = undefined;
    try {
      this.spare = await postEvents(this.connection, '/api/v1/events', events, signal, spare);
    } catch (error) {
      // The buffer is not written again: a post that failed part-way may not have let go of it.
      if (error instanceof ControlPlaneError && error.permanent) throw new RejectedEventsError(error.message);
      throw error;
    }
  }
}

/** Events as the outbox keeps them (JSON text), parsed; a text that is not JSON is refused for good. */
export function parseEvents(bodies: readonly string[]): AdmissionEvent[] {
  return bodies.map((body) => {
    try {
      return JSON.parse(body) as AdmissionEvent;
    } catch (error) {
      throw new RejectedEventsError(`not JSON: ${(error as Error).message}`);
    }
  });
}
