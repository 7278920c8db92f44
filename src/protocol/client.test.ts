// The client proxy and the dispatcher talking over a real MessageChannel (structured clone included),
// the way the page talks to the worker.
import { afterEach, describe, expect, it } from 'vitest';
import { EngineClient } from './client.ts';
import { Dispatcher } from './dispatcher.ts';
import type { Engine, ModelLibrary } from './engine.ts';
import { EngineError } from './errors.ts';
import type { Answer, AskOptions, BackendChange, CachedModel, ContextReport, MeasureOptions, Prepared, PrepareOptions, LoadOptions, LoadProgress, ModelInfo, ModelSource, Ready, WorkerEvent } from './messages.ts';

/** Streams the words of `options.task` text one token at a time, checking its signal between tokens. */
class EchoEngine implements Engine {
  async probe(): Promise<never> {
    throw new EngineError('not-available', 'no probe here');
  }
  async load(options: LoadOptions, onProgress: (p: LoadProgress) => void): Promise<Ready> {
    onProgress({ stage: 'download', file: 'model.json', bytesDone: 5, bytesTotal: 10 });
    onProgress({ stage: 'download', file: 'model.json', bytesDone: 10, bytesTotal: 10 });
    onProgress({ stage: 'warmup', backend: 'wasm' });
    return { modelId: options.source.kind, sessions: [{ session: 'decoder', backend: 'wasm', reason: 'forced' }] };
  }
  async propose(): Promise<never> {
    throw new EngineError('not-available', 'no detector');
  }
  /** The word "LOSE" in the text plays a WebGPU device lost there: the engine reports its move to wasm and goes on. */
  async ask(options: AskOptions, onToken: (t: string) => void, signal: AbortSignal, onBackendChange?: (c: BackendChange) => void): Promise<Answer> {
    if (options.task.preset !== 'free') throw new EngineError('bad-input', 'only free text');
    const words = options.task.text.split(' ');
    for (const w of words) {
      // One "decode step": yield so a cancel can arrive, then stop within the step as the engine must.
      await new Promise((r) => setTimeout(r, 1));
      signal.throwIfAborted();
      if (w === 'LOSE') onBackendChange?.({ cause: 'WebGPU device lost (destroyed)', sessions: [{ session: 'decoder', backend: 'wasm', reason: 'WebGPU device lost (destroyed); continuing on wasm' }] });
      else onToken(`${w} `);
    }
    return { text: options.task.text, regions: [{ label: 'it', indices: options.regions }], droppedIndices: [], timings: { preprocessMs: 1, visionMs: 2, regionsMs: 3, prefillMs: 4, ttftMs: 5, decodeTokPerS: 6 }, backend: 'wasm', detail: 'low', imageTokens: 391, prefixReused: false, stop: 'stop-token' };
  }
  /** Reports the boxes it was given as the prefix: 10 fixed positions and 2 per box. */
  async prepare(options: PrepareOptions): Promise<Prepared> {
    return { detail: options.detail ?? 'low', imageTokens: 391, prefixTokens: 10 + 2 * options.boxes.length, imageReused: false, timings: { preprocessMs: 1, visionMs: 2, regionsMs: 3, prefillMs: 4 } };
  }
  /** A 100-token context where every word of a free question takes one token after 10 fixed ones. */
  async measure(options: MeasureOptions): Promise<ContextReport> {
    if (options.task.preset !== 'free') throw new EngineError('bad-input', 'only free text');
    const promptTokens = 10 + options.task.text.split(' ').length;
    return { promptTokens, contextTokens: 100, remaining: 100 - promptTokens };
  }
  async dispose(): Promise<void> {}
}

/** Stored models in a Map: what the model screen lists, inspects and deletes. */
class MapLibrary implements ModelLibrary {
  readonly models = new Map<string, CachedModel>([['https://host/a/', { modelId: 'https://host/a/', name: 'a', totalBytes: 10, storedBytes: 10, complete: true }]]);
  async inspect(source: ModelSource): Promise<ModelInfo> {
    if (source.kind !== 'url') throw new EngineError('bad-request', 'urls only');
    const stored = this.models.get(source.url);
    const files = [{ path: 'model.json', bytes: 10, stored: stored !== undefined }];
    return { modelId: source.url, name: 'a', where: source.url, dtype: 'q4', files, totalBytes: 10, storedBytes: stored?.storedBytes ?? 0 };
  }
  async listCached(): Promise<CachedModel[]> {
    return [...this.models.values()];
  }
  async deleteCached(modelId: string): Promise<void> {
    if (!this.models.delete(modelId)) throw new EngineError('bad-input', `no stored model ${modelId}`);
  }
}

const channels: MessageChannel[] = [];
afterEach(() => channels.splice(0).forEach((c) => (c.port1.close(), c.port2.close())));

function connect(library: ModelLibrary | null = null): EngineClient {
  const ch = new MessageChannel();
  channels.push(ch);
  const d = new Dispatcher(new EchoEngine(), (e: WorkerEvent) => ch.port2.postMessage(e), library);
  ch.port2.addEventListener('message', (e) => d.receive(e.data));
  ch.port2.start();
  return new EngineClient(ch.port1);
}

function ask(text: string): AskOptions {
  return { imageId: 'img', boxes: [{ x1: 1, y1: 2, x2: 3, y2: 4 }], regions: [0], task: { preset: 'free', text }, generation: { maxNewTokens: 16 } };
}

describe('EngineClient over a MessageChannel', () => {
  it('streams tokens and resolves with the final answer', async () => {
    const client = connect();
    const tokens: string[] = [];
    const a = await client.ask(ask('a cat on a mat'), (t) => tokens.push(t));
    expect(tokens.join('')).toBe('a cat on a mat ');
    expect(a.regions).toEqual([{ label: 'it', indices: [0] }]);
    expect(a.timings.ttftMs).toBe(5);
  });

  it('measures a question (no generation settings travel) and returns its context report', async () => {
    const client = connect();
    const { generation: _, ...question } = ask('a cat on a mat');
    expect(await client.measure(question)).toEqual({ promptTokens: 15, contextTokens: 100, remaining: 85 });
    const err = await client.measure({ ...question, task: { preset: 'region-ocr' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'bad-input', message: 'only free text' });
  });

  it('prepares an image and its boxes through the worker and returns what was cached', async () => {
    const client = connect();
    const prepared = await client.prepare({ imageId: 'img', boxes: [{ x1: 0, y1: 0, x2: 5, y2: 5 }, { x1: 1, y1: 1, x2: 9, y2: 9 }], detail: 'medium' });
    expect(prepared).toEqual({ detail: 'medium', imageTokens: 391, prefixTokens: 14, imageReused: false, timings: { preprocessMs: 1, visionMs: 2, regionsMs: 3, prefillMs: 4 } });
    const err = await client.prepare({ imageId: 'img', boxes: [{ x1: 0, y1: 0, x2: 5, y2: Number.NaN }] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'bad-request', message: 'options.boxes[0].y2: expected a finite number, got NaN' });
  });

  it('delivers a backend change in order with the tokens, without ending the answer', async () => {
    const client = connect();
    const heard: string[] = [];
    const changes: BackendChange[] = [];
    const a = await client.ask(ask('on gpu LOSE on wasm'), (t) => heard.push(t), undefined, (c) => (changes.push(c), heard.push('|')));
    expect(heard.join('')).toBe('on gpu |on wasm ');
    expect(changes).toEqual([{ cause: 'WebGPU device lost (destroyed)', sessions: [{ session: 'decoder', backend: 'wasm', reason: 'WebGPU device lost (destroyed); continuing on wasm' }] }]);
    expect(a.text).toBe('on gpu LOSE on wasm');
  });

  it('reports load progress then the sessions it got', async () => {
    const client = connect();
    const progress: LoadProgress[] = [];
    const ready = await client.load({ source: { kind: 'url', url: '/models/demo' } }, (p) => progress.push(p));
    expect(progress.map((p) => p.stage)).toEqual(['download', 'download', 'warmup']);
    expect(ready).toEqual({ modelId: 'url', sessions: [{ session: 'decoder', backend: 'wasm', reason: 'forced' }] });
  });

  it('turns worker errors back into typed EngineErrors', async () => {
    const client = connect();
    const err = await client.ask({ ...ask('x'), task: { preset: 'region-ocr' } }, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ code: 'bad-input', message: 'only free text' });
  });

  it('cancels through an AbortSignal mid-answer, and the next question is answered in full', async () => {
    const client = connect();
    const ctl = new AbortController();
    const tokens: string[] = [];
    const first = client.ask(ask('one two three four five six seven eight'), (t) => {
      tokens.push(t);
      if (tokens.length === 2) ctl.abort();
    }, ctl.signal);
    const second = client.ask(ask('next question'), () => {});
    await expect(first).rejects.toMatchObject({ code: 'cancelled' });
    expect(tokens.length).toBeLessThan(8);
    expect((await second).text).toBe('next question');
  });

  it('Stop settles at once, even while the worker is still inside a long step; what the worker sends after is dropped', async () => {
    const sent: { kind: string; id: string }[] = [];
    let deliver: ((e: MessageEvent<WorkerEvent>) => void) | undefined;
    // A worker busy in one long graph run: it receives the cancel but sends nothing until the run ends.
    const client = new EngineClient({ postMessage: (m) => void sent.push(m), addEventListener: (_t, l) => void (deliver = l) });
    const ctl = new AbortController();
    const tokens: string[] = [];
    const answer = client.ask(ask('slow'), (t) => tokens.push(t), ctl.signal);
    ctl.abort();
    await expect(answer).rejects.toMatchObject({ code: 'cancelled' });
    expect(sent.map((m) => m.kind)).toEqual(['ask', 'cancel']);
    const id = sent[0].id;
    deliver!(new MessageEvent('message', { data: { kind: 'token', id, text: 'late ' } }));
    expect(tokens).toEqual([]);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const client = connect();
    await expect(client.ask(ask('x'), () => {}, AbortSignal.abort())).rejects.toMatchObject({ code: 'cancelled' });
  });
});

describe('EngineClient: the model library', () => {
  it('inspects, lists and deletes stored models', async () => {
    const client = connect(new MapLibrary());
    const info = await client.inspect({ kind: 'url', url: 'https://host/a/' });
    expect(info).toMatchObject({ modelId: 'https://host/a/', totalBytes: 10, storedBytes: 10, files: [{ path: 'model.json', stored: true }] });
    expect((await client.listCached()).map((m) => m.modelId)).toEqual(['https://host/a/']);
    await client.deleteCached('https://host/a/');
    expect(await client.listCached()).toEqual([]);
    await expect(client.deleteCached('https://host/a/')).rejects.toMatchObject({ code: 'bad-input', message: 'no stored model https://host/a/' });
  });

  it('says a library request is not available where the worker has no library', async () => {
    const client = connect();
    await expect(client.listCached()).rejects.toMatchObject({ code: 'not-available' });
    // ...and the engine keeps serving.
    expect((await client.ask(ask('still here'), () => {})).text).toBe('still here');
  });
});

describe('EngineClient when the worker dies', () => {
  it('rejects every request in flight with the reason', async () => {
    const ch = new MessageChannel();
    channels.push(ch);
    const client = new EngineClient(ch.port1); // nothing listens on port2: requests stay pending
    const a = client.ask(ask('x'), () => {});
    const b = client.probe();
    client.failAll(new EngineError('internal', 'the engine worker failed: could not start'));
    await expect(a).rejects.toMatchObject({ code: 'internal', message: 'the engine worker failed: could not start' });
    await expect(b).rejects.toMatchObject({ code: 'internal' });
  });
});
