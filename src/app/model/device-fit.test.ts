import { describe, expect, it } from 'vitest';
import { judgeDevice, type DeviceFacts } from './device-fit.ts';

const model = { keepBytes: 2.5e9, largestTensorBytes: 200e6 };
const gpu = { name: 'nvidia ampere', software: false, shaderF16: true, maxBufferSize: 4 * 2 ** 30, maxStorageBufferBindingSize: 2 * 2 ** 30 };
const facts = (over: Partial<DeviceFacts>): DeviceFacts => ({ memoryGiB: 8, gpu, noGpu: '', ...over });

describe('judgeDevice', () => {
  it('a device with too little memory is told so, with the numbers', () => {
    const fit = judgeDevice(facts({ memoryGiB: 2 }), model);
    expect(fit.verdict).toBe('no');
    expect(fit.reason).toContain('about 2 GB of memory');
    expect(fit.reason).toContain('3.8 GB to run');
  });

  it('a hardware WebGPU adapter with shader-f16 runs q4f16 on WebGPU; without it, q4', () => {
    expect(judgeDevice(facts({}), model)).toMatchObject({ verdict: 'yes', dtype: 'q4f16' });
    const noF16 = judgeDevice(facts({ gpu: { ...gpu, shaderF16: false } }), model);
    expect(noF16).toMatchObject({ verdict: 'yes', dtype: 'q4' });
    expect(noF16.reason).toContain('no shader-f16');
  });

  it('no adapter, a software renderer or buffers smaller than the largest weight: it runs on WASM, q4, and says why', () => {
    const none = judgeDevice(facts({ gpu: null, noGpu: 'no WebGPU in this runtime (navigator.gpu is missing)' }), model);
    expect(none).toMatchObject({ verdict: 'slow', dtype: 'q4' });
    expect(none.reason).toContain('navigator.gpu is missing');
    expect(judgeDevice(facts({ gpu: { ...gpu, software: true, name: 'google swiftshader' } }), model).reason).toContain('google swiftshader) is a software renderer');
    const small = judgeDevice(facts({ gpu: { ...gpu, maxStorageBufferBindingSize: 128 * 2 ** 20 } }), model);
    expect(small).toMatchObject({ verdict: 'slow', dtype: 'q4' });
    expect(small.reason).toContain('less than the largest weight (200 MB)');
  });

  it('a browser that does not report memory is judged on the GPU alone, and says so', () => {
    const fit = judgeDevice(facts({ memoryGiB: null }), model);
    expect(fit.verdict).toBe('yes');
    expect(fit.reason).toContain('the browser does not say how much memory');
  });
});
