// The worker side of the protocol, free of any worker API so it runs under vitest with a mock engine:
// messages in (`receive`), events out (`post`). One request runs at a time and the rest wait in order,
// because the engine's sessions and KV cache are a single resource. `cancel` bypasses the queue: it
// aborts the running request's signal or drops a queued one. Every request ends in exactly one terminal
// event (its result or an error), and nothing a request does can stop the requests after it. One exception
// to the order: a `measure` (the question box's count, no graph) that arrives while a `prepare` runs and
// nothing waits runs beside it, since a prepare is work ahead of time that can take a minute on wasm.

import type { Engine, ModelLibrary } from './engine.ts';
import { cancelledError, EngineError, toErrorData } from './errors.ts';
import { unreachable, type Request, type WorkerEvent } from './messages.ts';
import { parseRequest, requestIdOf } from './validate.ts';

export type Post = (event: WorkerEvent) => void;

/** The requests that take a turn in the queue (cancel acts at once). */
type QueuedRequest = Exclude<Request, { kind: 'cancel' }>;

interface Job {
  request: QueuedRequest;
  controller: AbortController;
}

export class Dispatcher {
  private readonly queue: Job[] = [];
  private running: Job | null = null;
  /** Measures running beside a prepare. */
  private readonly aside = new Set<Job>();
  private idleWaiters: (() => void)[] = [];

  /** `library` is null where models are never stored (Node): its requests then fail as `not-available`. */
  constructor(private readonly engine: Engine, private readonly post: Post, private readonly library: ModelLibrary | null = null) {}

  /** Handles one posted message; never throws. */
  receive(message: unknown): void {
    let request: Request;
    try {
      request = parseRequest(message);
    } catch (e) {
      this.emit({ kind: 'error', id: requestIdOf(message), error: toErrorData(e) });
      return;
    }
    if (request.kind === 'cancel') {
      this.cancel(request.target);
      return;
    }
    const job = { request, controller: new AbortController() };
    if (request.kind === 'measure' && this.running?.request.kind === 'prepare' && this.queue.length === 0) {
      this.aside.add(job);
      void this.execute(job).finally(() => {
        this.aside.delete(job);
        this.settle();
      });
      return;
    }
    this.queue.push(job);
    void this.pump();
  }

  /** Resolves once nothing runs and nothing waits (tests, orderly shutdown). */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.settle();
    });
  }

  private cancel(target: string): void {
    const started = [this.running, ...this.aside].find((j) => j?.request.id === target);
    if (started) {
      started.controller.abort(cancelledError(`request ${target}`));
      return;
    }
    const i = this.queue.findIndex((j) => j.request.id === target);
    if (i >= 0) {
      const [job] = this.queue.splice(i, 1);
      this.emit({ kind: 'error', id: job.request.id, error: cancelledError(`request ${target}`).toData() });
    }
    // An unknown target has already finished: its terminal event is on its way, so there is nothing to do.
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    const job = this.queue.shift();
    if (!job) {
      this.settle();
      return;
    }
    this.running = job;
    await this.execute(job);
    this.running = null;
    void this.pump();
  }

  /** Runs one job to its terminal event; never throws. */
  private async execute(job: Job): Promise<void> {
    try {
      await this.run(job.request, job.controller.signal);
    } catch (e) {
      // An abort wins over whatever the engine threw while being stopped.
      const error = job.controller.signal.aborted ? toErrorData(job.controller.signal.reason) : toErrorData(e);
      this.emit({ kind: 'error', id: job.request.id, error });
    }
  }

  /** Wakes `idle()` once nothing runs and nothing waits. */
  private settle(): void {
    if (!this.running && this.queue.length === 0 && this.aside.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async run(r: QueuedRequest, signal: AbortSignal): Promise<void> {
    const id = r.id;
    switch (r.kind) {
      case 'probe': {
        const report = await this.engine.probe(signal);
        this.finish(signal, { kind: 'probed', id, report });
        return;
      }
      case 'load': {
        const ready = await this.engine.load(r.options, (progress) => this.emitLive(signal, { kind: 'progress', id, progress }), signal);
        this.finish(signal, { kind: 'ready', id, ready });
        return;
      }
      case 'propose': {
        const boxes = await this.engine.propose(r.options, signal);
        this.finish(signal, { kind: 'proposals', id, boxes });
        return;
      }
      case 'ask': {
        const answer = await this.engine.ask(
          r.options,
          (text) => this.emitLive(signal, { kind: 'token', id, text }),
          signal,
          (change) => this.emitLive(signal, { kind: 'backendChanged', id, change }),
        );
        this.finish(signal, { kind: 'answer', id, answer });
        return;
      }
      case 'prepare': {
        const prepared = await this.engine.prepare(r.options, signal);
        this.finish(signal, { kind: 'prepared', id, prepared });
        return;
      }
      case 'measure': {
        const report = await this.engine.measure(r.options, signal);
        this.finish(signal, { kind: 'measured', id, report });
        return;
      }
      case 'dispose': {
        await this.engine.dispose();
        this.emit({ kind: 'disposed', id });
        return;
      }
      case 'inspect': {
        const info = await this.requireLibrary().inspect(r.source, signal);
        this.finish(signal, { kind: 'inspected', id, info });
        return;
      }
      case 'listCached': {
        const models = await this.requireLibrary().listCached(signal);
        this.finish(signal, { kind: 'cachedModels', id, models });
        return;
      }
      case 'deleteCached': {
        await this.requireLibrary().deleteCached(r.modelId, signal);
        this.finish(signal, { kind: 'deletedCached', id, modelId: r.modelId });
        return;
      }
      default:
        unreachable(r);
    }
  }

  private requireLibrary(): ModelLibrary {
    if (!this.library) throw new EngineError('not-available', 'this engine stores no models: inspecting and listing cached models needs the browser worker');
    return this.library;
  }

  /** Posts a request's result, unless it was cancelled meanwhile (then `pump` reports the cancel). */
  private finish(signal: AbortSignal, event: WorkerEvent): void {
    if (signal.aborted) throw signal.reason;
    this.emit(event);
  }

  /** Streams progress/tokens; once a request is cancelled its late pieces are dropped. */
  private emitLive(signal: AbortSignal, event: WorkerEvent): void {
    if (!signal.aborted) this.emit(event);
  }

  /** Posting can fail (e.g. an engine returned something structured clone refuses); report that instead. */
  private emit(event: WorkerEvent): void {
    try {
      this.post(event);
    } catch (e) {
      // A plain error record always clones; if even that fails the channel is gone and no one can hear.
      if (event.kind === 'error') return;
      const error = new EngineError('internal', `could not post the "${event.kind}" event: ${e instanceof Error ? e.message : String(e)}`);
      this.post({ kind: 'error', id: event.id, error: error.toData() });
    }
  }
}
