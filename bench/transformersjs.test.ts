import { mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convert } from '../converter/convert.ts';
import { writeFixture } from '../fixtures/fixture.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import { measureEngine, measurePeer, mergePeerRuns, promptIds, type PeerArgs, type PeerRun } from './transformersjs.ts';
import { transformersJsFolder } from './transformersjs-folder.ts';

let root: string;
let folder: string;
let rt: Runtime;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fo1-peer-'));
  const ckpt = join(root, 'ckpt');
  await writeFixture({ preset: 'tiny', out: ckpt, seed: 1 });
  folder = join(root, 'model');
  await convert({ checkpoint: ckpt, out: folder, dtypes: ['q4'] });
  rt = await openRuntime({ runtime: 'native', threads: 1 });
}, 120_000);

afterAll(() => rm(root, { recursive: true, force: true }));

describe('transformersJsFolder', () => {
  it('writes a qwen2_5_vl config from model.json and links (never copies) every graph and data file the two graphs read', async () => {
    const out = await transformersJsFolder(folder, 'q4', join(root, 'hf'));
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    const manifest = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8'));
    expect(config.model_type).toBe('qwen2_5_vl');
    expect(config.text_config).toMatchObject({ num_hidden_layers: manifest.config.text.numLayers, num_key_value_heads: manifest.config.text.numKvHeads, head_dim: manifest.config.text.headDim });
    for (const name of ['embed_tokens', 'decoder_model_merged']) {
      const v = manifest.components[name].variants.q4;
      for (const f of [v.graph, ...v.externalData]) expect(await readlink(join(out, f.path))).toBe(join(folder, f.path));
    }
  });
});

describe('one round on each side, same files, same runtime', () => {
  const args = (): PeerArgs => ({ folder, dtype: 'q4', context: 24, newTokens: 3, rounds: 1, warmupRounds: 0, layoutDir: join(root, 'hf') });

  it('transformers.js and the engine pick the same first token from the same prompt, each giving exactly the tokens asked for', async () => {
    const log = () => {};
    const peer = await measurePeer(rt, args(), log);
    const ours = await measureEngine(rt, args(), log);
    expect(peer.ids).toHaveLength(3);
    expect(ours.ids).toHaveLength(3);
    expect(peer.ids[0]).toBe(ours.ids[0]);
    expect(peer.decodeTokensPerSecond.median).toBeGreaterThan(0);
    // transformers.js feeds our decoder exactly its declared inputs (converter/emit/decoder.ts decoderIO)
    expect(peer.decodeStepFeeds?.sort()).toEqual(['attention_mask', 'inputs_embeds', 'num_logits_to_keep', 'position_ids']);
    expect(new Set(peer.decodeStepPositionIds).size).toBe(1);
    expect(ours.decoder.kind).toBe('onnxruntime session');
  }, 60_000);

  it('on wasm the engine runs the product\'s decoder (createDecoder: the int4 kernels), timing each decode step', async () => {
    const wasm = await openRuntime({ runtime: 'wasm', threads: 1 });
    const ours = await measureEngine(wasm, args(), () => {});
    expect(ours.decoder.kind).toMatch(/^fo1-web int4 kernels, wasm (relaxed )?SIMD$/);
    expect(ours.decoder.reason).toMatch(/int4 kernels \(fo1-web's wasm (relaxed )?SIMD, 1 thread\)/);
    expect(ours.ids).toHaveLength(3);
    // one sample per decode step (newTokens − 1), none for the 24-position prefill
    expect(ours.samples.decoderRunMs).toHaveLength(2);
    expect(ours.decoderRunMs.min).toBeGreaterThan(0);
  }, 60_000);
});

describe('promptIds', () => {
  it('gives exactly n ordinary ids, the same on every call', () => {
    expect(promptIds(2048)).toHaveLength(2048);
    expect(promptIds(16)).toEqual(promptIds(16));
    expect(Math.min(...promptIds(2048))).toBeGreaterThanOrEqual(200);
  });
});

describe('mergePeerRuns', () => {
  it('pools the samples of several runs of a side and summarizes them again, keeping the first run\'s identity', () => {
    const run = (tps: number[], ids: number[]): PeerRun => ({
      side: 'engine', runtime: 'r', version: 'v', decoder: { kind: 'k', reason: 'r' }, context: 8, newTokens: 2, loadMs: 1, ids,
      prefillMs: { median: 0, min: 0, max: 0, runs: 0 }, decodeTokensPerSecond: { median: 0, min: 0, max: 0, runs: 0 }, decoderRunMs: { median: 0, min: 0, max: 0, runs: 0 },
      samples: { prefillMs: tps.map((x) => 10 * x), decodeTokensPerSecond: tps, decoderRunMs: tps },
    });
    const merged = mergePeerRuns([run([1, 5], [7, 8]), run([3], [9, 9])]);
    expect(merged.decodeTokensPerSecond).toEqual({ median: 3, min: 1, max: 5, runs: 3 });
    expect(merged.prefillMs.median).toBe(30);
    expect(merged.ids).toEqual([7, 8]);
  });
});
