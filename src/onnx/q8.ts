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

/** Quantizes a torch Linear weight W (N, K), row-major. */
export function quantizeQ8(w: Float32Array, N: number, K: number): Q8Weight {
  if (w.length !== N * K) throw new Error(`q8: ${w.length} values for a (${N}, ${K}) weight`);
  const q: Q8Weight = { N, K, data: new Int8Array(K * N), scales: new Float32Array(N) };
  for (let n = 0; n < N; n++) quantizeQ8Row(w.subarray(n * K, (n + 1) * K), n, q);
  return q;
}

/** Output channel n of `q` from its K float weights (row n of the torch weight). */
export function quantizeQ8Row(row: Float32Array, n: number, q: Q8Weight): void {
  const { N, K, data } = q;
  let max = 0;
  for (let k = 0; k < K; k++) max = Math.max(max, Math.abs(row[k]));
  const scale = max / 127 || 1; // an all-zero row keeps scale 1 and codes 0
  q.scales[n] = scale;
  for (let k = 0; k < K; k++) data[k * N + n] = Math.round(row[k] / scale);
}

/** The float weight (N, K) a Q8Weight stands for. */
export function dequantizeQ8(q: Q8Weight): Float32Array {
  const { N, K, data, scales } = q;
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[n * K + k] = data[k * N + n] * scales[n];
  return out;
}
