// One admission request, from the review's JSON to the answer: parse, plan, resolve the images
// within the deadline, decide with the snapshot's rules and evidence, record the event, answer.
// Whatever goes wrong, the answer comes within the deadline and the failure mode decides it.
import type { Logger } from 'pino';
import { decideAdmission, type AdmissionOutcome, type FailureMode } from '../admission/decide.js';
import { allowedAnswer, deniedAnswer, erroredAnswer, pinPatch, type AdmissionReviewResponse } from '../admission/answer.js';
import { planAdmission } from '../admission/plan.js';
import { parseAdmissionReview, ReviewError, type AdmissionRequest } from '../admission/review.js';
import type { AdmissionEvent } from '../events/admission-event.js';
import { eventId } from '../events/event-id.js';
import { ruleIndexOf } from '../policy/rule-index.js';
import type { ClusterContext } from '../policy/target.js';
import type { DigestResolver } from '../registry/resolver.js';
import type { PolicySnapshot } from '../sensor/policy-snapshot.js';
import { resolveImages } from './image-resolution.js';
import type { WebhookMetrics } from './metrics.js';

export type Endpoint = 'validate' | 'mutate';

/** Where recorded events go: the durable outbox. Resolves once the event is written: the answer waits for that, up to the deadline. */
export interface EventRecorder {
  record(event: AdmissionEvent): Promise<void>;
}

export interface AdmissionHandlerOptions {
  readonly snapshot: PolicySnapshot;
  readonly recorder: EventRecorder;
  readonly metrics: WebhookMetrics;
  readonly logger: Logger;
  /** Absent: tags are matched only through the tags scans reported (no registry reads). */
  readonly resolver?: DigestResolver;
  /** The cluster this webhook guards; its registration brings provider and account. */
  readonly cluster?: string;
  readonly failureMode: FailureMode;
  /** The whole answer's budget, under the webhook configuration's timeoutSeconds. */
  readonly deadlineMs: number;
  readonly excludedNamespaces?: readonly string[];
  readonly now?: () => Date;
}

export interface HandlerAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** Time kept back from the deadline for deciding and answering once the registries are given up on. */
const ANSWER_RESERVE_MS = 100;

/** Time kept back from the deadline for writing the answer once the event's write is no longer waited for. */
const RECORD_RESERVE_MS = 20;

/** At most one warning this often about answers that did not wait for their events (a disk stalled answers every review late). */
const LATE_WARNING_INTERVAL_MS = 10_000;

export class AdmissionHandler {
  private readonly now: () => Date;
  /** Answers sent before their events were written, since the last warning about them; and when that was. */
  private late = { count: 0, warnedAt: -Infinity };

  constructor(private readonly options: AdmissionHandlerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async handle(endpoint: Endpoint, body: unknown): Promise<HandlerAnswer> {
    const started = performance.now();
    let request: AdmissionRequest | undefined;
    try {
      request = parseAdmissionReview(body);
    } catch (error) {
      if (!(error instanceof ReviewError)) throw error;
      this.options.metrics.badReviews.inc();
      // A request whose uid could be read gets an answer the API server can show; else a 400.
      if (error.uid !== undefined) return this.answered(endpoint, 'Error', false, started, erroredAnswer(error.uid, 400, error.message));
      return { status: 400, body: { error: { code: 'invalid_review', message: error.message } } };
    }
    // What a failure needs of the request, taken now: the review itself is let go below.
    const summary = summaryOf(request);
    try {
      const deciding = this.decide(endpoint, request, started);
      // A suspended async function keeps every local it has, used again or not: the review (the
      // object, its last-applied copy, its managed fields) would live through the event's commit.
      body = request = undefined;
      return await deciding;
    } catch (error) {
      // A malformed object (planning names the field) is the request's fault, not ours: 400 with the reason.
      if (error instanceof ReviewError && error.uid !== undefined) {
        this.options.metrics.badReviews.inc();
        return this.answered(endpoint, 'Error', summary.dryRun, started, erroredAnswer(error.uid, 400, error.message));
      }
      return this.failed(endpoint, summary, error as Error, started);
    }
  }

  private async decide(endpoint: Endpoint, request: AdmissionRequest, started: number): Promise<HandlerAnswer> {
    const { snapshot } = this.options;
    const settings = snapshot.settings();
    const plan = planAdmission(request, { breakGlass: settings.breakGlass.enabled, ...(this.options.excludedNamespaces && { excludedNamespaces: this.options.excludedNamespaces }) });
    if (plan.action === 'Skip') return this.answered(endpoint, 'Skipped', request.dryRun, started, allowedAnswer(request.uid));

    const cluster = this.clusterContext();
    const account = cluster.provider !== undefined && cluster.account !== undefined ? snapshot.account(cluster.provider, cluster.account) : undefined;
    const deadline = started + this.options.deadlineMs - ANSWER_RESERVE_MS;
    const resolved = await resolveImages(
      plan.images.map((image) => image.reference),
      {
        snapshot,
        ...(this.options.resolver && account?.registryAccess !== false && { resolver: this.options.resolver }),
        useFindings: account?.securityFindings !== false,
        deadline,
      },
    );
    if (endpoint === 'mutate') {
      // Pinned to the digest the tag names: for a multi-arch image its index, so pods keep
      // running on every architecture (the decision was made for this platform's manifest).
      const pins = resolved.map(({ image, tagDigest }) => (tagDigest === undefined ? image : { ...image, digest: tagDigest }));
      return this.answered(endpoint, 'Pinned', plan.dryRun, started, allowedAnswer(plan.uid, { patch: pinPatch(plan, pins) }));
    }
    // An UPDATE re-applying a tag the mutating step pinned to the index it still names: unchanged.
    const images = resolved.map(({ image, tagDigest }, i) => (tagDigest !== undefined && plan.images[i]?.previousDigests.includes(tagDigest) ? { ...image, enforce: false } : image));

    const now = this.now();
    const rules = ruleIndexOf(snapshot.rules()).forNamespace(plan.workload.identity.namespace);
    const outcome = decideAdmission(plan, images, rules, {
      cluster,
      gating: account?.gating !== false,
      now,
      eventId: eventId(now),
      failureMode: this.options.failureMode,
      recordAllowed: settings.recordAllowed,
    });
    return this.recordThenAnswer(endpoint, outcome, plan.dryRun, started);
  }

  /**
   * Not async, and returned rather than awaited by decide: the event's commit takes milliseconds,
   * more under load, and a suspended async function keeps every local it has (the review's plan,
   * the images, the event), which a scavenge or two then copies into the old generation. Only the
   * answer waits here, in the closure.
   */
  private recordThenAnswer(endpoint: Endpoint, outcome: AdmissionOutcome, dryRun: boolean, started: number): Promise<HandlerAnswer> | HandlerAnswer {
    const { decision, response } = outcome;
    if (!outcome.record) return this.answered(endpoint, decision, dryRun, started, response);
    const recorded = this.options.recorder.record(outcome.event);
    const eventId = outcome.event.id;
    // Whole milliseconds: Node keeps a list of timers per duration, and a fraction would make one per review.
    const waitMs = Math.max(0, Math.floor(this.options.deadlineMs - RECORD_RESERVE_MS - (performance.now() - started)));
    // The answer waits for the event to be on disk, but not past the deadline: a stalled disk or
    // a lock held on the outbox must not leave the API server to time out and apply the
    // webhook's failurePolicy to every deployment. Past it the decision is sent as made, and the
    // event is written when the outbox can (lost only if that write fails, or the process dies first).
    return new Promise<HandlerAnswer>((resolve, reject) => {
      let answeredEarly = false;
      const timer = setTimeout(() => {
        answeredEarly = true;
        this.answeredBeforeRecorded(eventId);
        resolve(this.answered(endpoint, decision, dryRun, started, response));
      }, waitMs);
      recorded.then(
        () => {
          if (answeredEarly) return;
          clearTimeout(timer);
          resolve(this.answered(endpoint, decision, dryRun, started, response));
        },
        (error: unknown) => {
          if (!answeredEarly) {
            clearTimeout(timer);
            reject(error as Error);
            return;
          }
          this.options.metrics.eventsUnrecorded.inc();
          this.options.logger.error({ err: error, eventId }, 'an event answered at the deadline could not be written to the outbox afterwards: it is lost');
        },
      );
    });
  }

  private answeredBeforeRecorded(eventId: string): void {
    this.options.metrics.eventsLate.inc();
    this.late.count += 1;
    const at = performance.now();
    if (at - this.late.warnedAt < LATE_WARNING_INTERVAL_MS) return;
    this.options.logger.warn(
      { eventId, answers: this.late.count, deadlineMs: this.options.deadlineMs },
      'answered at the deadline before the event was written to the outbox (is its disk slow, or its file locked?): the event is written when the outbox can',
    );
    this.late = { count: 0, warnedAt: at };
  }

  /** A fault of ours (a bug, a broken snapshot): the failure mode answers, and an Error event says what happened. */
  private failed(endpoint: Endpoint, request: RequestSummary, error: Error, started: number): HandlerAnswer {
    const { failureMode, logger } = this.options;
    if (endpoint === 'mutate') {
      // Pinning decides nothing: when it fails, the request goes on unpinned and /validate decides.
      logger.error({ err: error, uid: request.uid }, 'pinning failed; the request goes on unpinned');
      return this.answered(endpoint, 'Error', request.dryRun, started, allowedAnswer(request.uid));
    }
    const now = this.now();
    const id = eventId(now);
    logger.error({ err: error, uid: request.uid, eventId: id }, 'admission failed; the failure mode decides');
    const message = `Portcullis could not evaluate this request (event ${id}); failure mode ${failureMode}: ${failureMode === 'open' ? 'allowed' : 'denied'}`;
    this.options.recorder.record(errorEvent(request, id, now, message, this.clusterContext())).catch((recordError: unknown) => {
      logger.error({ err: recordError, eventId: id }, 'the error event could not be recorded');
    });
    const answer = failureMode === 'open' ? allowedAnswer(request.uid, { warnings: [message.slice(0, 120)] }) : deniedAnswer(request.uid, message);
    return this.answered(endpoint, 'Error', request.dryRun, started, answer);
  }

  private answered(endpoint: Endpoint, decision: string, dryRun: boolean, started: number, body: AdmissionReviewResponse): HandlerAnswer {
    const { metrics } = this.options;
    metrics.decisions.inc({ endpoint, decision, dry_run: String(dryRun) });
    metrics.duration.observe({ endpoint }, (performance.now() - started) / 1000);
    return { status: 200, body };
  }

  private clusterContext(): ClusterContext {
    const name = this.options.cluster;
    if (name === undefined) return {};
    const registered = this.options.snapshot.cluster(name);
    return {
      name,
      ...(registered?.provider !== undefined && { provider: registered.provider }),
      ...(registered?.account !== undefined && { account: registered.account }),
    };
  }
}

/** What an Error event and a failure's answer say of the request. */
interface RequestSummary {
  readonly uid: string;
  readonly dryRun: boolean;
  readonly name: string;
  readonly namespace: string;
  readonly kind: string;
  readonly operation: AdmissionRequest['operation'];
  readonly user: string | undefined;
}

function summaryOf(request: AdmissionRequest): RequestSummary {
  const object = (request.object ?? {}) as { metadata?: { name?: unknown; namespace?: unknown } };
  return {
    uid: request.uid,
    dryRun: request.dryRun,
    name: typeof object.metadata?.name === 'string' ? object.metadata.name : (request.name ?? ''),
    namespace: request.namespace ?? (typeof object.metadata?.namespace === 'string' ? object.metadata.namespace : ''),
    kind: request.kind.kind,
    operation: request.operation,
    user: request.userInfo.username,
  };
}

function errorEvent(request: RequestSummary, id: string, time: Date, message: string, cluster: ClusterContext): AdmissionEvent {
  const { name } = request;
  return {
    id,
    time: time.toISOString(),
    ...(cluster.name !== undefined && { cluster: cluster.name }),
    ...(cluster.account !== undefined && { account: cluster.account }),
    ...(cluster.provider !== undefined && { provider: cluster.provider }),
    namespace: request.namespace,
    kind: request.kind,
    name,
    workload: name,
    operation: request.operation,
    ...(request.user !== undefined && { user: request.user }),
    dryRun: request.dryRun,
    decision: 'Error',
    message,
    images: [],
    rules: [],
    source: 'webhook',
    requestUid: request.uid,
  };
}
