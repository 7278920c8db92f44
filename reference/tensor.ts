// The float32 reference: plain, readable tensor math written straight from the spec. It is the oracle
// the ONNX graphs are tested against, never the fast path. Tensors are row-major Float32Arrays with a
// shape; every op returns a new tensor.

export interface Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export function tensor(data: Float32Array | number[], shape: readonly number[]): Tensor {
  const d = data instanceof Float32Array ? data : Float32Array.from(data);
  const n = shape.reduce((a, b) => a * b, 1);
  if (d.length !== n) throw new Error(`tensor: ${d.length} values for shape [${shape}]`);
  return { data: d, shape };
}

export function zeros(shape: readonly number[]): Tensor {
  return tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
}

export const numel = (t: Tensor): number => t.data.length;

export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const s = shape.map((d) => (d === -1 ? numel(t) / known : d));
  return tensor(t.data, s);
}

/** torch.permute: out[idx] = in[idx permuted back]. */
export function permute(t: Tensor, perm: readonly number[]): Tensor {
  const inShape = t.shape;
  const outShape = perm.map((p) => inShape[p]);
  const inStrides = strides(inShape);
  const out = new Float32Array(t.data.length);
  const rank = outShape.length;
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * inStrides[perm[d]];
    out[o] = t.data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return tensor(out, outShape);
}

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** torch.nn.functional.linear: (…, K) · W(N, K)ᵀ + b(N) → (…, N). */
export function linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const K = x.shape[x.shape.length - 1];
  const [N, Kw] = w.shape;
  if (K !== Kw) throw new Error(`linear: input dim ${K} ≠ weight dim ${Kw}`);
  const M = numel(x) / K;
  const out = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    const xo = m * K;
    for (let n = 0; n < N; n++) {
      const wo = n * K;
      let acc = b ? b.data[n] : 0;
      for (let k = 0; k < K; k++) acc += x.data[xo + k] * w.data[wo + k];
      out[m * N + n] = acc;
    }
  }
  return tensor(out, [...x.shape.slice(0, -1), N]);
}

/** (…, M, K) @ (…, K, N) with equal leading dims. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const [M, K] = a.shape.slice(-2);
  const [K2, N] = b.shape.slice(-2);
  if (K !== K2) throw new Error(`matmul: ${K} ≠ ${K2}`);
  const batch = numel(a) / (M * K);
  const out = new Float32Array(batch * M * N);
  for (let bi = 0; bi < batch; bi++) {
    const ao = bi * M * K, bo = bi * K * N, oo = bi * M * N;
    for (let m = 0; m < M; m++)
      for (let k = 0; k < K; k++) {
        const av = a.data[ao + m * K + k];
        for (let n = 0; n < N; n++) out[oo + m * N + n] += av * b.data[bo + k * N + n];
      }
  }
  return tensor(out, [...a.shape.slice(0, -2), M, N]);
}

export function map(t: Tensor, f: (v: number, i: number) => number): Tensor {
  return tensor(t.data.map(f), t.shape);
}

/** Elementwise a ∘ b where b broadcasts over a's leading dims (b's shape is a suffix of a's). */
export function zip(a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  const nb = numel(b);
  return tensor(a.data.map((v, i) => f(v, b.data[i % nb])), a.shape);
}

export const add = (a: Tensor, b: Tensor): Tensor => zip(a, b, (x, y) => x + y);
export const mul = (a: Tensor, b: Tensor): Tensor => zip(a, b, (x, y) => x * y);
export const scale = (a: Tensor, s: number): Tensor => map(a, (v) => v * s);

/** Abramowitz–Stegun 7.1.26 is too coarse for 1e-4 goldens; this series/continued-fraction erf is exact to ~1e-15. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf x = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
    let term = ax, sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
      if (Math.abs(term) < 1e-17) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz) for the tail.
  let f = ax, C = ax, D = 0;
  for (let n = 1; n < 100; n++) {
    const an = n / 2;
    D = ax + an * D; D = 1 / D;
    C = ax + an / C;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** Exact (erf) GELU, torch's default. */
export const gelu = (t: Tensor): Tensor => map(t, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
export const silu = (t: Tensor): Tensor => map(t, (v) => v / (1 + Math.exp(-v)));

/** Softmax over the last dim. */
export function softmax(t: Tensor): Tensor {
  const C = t.shape[t.shape.length - 1];
  const out = new Float32Array(t.data.length);
  for (let r = 0; r < t.data.length; r += C) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, t.data[r + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += out[r + c] = Math.exp(t.data[r + c] - m);
    for (let c = 0; c < C; c++) out[r + c] /= s;
  }
  return tensor(out, t.shape);
}

/** LayerNorm over the last dim. */
export function layerNorm(t: Tensor, w: Tensor, b: Tensor, eps: number): Tensor {
  const C = t.shape[t.shape.length - 1];
  const out = new Float32Array(t.data.length);
  for (let r = 0; r < t.data.length; r += C) {
    let mean = 0;
    for (let c = 0; c < C; c++) mean += t.data[r + c];
    mean /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (t.data[r + c] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / C + eps);
    for (let c = 0; c < C; c++) out[r + c] = (t.data[r + c] - mean) * inv * w.data[c] + b.data[c];
  }
  return tensor(out, t.shape);
}

/** RMSNorm over the last dim (Qwen2RMSNorm: x / sqrt(mean(x²) + eps) · w). */
export function rmsNorm(t: Tensor, w: Tensor, eps: number): Tensor {
  const C = t.shape[t.shape.length - 1];
  const out = new Float32Array(t.data.length);
  for (let r = 0; r < t.data.length; r += C) {
    let ms = 0;
    for (let c = 0; c < C; c++) ms += t.data[r + c] ** 2;
    const inv = 1 / Math.sqrt(ms / C + eps);
    for (let c = 0; c < C; c++) out[r + c] = t.data[r + c] * inv * w.data[c];
  }
  return tensor(out, t.shape);
}

/** torch.cat along `axis`. */
export function concat(ts: readonly Tensor[], axis: number): Tensor {
  const shape = [...ts[0].shape];
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  shape[axis] = ts.reduce((s, t) => s + t.shape[axis], 0);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let o = 0;
  for (let i = 0; i < outer; i++)
    for (const t of ts) {
      const len = t.shape[axis] * inner;
      out.set(t.data.subarray(i * len, (i + 1) * len), o);
      o += len;
    }
  return tensor(out, shape);
}

/** x[…, start:end] along `axis`. */
export function slice(t: Tensor, axis: number, start: number, end: number): Tensor {
  const shape = [...t.shape];
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = shape[axis];
  shape[axis] = end - start;
  const out = new Float32Array(outer * (end - start) * inner);
  for (let i = 0; i < outer; i++) out.set(t.data.subarray((i * n + start) * inner, (i * n + end) * inner), i * (end - start) * inner);
  return tensor(out, shape);
}
