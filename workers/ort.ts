// The one onnxruntime-web instance of the worker. It is the `onnxruntime-web/webgpu` build (native WebGPU
// EP + the asyncify wasm), the build @huggingface/transformers 4.3 imports too, so both share one runtime.
// wasmPaths point at files Vite emits from node_modules (`?url`), so nothing is ever fetched from a CDN
// (this form works in dev and in the production build; `/public` paths do not).

import * as ort from 'onnxruntime-web/webgpu';
import wasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import mjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';

ort.env.wasm.wasmPaths = { wasm, mjs };

export { ort };
