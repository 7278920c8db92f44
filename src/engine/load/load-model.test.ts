import { describe, expect, it } from 'vitest';
import type { ModelDtype, ModelManifest } from '../../model-folder/manifest.ts';
import { LoadError } from './folder.ts';
import { pickDtype } from './load-model.ts';

const folder = (...dtypes: ModelDtype[]) => ({ dtypes }) as ModelManifest;
const f16Gpu = { backend: 'webgpu', shaderF16: true } as const;
const plainGpu = { backend: 'webgpu', shaderF16: false } as const;
const wasm = { backend: 'wasm' } as const;

describe('pickDtype', () => {
  it('prefers q4f16 on a WebGPU adapter with shader-f16, q4 everywhere else', () => {
    expect(pickDtype(folder('q4', 'q4f16'), undefined, f16Gpu)).toEqual({ dtype: 'q4f16', reason: 'q4f16 graphs: the WebGPU adapter has shader-f16' });
    expect(pickDtype(folder('q4', 'q4f16'), undefined, plainGpu)).toEqual({ dtype: 'q4', reason: 'q4 graphs: the WebGPU adapter has no shader-f16' });
    expect(pickDtype(folder('q4', 'q4f16'), undefined, wasm)).toEqual({ dtype: 'q4', reason: 'q4 graphs: the wasm backend' });
    expect(pickDtype(folder('fp32', 'q4'), undefined, f16Gpu).dtype).toBe('q4');
  });

  it('falls back to what the folder has, saying so', () => {
    expect(pickDtype(folder('fp32', 'fp16'), undefined, f16Gpu)).toEqual({ dtype: 'fp16', reason: 'fp16 graphs: the WebGPU adapter has shader-f16' });
    expect(pickDtype(folder('fp32', 'fp16'), undefined, wasm).dtype).toBe('fp32');
    expect(pickDtype(folder('q4f16'), undefined, plainGpu)).toEqual({ dtype: 'q4f16', reason: 'q4f16 graphs: the WebGPU adapter has no shader-f16, and the folder has only q4f16' });
    expect(pickDtype(folder('fp32'), undefined, f16Gpu)).toEqual({ dtype: 'fp32', reason: 'fp32 graphs: the WebGPU adapter has shader-f16, and the folder has only fp32' });
  });

  it('honours a requested dtype the folder has, and names what it has otherwise', () => {
    expect(pickDtype(folder('q4', 'q4f16'), 'q4', f16Gpu)).toEqual({ dtype: 'q4', reason: 'q4 graphs as requested' });
    expect(() => pickDtype(folder('q4'), 'q4f16', f16Gpu)).toThrow(LoadError);
    expect(() => pickDtype(folder('q4'), 'q4f16', f16Gpu)).toThrow('the model folder has no q4f16 graphs (it has q4)');
  });
});
