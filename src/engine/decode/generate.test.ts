import { describe, expect, it } from 'vitest';
import { generate, type DecodeStep } from './generate.ts';
import { KvCache, type KvStore } from './kv-cache.ts';

// A store that holds nothing: generate() only passes caches along and disposes them.
const nullStore: KvStore = {
  prepare: () => { throw new Error('not used'); },
  commit: () => { throw new Error('not used'); },
  release: () => {},
};

/** Logits (V = 4) that always pick token 1; each step resolves at once, as onnxruntime's wasm runs do. */
const logits = () => Float32Array.from([0, 1, 0, 0]);
const step: DecodeStep = async () => ({ logits: logits(), cache: KvCache.empty(nullStore) });

describe('generate', () => {
  it('sees a cancel sent as a message while it runs, within one step', async () => {
    const controller = new AbortController();
    let tokens = 0;
    const run = generate({ logits: logits(), cache: KvCache.empty(nullStore) }, null, { maxNewTokens: 1000, stopIds: new Set([3]), seed: 0, contextTokens: Infinity }, step, () => {
      // The cancel arrives as a message (a worker's postMessage), not from inside the token callback.
      if (++tokens === 1) setTimeout(() => controller.abort(), 0);
    }, controller.signal);
    await expect(run).rejects.toThrow(/cancelled/);
    expect(tokens).toBeLessThan(10);
  });

  it('stops on a stop id and at maxNewTokens', async () => {
    const never = new AbortController().signal;
    const first = { logits: logits(), cache: KvCache.empty(nullStore) };
    expect(await generate(first, null, { maxNewTokens: 5, stopIds: new Set([3]), seed: 0, contextTokens: Infinity }, step, () => {}, never)).toEqual({ ids: [1, 1, 1, 1, 1], stop: 'max-tokens' });
    const stopAtOne = { logits: logits(), cache: KvCache.empty(nullStore) };
    expect(await generate(stopAtOne, null, { maxNewTokens: 5, stopIds: new Set([1]), seed: 0, contextTokens: Infinity }, step, () => {}, never)).toEqual({ ids: [], stop: 'stop-token' });
  });

  it('stops with the answer so far when prompt + answer fill the context', async () => {
    // A store every run extends in place: only the cache lengths matter here.
    const growing: KvStore = { prepare: () => ({ feeds: {}, fetches: null }), commit: () => growing, release: () => {} };
    const extend: DecodeStep = async (_token, cache) => ({ logits: logits(), cache: cache.extendedBy({}, 1) });
    const prompt = () => ({ logits: logits(), cache: KvCache.empty(growing).extendedBy({}, 6) }); // a 6-position prompt
    const never = new AbortController().signal;
    const pieces: number[] = [];
    const full = await generate(prompt(), null, { maxNewTokens: 1000, stopIds: new Set([3]), seed: 0, contextTokens: 10 }, extend, (id) => pieces.push(id), never);
    expect(full).toEqual({ ids: [1, 1, 1, 1], stop: 'context-full' });
    expect(pieces).toEqual(full.ids);
    // maxNewTokens reached exactly as the context fills: the asked-for length is the reason.
    expect(await generate(prompt(), null, { maxNewTokens: 4, stopIds: new Set([3]), seed: 0, contextTokens: 10 }, extend, () => {}, never)).toEqual({ ids: [1, 1, 1, 1], stop: 'max-tokens' });
  });
});
