// The page side of the protocol: an `Engine` whose methods post requests to the worker and resolve from
// its events, so the app holds an Engine and never sees a message. An AbortSignal becomes a `cancel`
// request, and the promise rejects as `cancelled` at once: the worker stops only between graph runs, and one
// run can take minutes on a slow device (a decode step on SwiftShader pinned to one core passed 120 s, issue
// 14), so Stop must not wait for it. What the worker still sends for that request is dropped, and the next
// request waits in the worker's queue (protocol/dispatcher.ts) until the cancelled one has really stopped.

import type { Engine, ModelLibrary } from './engine.ts';
import { EngineError } from './errors.ts';
import { unreachable, type Answer, type AskOptions, type BackendChange, type CachedModel, type ContextReport, type LoadOptions, type MeasureOptions, type ModelInfo, type ModelSource, type LoadProgress, type Prepared, type PrepareOptions, type ProbeReport, type ProposeOptions, type Ready, type Request, type ScoredBox, type WorkerEvent } from './messages.ts';

/** What the client needs of a Worker or a MessagePort. */
export interface Port {
  postMessage(message: Request): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<WorkerEvent>) => void): void;
  /** MessagePorts deliver nothing until started; Workers have no such method. */
  start?(): void;
}

/** The handlers of one request in flight. */
interface Pending {
  onEvent(e: WorkerEvent): void;
  reject(e: EngineError): void;
}

/** A request's result, picked from its terminal event; `undefined` for a streamed (non-terminal) event. */
type Pick<T> = (e: WorkerEvent) => { value: T } | undefined;

export class EngineClient implements Engine, ModelLibrary {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly port: Port, private readonly newId: () => string = () => crypto.randomUUID()) {
    port.addEventListener('message', (e) => this.route(e.data));
    port.start?.();
  }

  probe(signal?: AbortSignal): Promise<ProbeReport> {
    return this.request({ kind: 'probe' }, signal, (e) => (e.kind === 'probed' ? { value: e.report } : undefined));
  }

  load(options: LoadOptions, onProgress: (p: LoadProgress) => void, signal?: AbortSignal): Promise<Ready> {
    return this.request({ kind: 'load', options }, signal, (e) => {
      if (e.kind === 'progress') onProgress(e.progress);
      return e.kind === 'ready' ? { value: e.ready } : undefined;
    });
  }

  propose(options: ProposeOptions, signal?: AbortSignal): Promise<ScoredBox[]> {
    return this.request({ kind: 'propose', options }, signal, (e) => (e.kind === 'proposals' ? { value: e.boxes } : undefined));
  }

  ask(options: AskOptions, onToken: (text: string) => void, signal?: AbortSignal, onBackendChange?: (change: BackendChange) => void): Promise<Answer> {
    return this.request({ kind: 'ask', options }, signal, (e) => {
      if (e.kind === 'token') onToken(e.text);
      if (e.kind === 'backendChanged') onBackendChange?.(e.change);
      return e.kind === 'answer' ? { value: e.answer } : undefined;
    });
  }

  prepare(options: PrepareOptions, signal?: AbortSignal): Promise<Prepared> {
    return this.request({ kind: 'prepare', options }, signal, (e) => (e.kind === 'prepared' ? { value: e.prepared } : undefined));
  }

  measure(options: MeasureOptions, signal?: AbortSignal): Promise<ContextReport> {
    return this.request({ kind: 'measure', options }, signal, (e) => (e.kind === 'measured' ? { value: e.report } : undefined));
  }

  dispose(): Promise<void> {
    return this.request({ kind: 'dispose' }, undefined, (e) => (e.kind === 'disposed' ? { value: undefined } : undefined));
  }

  inspect(source: ModelSource, signal?: AbortSignal): Promise<ModelInfo> {
    return this.request({ kind: 'inspect', source }, signal, (e) => (e.kind === 'inspected' ? { value: e.info } : undefined));
  }

  listCached(signal?: AbortSignal): Promise<CachedModel[]> {
    return this.request({ kind: 'listCached' }, signal, (e) => (e.kind === 'cachedModels' ? { value: e.models } : undefined));
  }

  deleteCached(modelId: string, signal?: AbortSignal): Promise<void> {
    return this.request({ kind: 'deleteCached', modelId }, signal, (e) => (e.kind === 'deletedCached' ? { value: undefined } : undefined));
  }

  /** Rejects everything in flight, e.g. when the worker script failed to load or crashed. */
  failAll(error: EngineError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(error);
  }

  private request<T>(body: DistributiveOmit<Exclude<Request, { kind: 'cancel' }>, 'id'>, signal: AbortSignal | undefined, pick: Pick<T>): Promise<T> {
    const id = this.newId();
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new EngineError('cancelled', `${body.kind} was cancelled before it was sent`));
        return;
      }
      const onAbort = (): void => {
        this.port.postMessage({ kind: 'cancel', id: this.newId(), target: id });
        settle();
        reject(new EngineError('cancelled', `${body.kind} was cancelled`));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (): void => {
        this.pending.delete(id);
        signal?.removeEventListener('abort', onAbort);
      };
      this.pending.set(id, {
        onEvent: (e) => {
          if (e.kind === 'error') {
            settle();
            reject(EngineError.fromData(e.error));
            return;
          }
          const result = pick(e);
          if (result) {
            settle();
            resolve(result.value);
          } else if (isTerminal(e)) {
            settle();
            reject(new EngineError('internal', `the worker answered a "${body.kind}" request with a "${e.kind}" event`));
          }
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      });
      this.port.postMessage({ ...body, id });
    });
  }

  private route(e: WorkerEvent): void {
    if (e.id === null) {
      // Only a message with no usable id gets an id-less error, and this client never sends one.
      this.failAll(EngineError.fromData(e.kind === 'error' ? e.error : { name: 'EngineError', code: 'internal', message: `event "${e.kind}" without a request id` }));
      return;
    }
    this.pending.get(e.id)?.onEvent(e);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Whether `e` ends its request (the switch breaks the build when a kind is added and not classified). */
export function isTerminal(e: WorkerEvent): boolean {
  switch (e.kind) {
    case 'probed': case 'ready': case 'proposals': case 'answer': case 'prepared': case 'measured': case 'disposed': case 'inspected': case 'cachedModels': case 'deletedCached': case 'error': return true;
    case 'progress': case 'token': case 'backendChanged': return false;
    default: return unreachable(e);
  }
}
