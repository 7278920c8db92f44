// The backend choice (session.ts chooseBackend): a forced backend wins; 'auto' takes WebGPU on a hardware
// adapter and wasm on a software renderer or without an adapter, and every choice says why. The adapters are
// stand-ins with the fields the choice reads (navigator.gpu is absent in Node).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chooseBackend, isSoftwareAdapter } from './session.ts';

/** A stand-in adapter: what requestAdapter() resolves to. */
function adapter(info: Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean }, features: string[] = []): GPUAdapter {
  return { info: { vendor: '', architecture: '', device: '', description: '', ...info }, features: new Set(features) } as unknown as GPUAdapter;
}

function withAdapter(a: GPUAdapter | null): void {
  vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => a } });
}

afterEach(() => vi.unstubAllGlobals());

describe('isSoftwareAdapter', () => {
  it('knows the software renderers by name, and trusts isFallbackAdapter', () => {
    expect(isSoftwareAdapter(adapter({ vendor: 'google', architecture: 'swiftshader' }).info)).toBe(true);
    expect(isSoftwareAdapter(adapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }).info)).toBe(true);
    expect(isSoftwareAdapter(adapter({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' }).info)).toBe(true);
    expect(isSoftwareAdapter(adapter({ vendor: 'intel', isFallbackAdapter: true }).info)).toBe(true);
    expect(isSoftwareAdapter(adapter({ vendor: 'nvidia', architecture: 'hopper' }).info)).toBe(false);
    expect(isSoftwareAdapter(adapter({ vendor: 'apple', architecture: 'metal-3' }).info)).toBe(false);
  });
});

describe('chooseBackend', () => {
  it("'auto' runs on a hardware adapter, naming it and its capabilities", async () => {
    withAdapter(adapter({ vendor: 'nvidia', architecture: 'hopper' }, ['shader-f16']));
    expect(await chooseBackend()).toEqual({ backend: 'webgpu', reason: 'WebGPU adapter: nvidia hopper (shader-f16, no subgroups)', shaderF16: true });
  });

  it("'auto' takes wasm on a software renderer, and says how to use it anyway", async () => {
    withAdapter(adapter({ vendor: 'google', architecture: 'swiftshader' }, ['subgroups']));
    const choice = await chooseBackend();
    expect(choice.backend).toBe('wasm');
    expect(choice.reason).toBe('WebGPU adapter: google swiftshader (no shader-f16, subgroups) is a software renderer (the GPU emulated on the CPU), slower than wasm; choose WebGPU to use it anyway');
  });

  it('a forced WebGPU runs on the software renderer and names it', async () => {
    withAdapter(adapter({ vendor: 'google', architecture: 'swiftshader' }));
    expect(await chooseBackend('webgpu')).toEqual({ backend: 'webgpu', reason: 'forced to webgpu by the caller; WebGPU adapter: google swiftshader (no shader-f16, no subgroups)', shaderF16: false });
  });

  it("'auto' takes wasm without WebGPU or without an adapter", async () => {
    withAdapter(null);
    expect(await chooseBackend()).toEqual({ backend: 'wasm', reason: 'WebGPU exists but no adapter was found' });
    vi.stubGlobal('navigator', {});
    expect(await chooseBackend()).toEqual({ backend: 'wasm', reason: 'no WebGPU in this runtime (navigator.gpu is missing)' });
    expect(await chooseBackend('wasm')).toEqual({ backend: 'wasm', reason: 'forced to wasm by the caller' });
  });
});
