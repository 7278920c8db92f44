// Per-output-channel symmetric int8 in the layout of com.microsoft DynamicQuantizeMatMul:
//   B      int8 (K, N) — the torch weight (N, K) transposed, so each column is one output channel
//   scale  float (N)   — max|W[n, :]| / 127
// and dequantized value = q · scale. The wasm CPU EP runs this through MLAS' int8 QGEMM (it has a wasm SIMD
// kernel), whereas MatMulNBits has no int4 kernel there and dequantizes the whole weight to fp32 on every call
// (bench/RESULTS.md, "One Linear per weight format"). The converter writes it (converter/emit/linear.ts, the q8
// format); the engine can rewrite int4 encoder Linears into it before a wasm session (src/engine/encoders/int8-linears.ts).

export interface Q8Weight {
  N: number;
  K: number;
  /** (K, N) row-major. */
  data: Int8Array;
  scales: Float32Array;
}

/** Output channels written per pass: their K rows stay in cache while the (K, N) layout is written across them. */
export const Q8_TILE = 64;

/** Quantizes a torch Linear weight W (N, K), row-major. */
export function quantizeQ8(w: Float32Array, N: number, K: number): Q8Weight {
  if (w.length !== N * K) throw new Error(`q8: ${w.length} values for a (${N}, ${K}) weight`);
  const q: Q8Weight = { N, K, data: new Int8Array(K * N), scales: new Float32Array(N) };
  for (let n = 0; n < N; n += Q8_TILE) quantizeQ8Rows(w.subarray(n * K), Math.min(Q8_TILE, N - n), K, n, q);
  return q;
}

/**
 * Output channels n0 … n0 + R − 1 of `q` from their float weights, rows n0… of the torch weight: row r's K
 * values at rows[r·stride …]. Written k by k, R codes at a time, since one channel at a time would write (K, N)
 * with stride N, a cache miss per code; a `stride` of K plus a few keeps the R rows read across from mapping to
 * one cache set (K is a multiple of 256 in these models).
 */
export function quantizeQ8Rows(rows: Float32Array, R: number, stride: number, n0: number, q: Q8Weight): void {
  const { N, K, data, scales } = q;
  for (let r = 0; r < R; r++) {
    let max = 0;
    for (let k = r * stride, end = k + K; k < end; k++) {
      const a = Math.abs(rows[k]);
      if (a > max) max = a;
    }
    scales[n0 + r] = max / 127 || 1; // an all-zero row keeps scale 1 and codes 0
  }
  // Math.floor(x + 0.5) is Math.round(x) here (x + 0.5 is exact: x is a quotient of two float32s, never within
  // an ulp of a half-integer), and V8 runs it several times faster in this loop (bench: int8-linears rewrite).
  for (let k = 0; k < K; k++) {
    const o = k * N + n0;
    for (let r = 0; r < R; r++) data[o + r] = Math.floor(rows[r * stride + k] / scales[n0 + r] + 0.5);
  }
}

/** The float weight (N, K) a Q8Weight stands for. */
export function dequantizeQ8(q: Q8Weight): Float32Array {
  const { N, K, data, scales } = q;
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[n * K + k] = data[k * N + n] * scales[n];
  return out;
}
