import { describe, expect, it } from 'vitest';
import { checkpointConfig, planTensors, PRESETS } from '../../../fixtures/presets.ts';
import { parseFo1Config } from '../../../converter/read/config.ts';
import type { ModelManifest } from '../../model-folder/manifest.ts';
import { fo1ImageProcessing } from '../../model-folder/image.ts';
import { davitPeakBytes, visionRefusal, vitPeakBytes, WASM_MEMORY_BYTES } from './vision-memory.ts';

/** The parts of a model.json the estimate reads, for a fixture preset (the full one has the real 3B dims). */
function manifestOf(preset: keyof typeof PRESETS): Pick<ModelManifest, 'config' | 'image'> {
  const arch = PRESETS[preset];
  const shapes = new Map(planTensors(arch).map((t) => [t.name, t.shape]));
  const config = parseFo1Config(checkpointConfig(arch), (n) => shapes.get(n));
  return { config, image: fo1ImageProcessing(config.region.auxAspectMode) };
}

describe('vision memory estimate', () => {
  const full = manifestOf('full');

  it('full attention stays linear in patches: doubling N at most doubles the ViT estimate, past one chunk', () => {
    const v = full.config.vision;
    const [a, b] = [vitPeakBytes(v, 110, 146), vitPeakBytes(v, 220, 146)]; // 16,060 and 32,120 patches
    expect(b / a).toBeLessThanOrEqual(2);
    // Materialized, 16 heads × 16,060² float32 scores alone would be 16.5 GB:
    expect(a).toBeLessThan(16 * 16060 ** 2 * 4 / 10);
  });

  it('the full model at the reference level on a 4032×3024 photo: DaViT’s stride-4 map at 2048×1536 is the peak', () => {
    const davit = davitPeakBytes(full.config.davit, 2048, 1536);
    expect(davit).toBeGreaterThan(vitPeakBytes(full.config.vision, 110, 146));
    expect(davit / 1e9).toBeCloseTo(3.52, 1); // 4 · T·(13·C₀ + nh₀·144), T = 512·384, C₀ = 256, nh₀ = 8
  });

  it('refuses on wasm what exceeds its 4 GiB, naming the level, the memory and the lower level that fits; WebGPU is not refused', () => {
    const graphs = 1e9; // about the full q4 folder's encoder graphs
    const message = visionRefusal(full, [4032, 3024], 'reference', graphs, 'wasm');
    expect(message).toBe(`image detail "reference" needs about 4.5 GB for this 4032×3024 photo's vision encoders on wasm, which has ${(WASM_MEMORY_BYTES / 1e9).toFixed(1)} GB: choose "medium" detail instead`);
    expect(visionRefusal(full, [4032, 3024], 'medium', graphs, 'wasm')).toBeNull();
    expect(visionRefusal(full, [4032, 3024], 'reference', graphs, 'webgpu')).toBeNull();
    expect(visionRefusal(full, [640, 480], 'reference', graphs, 'wasm')).toBeNull();
    expect(visionRefusal(manifestOf('tiny'), [4032, 3024], 'reference', 1e7, 'wasm')).toBeNull();
  });

  it('says so when not even the lowest level fits', () => {
    expect(visionRefusal(full, [4032, 3024], 'medium', WASM_MEMORY_BYTES, 'wasm')).toMatch(/"medium" needs about .*, and no lower level fits either$/);
  });
});
