// A graph's initializers read straight from its .onnx bytes and external-data chunks: name, element type,
// dims and bytes (views, never copies). Only what the engine's own kernels need to take weights from the
// same files onnxruntime runs (decode/int4/weights.ts); everything else in the model proto is skipped.
//
// Protobuf fields read (onnx.proto3): ModelProto.graph = 7; GraphProto.initializer = 5; TensorProto dims = 1,
// data_type = 2, name = 8, raw_data = 9, external_data = 13 (StringStringEntryProto key = 1, value = 2:
// location / offset / length), data_location = 14.
import type { GraphBytes } from '../session.ts';
import { ProtoReader as Reader } from '../../onnx/proto-reader.ts';

export interface Initializer {
  name: string;
  dataType: number;
  dims: number[];
  bytes: Uint8Array;
  /** Whether `bytes` came from an external-data chunk (TensorProto.external_data) rather than raw_data. */
  external: boolean;
}

/** Every initializer of the graph, by name. Throws naming the tensor whose data cannot be found. */
export function readInitializers(graph: GraphBytes, graphName: string): Map<string, Initializer> {
  const out = new Map<string, Initializer>();
  for (const tensor of tensorMessages(graph.graph)) {
    const init = readTensor(tensor, graph, graphName);
    out.set(init.name, init);
  }
  return out;
}

/** The external-data files the graph's initializers name (their `location`s), to read beside it. */
export function externalDataLocations(graph: Uint8Array): string[] {
  const found = new Set<string>();
  for (const tensor of tensorMessages(graph))
    for (const field of tensor.fields()) if (field.no === 13) {
      const [key, value] = stringEntry(field.bytes!);
      if (key === 'location') found.add(value);
    }
  return [...found].sort();
}

/** ModelProto.graph (7) → GraphProto.initializer (5): each initializer's TensorProto. */
function* tensorMessages(model: Uint8Array): Generator<Reader> {
  for (const [field, graphMsg] of new Reader(model).messages()) {
    if (field !== 7) continue;
    for (const [f, tensor] of graphMsg.messages()) if (f === 5) yield tensor;
  }
}

/** A StringStringEntryProto (key = 1, value = 2) as [key, value]. */
function stringEntry(bytes: Uint8Array): [string, string] {
  const e: [string, string] = ['', ''];
  for (const [f, v] of new Reader(bytes).messages()) e[f - 1] = new TextDecoder().decode(v.buf);
  return e;
}

function readTensor(r: Reader, graph: GraphBytes, graphName: string): Initializer {
  let name = '', dataType = 0, raw: Uint8Array | null = null;
  const dims: number[] = [];
  const external: Record<string, string> = {};
  for (const field of r.fields()) {
    if (field.no === 1) {
      if (field.bytes) for (const v of new Reader(field.bytes).packedVarints()) dims.push(v);
      else dims.push(field.value);
    } else if (field.no === 2) dataType = field.value;
    else if (field.no === 8) name = new TextDecoder().decode(field.bytes!);
    else if (field.no === 9) raw = field.bytes!;
    else if (field.no === 13) {
      const [key, value] = stringEntry(field.bytes!);
      external[key] = value;
    }
  }
  const inChunk = !raw && external.location !== undefined;
  if (inChunk) {
    const chunk = graph.externalData.find((c) => c.path === external.location);
    if (!chunk) throw new Error(`${graphName}: initializer ${name} is in ${external.location}, which was not given`);
    const offset = Number(external.offset ?? 0), length = Number(external.length ?? chunk.data.length - offset);
    if (offset + length > chunk.data.length) throw new Error(`${graphName}: initializer ${name} runs past the end of ${external.location}`);
    raw = chunk.data.subarray(offset, offset + length);
  }
  if (!raw) throw new Error(`${graphName}: initializer ${name} has no raw or external data`);
  return { name, dataType, dims, bytes: raw, external: inChunk };
}
