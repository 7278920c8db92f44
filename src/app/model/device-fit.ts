// Whether this device can run a converted model, said before anything downloads (issue 11: a phone that
// cannot hold a 3B model is told so before 9 GB move), and the dtype to convert: the one the engine will run
// here (src/engine/load/load-model.ts pickDtype: q4f16 on a WebGPU adapter with shader-f16, else q4). What is
// checked is only what the browser tells: navigator.deviceMemory (Chromium; rounded down, at most 8 GB) and the
// WebGPU adapter's buffer limits; the reasons say so.

import { findAdapter, isSoftwareAdapter } from '../../engine/session.ts';
import type { ConvertDtype } from '../../protocol/convert.ts';
import { formatBytes } from './download-progress.ts';

/** What the browser says about the device. */
export interface DeviceFacts {
  /** navigator.deviceMemory in GiB, null where the browser does not say (Firefox, Safari). */
  memoryGiB: number | null;
  /** The WebGPU adapter, or null with why in `noGpu`. */
  gpu: { name: string; software: boolean; shaderF16: boolean; maxBufferSize: number; maxStorageBufferBindingSize: number } | null;
  noGpu: string;
}

export interface DeviceFit {
  /** 'yes': on WebGPU; 'slow': it runs, on the CPU (WASM); 'no': it cannot. */
  verdict: 'yes' | 'slow' | 'no';
  reason: string;
  dtype: ConvertDtype;
}

/**
 * Running holds the weights plus the vision activations and the KV cache: about 1.5× the weights (the
 * factor is a judgement, not a measurement on the 3B model).
 */
const RUN_OVERHEAD = 1.5;

export function judgeDevice(facts: DeviceFacts, model: { keepBytes: number; largestTensorBytes: number }): DeviceFit {
  const need = model.keepBytes * RUN_OVERHEAD;
  const { gpu } = facts;
  if (facts.memoryGiB !== null && facts.memoryGiB * 2 ** 30 < need) {
    return { verdict: 'no', dtype: 'q4', reason: `this device reports about ${facts.memoryGiB} GB of memory; the model needs about ${formatBytes(need)} to run (its ${formatBytes(model.keepBytes)} of weights and working memory)` };
  }
  const memory = facts.memoryGiB === null ? 'the browser does not say how much memory this device has' : `the device reports about ${facts.memoryGiB} GB of memory (the model needs about ${formatBytes(need)})`;
  if (!gpu) return { verdict: 'slow', dtype: 'q4', reason: `${facts.noGpu}: it runs on the CPU (WASM), slowly; ${memory}` };
  if (gpu.software) return { verdict: 'slow', dtype: 'q4', reason: `the WebGPU adapter (${gpu.name}) is a software renderer: it runs on the CPU (WASM), slowly; ${memory}` };
  const buffer = Math.min(gpu.maxBufferSize, gpu.maxStorageBufferBindingSize);
  if (buffer < model.largestTensorBytes) {
    return { verdict: 'slow', dtype: 'q4', reason: `the WebGPU adapter (${gpu.name}) allows buffers of ${formatBytes(buffer)}, less than the largest weight (${formatBytes(model.largestTensorBytes)}): it runs on the CPU (WASM), slowly; ${memory}` };
  }
  const dtype = gpu.shaderF16 ? 'q4f16' : 'q4';
  return { verdict: 'yes', dtype, reason: `on WebGPU (${gpu.name}, ${gpu.shaderF16 ? 'shader-f16: q4f16' : 'no shader-f16: q4'}, buffers up to ${formatBytes(buffer)}); ${memory}` };
}

/** The facts this browser gives (main thread or worker). */
export async function readDevice(): Promise<DeviceFacts> {
  const memory = (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
  const { adapter, detail } = await findAdapter();
  const gpu = adapter && {
    name: [adapter.info.vendor, adapter.info.architecture].filter(Boolean).join(' ') || 'unnamed adapter',
    software: isSoftwareAdapter(adapter.info),
    shaderF16: adapter.features.has('shader-f16'),
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  };
  return { memoryGiB: typeof memory === 'number' ? memory : null, gpu, noGpu: detail };
}
