// The engine as the worker runs it: the model engine (src/engine/engine.ts) with the browser's pieces
// injected — the one onnxruntime-web/webgpu instance, Cache Storage for downloaded model files (watched, so
// a load whose files could not be stored says why: model-cache.ts), the models converted in the page (OPFS), the canvas
// bitmap reader, the folder's optional detector — and the worker's own backend probe, which runs a real
// graph on each backend (the engine's probe only asks for an adapter).

import { Fo1Engine } from '../src/engine/engine.ts';
import { bitmapToRgb } from '../src/engine/image/decode-browser.ts';
import type { Engine } from '../src/protocol/engine.ts';
import type { Answer, AskOptions, BackendChange, ContextReport, LoadOptions, MeasureOptions, LoadProgress, PrepareOptions, Prepared, ProbeReport, ProposeOptions, Ready, ScoredBox } from '../src/protocol/messages.ts';
import { probeBackends } from './backend-probe.ts';
import type { ConvertedModels } from './converted-models.ts';
import { openModelCache, StoreWatch } from './model-cache.ts';
import { ort } from './ort.ts';

export class BrowserEngine implements Engine {
  private readonly storeWatch = new StoreWatch();
  private readonly engine: Fo1Engine;

  /** `converted`: the models converted in this page, opened from OPFS (converted-models.ts). */
  constructor(converted: ConvertedModels) {
    this.engine = new Fo1Engine({ ort, cache: async () => this.storeWatch.wrap(await openModelCache()), bitmapToRgb, openFolder: (s) => converted.folderFor(s) });
  }

  probe(): Promise<ProbeReport> {
    return probeBackends();
  }

  async load(options: LoadOptions, onProgress: (p: LoadProgress) => void, signal: AbortSignal): Promise<Ready> {
    this.storeWatch.reset();
    const ready = await this.engine.load(options, onProgress, signal);
    const notStored = this.storeWatch.failure;
    return notStored ? { ...ready, notStored } : ready;
  }

  propose(options: ProposeOptions, signal: AbortSignal): Promise<ScoredBox[]> {
    return this.engine.propose(options, signal);
  }

  ask(options: AskOptions, onToken: (text: string) => void, signal: AbortSignal, onBackendChange?: (change: BackendChange) => void): Promise<Answer> {
    return this.engine.ask(options, onToken, signal, onBackendChange);
  }

  prepare(options: PrepareOptions, signal: AbortSignal): Promise<Prepared> {
    return this.engine.prepare(options, signal);
  }

  measure(options: MeasureOptions, signal: AbortSignal): Promise<ContextReport> {
    return this.engine.measure(options, signal);
  }

  dispose(): Promise<void> {
    return this.engine.dispose();
  }
}
