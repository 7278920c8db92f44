import { describe, expect, it } from 'vitest';
import { Dispatcher } from './dispatcher.ts';
import type { Engine } from './engine.ts';
import { EngineError } from './errors.ts';
import { isTerminal } from './client.ts';
import type { Answer, AskOptions, BackendChange, ContextReport, Prepared, PrepareOptions, ProbeReport, Request, WorkerEvent } from './messages.ts';

/** A promise the test settles by hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

function answer(text: string): Answer {
  return { text, regions: [], droppedIndices: [], timings: { preprocessMs: 0, visionMs: 0, regionsMs: 0, prefillMs: 0, ttftMs: 0, decodeTokPerS: 0 }, backend: 'wasm', detail: 'low', imageTokens: 391, prefixReused: false, stop: 'stop-token' };
}

const report: ProbeReport = { backends: [{ backend: 'wasm', ok: true, detail: 'test' }], crossOriginIsolated: false, wasmThreads: 1 };

/**
 * An engine driven by the test: each `ask` registers a turn the test finishes with `turns[i].finish()`;
 * it streams the tokens it is given and honours (or, with `ignoreAbort`, ignores) its AbortSignal.
 */
class ScriptedEngine implements Engine {
  readonly calls: string[] = [];
  readonly turns: { options: AskOptions; signal: AbortSignal; onToken: (t: string) => void; onBackendChange?: (c: BackendChange) => void; done: ReturnType<typeof deferred<Answer>> }[] = [];
  readonly prepares: { options: PrepareOptions; signal: AbortSignal; done: ReturnType<typeof deferred<Prepared>> }[] = [];
  ignoreAbort = false;
  /** What measure answers; unset, it fails as with no model. */
  measured: ContextReport | null = null;

  async probe(): Promise<ProbeReport> {
    this.calls.push('probe');
    return report;
  }
  async load(): Promise<never> {
    this.calls.push('load');
    throw new EngineError('load-failed', 'model.json: HTTP 404');
  }
  propose(): Promise<never> {
    this.calls.push('propose');
    throw new TypeError('synchronous bug in propose'); // thrown before any promise exists
  }
  ask(options: AskOptions, onToken: (t: string) => void, signal: AbortSignal, onBackendChange?: (c: BackendChange) => void): Promise<Answer> {
    this.calls.push(`ask:${options.imageId}`);
    const done = deferred<Answer>();
    if (!this.ignoreAbort) signal.addEventListener('abort', () => done.reject(signal.reason));
    this.turns.push({ options, signal, onToken, onBackendChange, done });
    return done.promise;
  }
  prepare(options: PrepareOptions, signal: AbortSignal): Promise<Prepared> {
    this.calls.push(`prepare:${options.imageId}`);
    const done = deferred<Prepared>();
    signal.addEventListener('abort', () => done.reject(signal.reason));
    this.prepares.push({ options, signal, done });
    return done.promise;
  }
  async measure(): Promise<ContextReport> {
    this.calls.push('measure');
    if (!this.measured) throw new EngineError('no-model', 'no model loaded');
    return this.measured;
  }
  async dispose(): Promise<void> {
    this.calls.push('dispose');
  }
}

function askRequest(id: string, imageId = id): Request {
  return { kind: 'ask', id, options: { imageId, boxes: [{ x1: 0, y1: 0, x2: 10, y2: 10 }], regions: [0], task: { preset: 'region-caption-brief' }, generation: { maxNewTokens: 8 } } };
}

function setup(): { engine: ScriptedEngine; d: Dispatcher; events: WorkerEvent[] } {
  const engine = new ScriptedEngine();
  const events: WorkerEvent[] = [];
  const d = new Dispatcher(engine, (e) => events.push(e));
  return { engine, d, events };
}

/** Lets pending promise callbacks run. */
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

const prepared: Prepared = { detail: 'low', imageTokens: 391, prefixTokens: 440, imageReused: false, timings: { preprocessMs: 1, visionMs: 2, regionsMs: 3, prefillMs: 4 } };

function prepareRequest(id: string, imageId = id): Request {
  return { kind: 'prepare', id, options: { imageId, boxes: [{ x1: 0, y1: 0, x2: 10, y2: 10 }] } };
}

function measureRequest(id: string): Request {
  return { kind: 'measure', id, options: { imageId: 'p', boxes: [], regions: [], task: { preset: 'free', text: 'hi' } } };
}

describe('Dispatcher', () => {
  it('runs a prepare in turn; an ask sent meanwhile waits for it, a measure does not', async () => {
    const { engine, d, events } = setup();
    engine.measured = { promptTokens: 450, contextTokens: 4096, remaining: 3646 };
    d.receive(prepareRequest('p'));
    d.receive(measureRequest('m1')); // nothing else waits: runs beside the prepare
    await tick();
    expect(engine.calls).toEqual(['prepare:p', 'measure']);
    expect(events).toEqual([{ kind: 'measured', id: 'm1', report: engine.measured }]);
    d.receive(askRequest('a', 'p'));
    d.receive(measureRequest('m2')); // an ask waits: the count keeps its place behind it
    await tick();
    expect(engine.calls).toEqual(['prepare:p', 'measure']);
    engine.prepares[0].done.resolve(prepared);
    await tick();
    expect(engine.calls).toEqual(['prepare:p', 'measure', 'ask:p']);
    engine.turns[0].done.resolve(answer('ok'));
    await d.idle();
    expect(engine.calls).toEqual(['prepare:p', 'measure', 'ask:p', 'measure']);
    expect(events.map((e) => `${e.kind}:${e.id}`)).toEqual(['measured:m1', 'prepared:p', 'answer:a', 'measured:m2']);
    expect(events[1]).toEqual({ kind: 'prepared', id: 'p', prepared });
  });

  it('cancels a running prepare (a new photo came), and the requests behind it run', async () => {
    const { engine, d, events } = setup();
    d.receive(prepareRequest('p1', 'old'));
    d.receive(prepareRequest('p2', 'new'));
    await tick();
    d.receive({ kind: 'cancel', id: 'c', target: 'p1' });
    expect(engine.prepares[0].signal.aborted).toBe(true);
    await tick();
    expect(engine.calls).toEqual(['prepare:old', 'prepare:new']);
    engine.prepares[1].done.resolve(prepared);
    await d.idle();
    expect(events).toEqual([
      { kind: 'error', id: 'p1', error: expect.objectContaining({ code: 'cancelled' }) },
      { kind: 'prepared', id: 'p2', prepared },
    ]);
  });

  it('runs one request at a time, in order, and streams tokens before the answer', async () => {
    const { engine, d, events } = setup();
    d.receive(askRequest('a'));
    d.receive(askRequest('b'));
    await tick();
    expect(engine.calls).toEqual(['ask:a']); // b waits

    engine.turns[0].onToken('Hel');
    engine.turns[0].onToken('lo');
    engine.turns[0].done.resolve(answer('Hello'));
    await tick();
    expect(engine.calls).toEqual(['ask:a', 'ask:b']);
    engine.turns[1].done.resolve(answer('Bye'));
    await d.idle();

    expect(events.map((e) => `${e.kind}:${e.id}`)).toEqual(['token:a', 'token:a', 'answer:a', 'answer:b']);
    expect(events[2]).toMatchObject({ kind: 'answer', answer: { text: 'Hello' } });
  });

  it('cancels the running request through its signal and drops tokens that arrive afterwards', async () => {
    const { engine, d, events } = setup();
    d.receive(askRequest('a'));
    d.receive(askRequest('b'));
    await tick();
    engine.turns[0].onToken('x');
    d.receive({ kind: 'cancel', id: 'c1', target: 'a' });
    expect(engine.turns[0].signal.aborted).toBe(true);
    engine.turns[0].onToken('late');
    await tick();
    expect(engine.calls).toEqual(['ask:a', 'ask:b']); // the queue moves on
    engine.turns[1].done.resolve(answer('ok'));
    await d.idle();
    expect(events).toEqual([
      { kind: 'token', id: 'a', text: 'x' },
      { kind: 'error', id: 'a', error: { name: 'EngineError', code: 'cancelled', message: 'request a was cancelled' } },
      expect.objectContaining({ kind: 'answer', id: 'b' }),
    ]);
  });

  it('posts a backend change of the running ask as a non-terminal event, and drops one after its cancel', async () => {
    const { engine, d, events } = setup();
    const change: BackendChange = { cause: 'WebGPU device lost (destroyed)', sessions: [{ session: 'decoder', backend: 'wasm', reason: 'lost; continuing on wasm' }] };
    d.receive(askRequest('a'));
    d.receive(askRequest('b'));
    await tick();
    engine.turns[0].onToken('x');
    engine.turns[0].onBackendChange?.(change);
    engine.turns[0].onToken('y');
    engine.turns[0].done.resolve(answer('y'));
    await tick();
    d.receive({ kind: 'cancel', id: 'c1', target: 'b' });
    engine.turns[1].onBackendChange?.(change);
    await d.idle();
    expect(events.map((e) => `${e.kind}:${e.id}`)).toEqual(['token:a', 'backendChanged:a', 'token:a', 'answer:a', 'error:b']);
    expect(events[1]).toEqual({ kind: 'backendChanged', id: 'a', change });
    expect(isTerminal(events[1])).toBe(false);
  });

  it('reports a cancel even when the engine finishes anyway', async () => {
    const { engine, d, events } = setup();
    engine.ignoreAbort = true;
    d.receive(askRequest('a'));
    await tick();
    d.receive({ kind: 'cancel', id: 'c1', target: 'a' });
    engine.turns[0].done.resolve(answer('too late'));
    await d.idle();
    expect(events).toEqual([{ kind: 'error', id: 'a', error: expect.objectContaining({ code: 'cancelled' }) }]);
  });

  it('drops a queued request on cancel without calling the engine, and ignores unknown targets', async () => {
    const { engine, d, events } = setup();
    d.receive(askRequest('a'));
    d.receive(askRequest('b'));
    d.receive({ kind: 'cancel', id: 'c1', target: 'b' });
    d.receive({ kind: 'cancel', id: 'c2', target: 'finished-long-ago' });
    await tick();
    engine.turns[0].done.resolve(answer('a'));
    await d.idle();
    expect(engine.calls).toEqual(['ask:a']);
    expect(events.map((e) => `${e.kind}:${e.id}`)).toEqual(['error:b', 'answer:a']);
  });

  it('survives engine errors, sync throws and malformed messages, and keeps serving', async () => {
    const { engine, d, events } = setup();
    const malformed: unknown[] = [
      null,
      'ask',
      { kind: 'ask' }, // no id
      { kind: 'teleport', id: 'm1' },
      { kind: 'ask', id: 'm2', options: { imageId: 'i', boxes: [{ x1: 0, y1: 0, x2: NaN, y2: 1 }], regions: [], task: { preset: 'region-ocr' }, generation: { maxNewTokens: 4 } } },
      { kind: 'ask', id: 'm3', options: { imageId: 'i', boxes: [], regions: [2], task: { preset: 'region-ocr' }, generation: { maxNewTokens: 4 } } },
      { kind: 'ask', id: 'm4', options: { imageId: 'i', boxes: [], regions: [], task: { preset: 'detect' }, generation: { maxNewTokens: 4 } } },
      { kind: 'load', id: 'm5', options: { source: { kind: 'url', url: 'x' }, backend: 'cuda' } },
      { kind: 'ask', id: 'm6', options: { imageId: 'i', boxes: [], regions: [], task: { preset: 'region-ocr' }, generation: { maxNewTokens: 4 }, detail: 'ultra' } },
      { kind: 'measure', id: 'm7', options: { imageId: 'i', boxes: [], regions: [], task: { preset: 'caption-brief' } } }, // the CLI's old name
      { kind: 'load', id: 'm8', options: { source: { kind: 'url', url: 'x' }, wasmEncoderInt8: 'yes' } },
    ];
    for (const m of malformed) d.receive(m);
    d.receive({ kind: 'load', id: 'l', options: { source: { kind: 'url', url: 'https://example.test/m' } } });
    d.receive({ kind: 'propose', id: 'p', options: { imageId: 'i', image: { kind: 'rgba', width: 1, height: 1, data: new Uint8ClampedArray(4) } } });
    d.receive({ kind: 'measure', id: 'ms', options: { imageId: 'i', boxes: [], regions: [], task: { preset: 'free', text: 'why?' } } });
    d.receive({ kind: 'probe', id: 'ok' });
    await d.idle();

    const errors = events.filter((e) => e.kind === 'error');
    expect(errors.map((e) => [e.id, e.error.code])).toEqual([
      [null, 'bad-request'], [null, 'bad-request'], [null, 'bad-request'],
      ['m1', 'bad-request'], ['m2', 'bad-request'], ['m3', 'bad-request'], ['m4', 'bad-request'], ['m5', 'bad-request'], ['m6', 'bad-request'], ['m7', 'bad-request'], ['m8', 'bad-request'],
      ['l', 'load-failed'], ['p', 'internal'], ['ms', 'no-model'],
    ]);
    expect(errors.map((e) => e.error.message)).toEqual([
      'message: expected an object, got null',
      'message: expected an object, got string',
      'id: expected a string, got undefined',
      'kind: unknown request kind "teleport"',
      'options.boxes[0].x2: expected a finite number, got NaN',
      'options.regions[0]: 2 is not the index of one of the 0 boxes',
      'options.task.label: expected a string, got undefined',
      'options.backend: expected "webgpu" or "wasm", got "cuda"',
      'options.detail: unknown detail level "ultra"; one of reference, medium, low',
      'options.task.preset: unknown task preset "caption-brief" (known: free, region-caption-brief, region-caption-detailed, region-ocr, visual-prompt-detect, detect, count, grounded-caption, detect-all, reasoning)',
      'options.wasmEncoderInt8: expected a boolean, got "yes"',
      'model.json: HTTP 404',
      'synchronous bug in propose',
      'no model loaded',
    ]);
    expect(events.at(-1)).toEqual({ kind: 'probed', id: 'ok', report });
    expect(engine.calls).toEqual(['load', 'propose', 'measure', 'probe']);
  });

  it('reports a result that cannot be posted as an error instead of losing the request', async () => {
    const engine = new ScriptedEngine();
    const events: WorkerEvent[] = [];
    const d = new Dispatcher(engine, (e) => {
      if (e.kind === 'probed') throw new DOMException('could not be cloned', 'DataCloneError');
      events.push(e);
    });
    d.receive({ kind: 'probe', id: 'x' });
    await d.idle();
    expect(events).toEqual([{ kind: 'error', id: 'x', error: { name: 'EngineError', code: 'internal', message: 'could not post the "probed" event: could not be cloned' } }]);
  });

  it('ends every request kind in exactly one terminal event', async () => {
    const { engine, d, events } = setup();
    const requests: Request[] = [
      { kind: 'probe', id: 'probe' },
      { kind: 'load', id: 'load', options: { source: { kind: 'cached', modelId: 'm' } } },
      { kind: 'propose', id: 'propose', options: { imageId: 'i', image: { kind: 'rgba', width: 1, height: 1, data: new Uint8ClampedArray(4) } } },
      askRequest('ask'),
      { kind: 'dispose', id: 'dispose' },
      { kind: 'inspect', id: 'inspect', source: { kind: 'url', url: '/m/' } },
      { kind: 'listCached', id: 'listCached' },
      { kind: 'deleteCached', id: 'deleteCached', modelId: '/m/' },
    ];
    for (const r of requests) d.receive(r);
    await tick();
    engine.turns[0].done.resolve(answer('a'));
    await d.idle();
    for (const r of requests) expect(events.filter((e) => e.id === r.id && isTerminal(e)), r.kind).toHaveLength(1);
  });
});
