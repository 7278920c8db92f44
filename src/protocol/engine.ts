// The engine's interface, as the worker's dispatcher drives it and as the page's client proxy offers it.
// The real engine (src/engine/) and test doubles implement it; so does `EngineClient` over postMessage,
// which is why the app and the Node CLI can hold "an Engine" without caring where it runs.

import type { Answer, AskOptions, LoadOptions, LoadProgress, ProbeReport, ProposeOptions, Ready, ScoredBox } from './messages.ts';

export interface Engine {
  /** Which backends can create and run an ONNX session here. */
  probe(signal: AbortSignal): Promise<ProbeReport>;
  load(options: LoadOptions, onProgress: (p: LoadProgress) => void, signal: AbortSignal): Promise<Ready>;
  propose(options: ProposeOptions, signal: AbortSignal): Promise<ScoredBox[]>;
  /** Streams text pieces through `onToken` as they are decoded, then resolves with the parsed answer. */
  ask(options: AskOptions, onToken: (text: string) => void, signal: AbortSignal): Promise<Answer>;
  /** Releases every session; a later `load` starts afresh. */
  dispose(): Promise<void>;
}
