// A contract between the converter and the engine (imported by both, depends on nothing): how the
// vision_semantic graph bounds its full attention. The emitter (converter/emit/vision-semantic.ts) picks
// its query chunks by it; the engine (src/engine/encoders/vision-memory.ts) counts its memory by it.

/**
 * Attention scores one full-attention MultiHeadAttention call of vision_semantic may hold: nh · chunk · N floats
 * = 2^26 (256 MB). ORT's CPU/wasm kernel materializes the whole (nh, Sq, Sk) probability tensor (its flash path
 * needs an L2-cache size, which the wasm build reports as 0), and onnxruntime-web fails with a SafeInt overflow
 * at 16 · 4096² = 2^28 scores; 16 · 2048² = 2^26 runs. Bounding each call's scores by a constant makes full
 * attention linear in N.
 */
export const ATTENTION_SCORES_PER_CHUNK = 2 ** 26;
