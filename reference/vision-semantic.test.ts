import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpoint } from '../converter/read/checkpoint.ts';
import { parseVision } from '../converter/read/config.ts';
import { expectClose } from '../src/testing/close.ts';
import { hasShared, NO_SHARED, sharedAsset } from '../src/testing/shared.ts';
import { getWindowIndex, visionSemanticReference, type VisionSemanticConfig, type VisionSemanticResult } from './vision-semantic.ts';

describe('getWindowIndex (the reference quirks)', () => {
  it('pads a divisible grid by a whole window and drops the empty windows from cu_seqlens', () => {
    // 4×4 merged tokens, window 2: pad_h = 2 − 0 = 2 in the reference → 3×3 windows, 5 of them empty.
    const { windowIndex, cuWindowSeqlens } = getWindowIndex(8, 8, 2, 2);
    expect(windowIndex).toEqual([0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15]);
    expect(cuWindowSeqlens).toEqual([0, 16, 32, 48, 64]);
  });
});

describe.skipIf(!hasShared)(hasShared ? 'vision_semantic reference vs fo1-golden qwen/' : NO_SHARED, () => {
  const dir = sharedAsset('fo1-golden', 'qwen');
  let weights: Checkpoint, tensors: Checkpoint, result: VisionSemanticResult;
  let fullatt: number[];

  beforeAll(async () => {
    const cfgJson = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'));
    fullatt = cfgJson.vision_config.fullatt_block_indexes;
    weights = await Checkpoint.openFile(`${dir}/weights.safetensors`);
    tensors = await Checkpoint.openFile(`${dir}/tensors.safetensors`);
    const cfg: VisionSemanticConfig = { vision: parseVision(cfgJson), projectorType: 'identity' };
    const grid = Array.from((await tensors.get('input.image_grid_thw')).data) as [number, number, number];
    result = await visionSemanticReference(weights, cfg, await tensors.get('input.pixel_values'), grid);
  });
  afterAll(async () => {
    await weights?.close();
    await tensors?.close();
  });

  it('image_embeds match within 1e-4', async () => {
    const expected = await tensors.get('output.image_embeds');
    expect(result.imageEmbeds.shape).toEqual(expected.shape);
    expectClose(result.imageEmbeds.data, expected.data, 1e-4, 'image_embeds');
  });

  it('every gathered level (one per full-attention block) matches within 1e-4', async () => {
    expect(result.levels.length).toBe(fullatt.length);
    for (let i = 0; i < result.levels.length; i++) {
      const expected = await tensors.get(`output.vit_level${i}`);
      expect(result.levels[i].shape).toEqual(expected.shape);
      expectClose(result.levels[i].data, expected.data, 1e-4, `vit_level${i}`);
    }
  });
});
