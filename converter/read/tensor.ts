// A checkpoint tensor as the converter reads it: float32 values, row-major, with their shape. The emitters
// only store, transpose and re-view weights; all tensor math lives in the graphs (and in reference/, which
// has its own Tensor: the oracle shares no code with what it checks).

export interface Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** A tensor over `data`, refused when the shape does not hold exactly its values. */
export function tensor(data: Float32Array, shape: readonly number[]): Tensor {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`tensor: shape [${shape}] holds ${count} values, got ${data.length}`);
  return { data, shape };
}

/** The same values under another shape of the same size (a view, no copy). */
export const viewAs = (t: Tensor, shape: readonly number[]): Tensor => tensor(t.data, shape);

/** A (rows, cols) matrix transposed to (cols, rows): a torch Linear weight (N, K) as MatMul's B (K, N). */
export function transposed(t: Tensor): Tensor {
  if (t.shape.length !== 2) throw new Error(`transposed: expected a matrix, got shape [${t.shape}]`);
  const [rows, cols] = t.shape;
  const out = new Float32Array(t.data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[r * cols + c];
  return tensor(out, [cols, rows]);
}
