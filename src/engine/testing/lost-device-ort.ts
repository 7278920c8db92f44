// A stand-in for onnxruntime-web/webgpu in Node, for the engine's device-lost path (issue 4, "WebGPU
// device lost mid-answer"). Node has no WebGPU, so "WebGPU" sessions here are real wasm sessions whose runs
// fail the way ORT's do once their GPUDevice is gone; `env.webgpu.device` is a device whose `lost` promise
// resolves at that moment. The decoder refuses WebGPU (as a graph with an unsupported op would), so its
// KV cache stays on the CPU and no GPU buffers are needed; the per-token embed_tokens run is what hits the
// lost device mid-generation.
import * as real from 'onnxruntime-web';
import type { Ort, OrtSession } from '../session.ts';

export interface LostDeviceOrt {
  ort: Ort;
  /** How many runs each WebGPU session made, by its first input's name. */
  gpuRuns: Map<string, number>;
  /** Whether the device has been lost. */
  readonly lost: boolean;
}

/** `loseOn(input, runs)`: lose the device when a WebGPU session fed `input` starts its `runs`-th run. */
export function lostDeviceOrt(loseOn: { input: string; run: number }): LostDeviceOrt {
  let resolveLost: (info: GPUDeviceLostInfo) => void = () => {};
  const lostPromise = new Promise<GPUDeviceLostInfo>((r) => (resolveLost = r));
  const device = { lost: lostPromise } as unknown as GPUDevice;
  const state = { lost: false, gpuRuns: new Map<string, number>() };
  const loseDevice = () => {
    state.lost = true;
    resolveLost({ reason: 'unknown', message: 'the test destroyed the device' } as GPUDeviceLostInfo);
  };

  const wrapGpu = (session: OrtSession): OrtSession => {
    const input = session.inputNames[0];
    const run = (async (...args: Parameters<OrtSession['run']>) => {
      const n = (state.gpuRuns.get(input) ?? 0) + 1;
      state.gpuRuns.set(input, n);
      if (!state.lost && input === loseOn.input && n === loseOn.run) loseDevice();
      if (state.lost) throw new Error('[WebGPU] Device is lost: the test destroyed the device');
      return session.run(...args);
    }) as OrtSession['run'];
    return Object.assign(Object.create(session) as OrtSession, { run });
  };

  const InferenceSession = {
    async create(bytes: Uint8Array, options: real.InferenceSession.SessionOptions) {
      const eps = options.executionProviders ?? [];
      if (!eps.includes('webgpu')) return real.InferenceSession.create(bytes, options);
      if (state.lost) throw new Error('[WebGPU] Device is lost');
      if (Object.keys(options.preferredOutputLocation ?? {}).length > 0) throw new Error('this fake runs no session with GPU-resident outputs');
      return wrapGpu(await real.InferenceSession.create(bytes, { executionProviders: ['wasm'], externalData: options.externalData }));
    },
  };

  const ort = { ...real, InferenceSession, env: { ...real.env, wasm: real.env.wasm, webgpu: { device: Promise.resolve(device) } } } as unknown as Ort;
  return {
    ort,
    gpuRuns: state.gpuRuns,
    get lost() {
      return state.lost;
    },
  };
}
