// The generation loop (docs/model.md "Generation"): pick a token from the last logits, stop
// on a stop id (<|im_end|>, generation_config's eos), after maxNewTokens or when prompt + answer fill the
// context (the text so far is the answer, issue 15), else run it through the decoder with the cache and go on. Each token is handed to `onToken` as soon as it is picked. The abort signal is
// checked after every step, so a cancel takes effect within one decode step; the caches this loop made are
// disposed on every exit, the caller's starting cache never.
import type { StopReason } from '../api.ts';
import type { DecodeResult } from './decoder-run.ts';
import type { KvCache } from './kv-cache.ts';
import { Sampler, type SamplingOptions } from './sampler.ts';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  stopIds: ReadonlySet<number>;
  /** Positions prompt + answer may take (prompt/budget.ts); Infinity: no limit but maxNewTokens. */
  contextTokens: number;
}

/** Runs one token at cache position `cache.length` and returns its logits and the longer cache. */
export type DecodeStep = (token: number, cache: KvCache) => Promise<DecodeResult>;

export interface Generated {
  ids: number[];
  stop: StopReason;
}

/**
 * `first`: the prefill's result. Its cache belongs to this loop (it is disposed here) unless it is `keep`,
 * the shared prefix a follow-up may reuse.
 */
export async function generate(first: DecodeResult, keep: KvCache | null, options: GenerateOptions, step: DecodeStep, onToken: (id: number) => void, signal: AbortSignal): Promise<Generated> {
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 1) throw new RangeError(`maxNewTokens must be a positive integer (got ${options.maxNewTokens})`);
  const sampler = new Sampler(options);
  const ids: number[] = [];
  let { logits, cache } = first;
  try {
    for (;;) {
      const id = sampler.pick(logits);
      if (options.stopIds.has(id)) return { ids, stop: 'stop-token' };
      ids.push(id);
      onToken(id);
      if (ids.length >= options.maxNewTokens) return { ids, stop: 'max-tokens' };
      // The next step would write position cache.length: prompt + answer so far would then exceed the context.
      if (cache.length + 1 >= options.contextTokens) return { ids, stop: 'context-full' };
      await nextTask();
      if (signal.aborted) throw new DOMException('the answer was cancelled', 'AbortError');
      const next = await step(id, cache);
      if (cache !== keep) cache.dispose();
      ({ logits, cache } = next);
    }
  } finally {
    if (cache !== keep) cache.dispose();
  }
}

/**
 * Lets the event loop run queued messages (a cancel) before the next step. onnxruntime's wasm runs resolve
 * without ever yielding a macrotask, so without this a worker would only see Stop after the whole answer.
 * MessageChannel rather than setTimeout: nested timeouts are clamped to 4 ms in browsers.
 */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}
