// ONNX element types and value infos as the model folder's graphs declare them: one spelling for the
// ONNX writer (src/onnx/proto.ts), the engine's initializer reader (src/engine/load/) and
// model.json's per-component I/O (graph-io.ts).

/** ONNX TensorProto.DataType values (onnx/onnx.proto). */
export const DataType = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  uint32: 12,
  bfloat16: 16,
} as const;
export type DType = keyof typeof DataType;

export const BYTES_PER_ELEMENT: Record<DType, number> = {
  float32: 4, uint8: 1, int8: 1, int32: 4, int64: 8, bool: 1, float16: 2, uint32: 4, bfloat16: 2,
};

export type Dim = number | string;
export interface ValueInfo {
  name: string;
  dtype: DType;
  dims: readonly Dim[];
}
