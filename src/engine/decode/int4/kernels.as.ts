// AssemblyScript: the wasm SIMD kernels of the int4 decoder (int4-decoder.ts). `npm run kernels` compiles this
// file to kernels.wasm.ts; a test checks that the two agree. Why our own kernels: onnxruntime-web's wasm build has
// no int4 MatMul kernel — its MatMulNBits dequantizes the whole weight to float32 on every call (bench/RESULTS.md),
// which makes a 3B decoder take tens of seconds per token. Here int4 weights are multiplied in place.
//
// Memory is one shared linear memory owned by the host (kernels.ts); every argument is a byte offset into it.
// Kernels that split work across threads take (thread, threads) last and do their own share.
//
// Weights come as com.microsoft MatMulNBits stores them (converter/quantize/q4.ts), block 32 along K: int4 codes
// two a byte, float16 block scales, packed zero points; w = (code − zp) · scale. The host widens the scales and
// unpacks the zero points, and packQ4 (gemm.as.ts) regroups the codes four rows at a time, the layout gemmQ4
// multiplies. Activations are quantized per block of 32 to int8 (as MatMulNBits' accuracy_level 4 does on
// native CPUs): x ≈ xs · xq, so a block's contribution is
//   scale · xs · (Σ code·xq − zp · Σ xq)
// with the integer sums exact. Codes are 0..15 and |xq| ≤ 127, so i16 lanes and i32x4.dot_i16x8_s never overflow.
//
// build-kernels.ts compiles this file twice: for plain wasm SIMD and for relaxed SIMD (ASC_FEATURE_RELAXED_SIMD).
// Relaxed SIMD's i16x8.relaxed_dot_i8x16_i7x16_s multiplies int8 activations by the codes (0..15 fit its 7-bit
// operand) and sums pairs in one instruction (x86 pmaddubsw, Arm sdot), where plain SIMD must first widen both
// to i16: a code vector's dot is 1 dot instead of 2 extends and 2 dots. Its i32 dot-accumulate form gives the
// same sums and is faster on some engines and CPUs: gemmQ4 takes either (dot-form.ts chooses). Results are
// implementation-defined for operands outside those ranges, and one engine has been seen to get the i32 form
// wrong, so kernels.ts checks a known product in each.
//
// The kernels by concept, each file a part this entry re-exports (the wasm module's exports are this file's, and
// their order here is the order of the functions in the wasm):
//   quantize.as.ts   activations → int8 codes per block of 32
//   gemm.as.ts       the int4 weights' layout and product, its job struct at gemm-job.ts's offsets (the host
//                    writes the same table)
//   kv-cache.as.ts   the int8 KV cache and storeKv
//   attention.as.ts  attention over that cache
//   silu.as.ts       the MLP's gate
//   simd.as.ts       helpers they share

export { xqBlockBytes, quantizeRows } from './quantize.as';
export { packQ4, gemmQ4 } from './gemm.as';
export { kvKeyBytes, kvValueBytes, storeKv } from './kv-cache.as';
export { attentionScratchBytes, attention } from './attention.as';
export { siluMul } from './silu.as';
