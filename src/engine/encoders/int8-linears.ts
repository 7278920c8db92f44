// The encoder graphs' int4 Linears rewritten as int8 ones for onnxruntime-web's wasm backend, before its
// session is built. There MatMulNBits has no int4 kernel: it dequantizes the whole weight to float32 on every
// call, and the vision graphs spend most of their time in it. DynamicQuantizeMatMul runs MLAS' int8 GEMM,
// which has a wasm SIMD kernel (bench/RESULTS.md, "One Linear per weight format"). The model folder keeps one
// int4 graph for every backend (WebGPU has no DynamicQuantizeMatMul kernel), so the rewrite happens here, in
// memory, at load (LoadOptions.wasmEncoderInt8, on by default; ~11 s of the full model's load, bench/RESULTS.md):
//   MatMulNBits(x, B, Cast(scales_f16) | scales, [zero_points])   int4 blocks along K (src/model-folder/graph-io.ts)
//   → DynamicQuantizeMatMul(x, B_int8, B_scale)                   int8 per output channel (src/onnx/q8.ts)
// B_int8 requantizes exactly what MatMulNBits multiplies by, (q − zp) · scale, so the int8 weight adds its
// rounding (≤ max|W[n,:]|/254 per element) to int4's; the activations are quantized to uint8 per call, per
// tensor. Every other field of the model is copied byte for byte. A graph with external data gets one new chunk
// holding the int8 weights and every external initializer it keeps, so the int4 chunks need not reach the session.
//
// Protobuf fields (onnx.proto3): ModelProto.graph = 7; GraphProto node = 1, initializer = 5, output = 12,
// value_info = 13; NodeProto input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7;
// AttributeProto name = 1, i = 3, g = 6, graphs = 11 (GraphProto, node = 1); TensorProto name = 8, external_data = 13, data_location = 14;
// ValueInfoProto name = 1.
import { DataType, externalData, nodeProto, tensorProto, Writer } from '../../onnx/proto.ts';
import { ProtoReader, type ProtoField } from '../../onnx/proto-reader.ts';
import { widenF16 } from '../../onnx/f16.ts';
import { Q8_TILE, quantizeQ8Rows, type Q8Weight } from '../../onnx/q8.ts';
import { readInitializers, type Initializer } from '../load/onnx-initializers.ts';
import type { GraphBytes } from '../session.ts';

export interface Int8Rewrite {
  bytes: GraphBytes;
  /** How many MatMulNBits became DynamicQuantizeMatMul (0: `bytes` is the graph given). */
  linears: number;
}

interface Node {
  field: ProtoField;
  inputs: string[];
  outputs: string[];
  name: string;
  opType: string;
  domain: string;
  ints: Map<string, number>;
  /** Every input name read inside the node's control-flow bodies (a Scan's): they may read this graph's values. */
  captured: string[];
}

interface Linear {
  node: Node;
  /** The Cast(float16 → float32) that feeds the scales, dropped with the int4 initializers. */
  cast: Node | null;
  dropped: string[];
  K: number;
  N: number;
  int8Name: string;
  scaleName: string;
  /** Writes the int8 weight into `q8` (K, N), laid out by the caller. */
  requantize: (q8: Q8Weight) => void;
}

const ALIGN = 64;
const text = new TextDecoder();

/** `bytes` with every int4 Linear run as int8 (see the top of this file); graphs without one come back as given. */
export function int8Linears(bytes: GraphBytes, graphName: string): Int8Rewrite {
  const modelFields = [...new ProtoReader(bytes.graph).fields()];
  const graphField = modelFields.find((f) => f.no === 7);
  if (!graphField?.bytes) throw new Error(`${graphName}: the .onnx has no graph`);
  const graphFields = [...new ProtoReader(graphField.bytes).fields()];
  const nodes = graphFields.filter((f) => f.no === 1).map(readNode);
  const inits = readInitializers(bytes, graphName);

  const uses = new Map<string, number>();
  const use = (name: string) => uses.set(name, (uses.get(name) ?? 0) + 1);
  for (const n of nodes) [...n.inputs, ...n.captured].forEach(use);
  for (const f of graphFields) if (f.no === 12) use(stringField(f.bytes!, 1)); // ValueInfoProto.name
  const producer = new Map(nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));

  const linears = nodes.map((n) => planLinear(n, inits, uses, producer)).filter((l): l is Linear => l !== null);
  if (!linears.length) return { bytes, linears: 0 };

  const dropped = new Set(linears.flatMap((l) => l.dropped));
  const droppedNodes = new Set(linears.flatMap((l) => (l.cast ? [l.cast.field.start] : [])));
  const replaced = new Map(linears.map((l) => [l.node.field.start, l]));

  // The new chunk's layout (external graphs): every kept external initializer, then each Linear's int8 weight and scales.
  const external = bytes.externalData.length > 0;
  const location = `${graphName}.int8.onnx_data`;
  const offsets = new Map<string, number>();
  let size = 0;
  const place = (name: string, length: number) => {
    const offset = Math.ceil(size / ALIGN) * ALIGN;
    offsets.set(name, offset);
    size = offset + length;
  };
  const initOf = (f: ProtoField) => inits.get(stringField(f.bytes!, 8))!; // TensorProto.name
  const kept = graphFields.filter((f) => f.no === 5).map(initOf).filter((i) => i.external && !dropped.has(i.name));
  for (const i of kept) place(i.name, i.bytes.length);
  for (const l of linears) {
    place(l.int8Name, l.K * l.N);
    place(l.scaleName, l.N * 4);
  }
  const chunk = new Uint8Array(external ? size : 0);
  const at = (name: string, length: number) => ({ location, offset: offsets.get(name)!, length });

  const g = new Writer();
  for (const f of graphFields) {
    const whole = graphField.bytes.subarray(f.start, f.end);
    if (f.no === 1) {
      const linear = replaced.get(f.start);
      if (linear) g.message(1, nodeProto(int8Node(linear)));
      else if (!droppedNodes.has(f.start)) g.raw(whole);
    } else if (f.no === 5) {
      const init = initOf(f);
      if (dropped.has(init.name)) continue;
      if (!init.external) g.raw(whole);
      else {
        chunk.set(init.bytes, offsets.get(init.name)!);
        g.message(5, movedTensor(f.bytes!, at(init.name, init.bytes.length)));
      }
    } else if (f.no === 13 && dropped.has(stringField(f.bytes!, 1))) continue; // ValueInfoProto.name
    else g.raw(whole);
  }
  for (const l of linears) {
    const { K, N } = l;
    const q8: Q8Weight = external
      ? { N, K, data: new Int8Array(chunk.buffer, offsets.get(l.int8Name)!, K * N), scales: new Float32Array(chunk.buffer, offsets.get(l.scaleName)!, N) }
      : { N, K, data: new Int8Array(K * N), scales: new Float32Array(N) };
    l.requantize(q8);
    const int8 = new Uint8Array(q8.data.buffer, q8.data.byteOffset, K * N), scale = new Uint8Array(q8.scales.buffer, q8.scales.byteOffset, N * 4);
    g.message(5, tensorProto({ name: l.int8Name, dtype: 'int8', dims: [K, N], data: external ? at(l.int8Name, int8.length) : int8 }));
    g.message(5, tensorProto({ name: l.scaleName, dtype: 'float32', dims: [N], data: external ? at(l.scaleName, scale.length) : scale }));
  }

  const m = new Writer();
  for (const f of modelFields) {
    if (f.no === 7) m.message(7, g);
    else m.raw(bytes.graph.subarray(f.start, f.end));
  }
  return { bytes: { graph: m.finish(), externalData: external ? [{ path: location, data: chunk }] : [] }, linears: linears.length };
}

/**
 * The rewrite for one node, or null when it is not an int4 MatMulNBits this file understands (g_idx or bias
 * inputs, float16 scales read directly as q4f16 does, shared initializers): those stay as they are.
 */
function planLinear(node: Node, inits: Map<string, Initializer>, uses: Map<string, number>, producer: Map<string, Node>): Linear | null {
  if (node.opType !== 'MatMulNBits' || node.domain !== 'com.microsoft' || node.ints.get('bits') !== 4) return null;
  const [, codesName, scalesName, zpName = ''] = node.inputs;
  if (node.inputs.length > 4 || node.outputs.length !== 1) return null;
  const K = node.ints.get('K'), N = node.ints.get('N'), blockSize = node.ints.get('block_size');
  if (K === undefined || N === undefined || blockSize === undefined) return null;
  const kBlocks = Math.ceil(K / blockSize);
  const codes = inits.get(codesName);
  if (codes?.dataType !== DataType.uint8 || codes.bytes.length !== (N * kBlocks * blockSize) / 2) return null;

  let cast: Node | null = null;
  let scales = inits.get(scalesName);
  let scaleValues: () => Float32Array;
  if (scales) {
    if (scales.dataType !== DataType.float32) return null;
    const { bytes } = scales;
    scaleValues = () => f32View(bytes);
  } else {
    cast = producer.get(scalesName) ?? null;
    if (cast?.opType !== 'Cast' || cast.ints.get('to') !== DataType.float32 || uses.get(scalesName) !== 1) return null;
    scales = inits.get(cast.inputs[0]);
    if (scales?.dataType !== DataType.float16) return null;
    const { bytes } = scales;
    scaleValues = () => widenF16(new Uint16Array(bytes.slice().buffer));
  }
  if (scales.bytes.length !== N * kBlocks * (scales.dataType === DataType.float16 ? 2 : 4)) return null;

  const zpRow = Math.ceil(kBlocks / 2);
  const zp = zpName ? inits.get(zpName) : undefined;
  if (zpName && (zp?.dataType !== DataType.uint8 || zp.bytes.length !== N * zpRow)) return null;
  const dropped = [codesName, scales.name, ...(zp ? [zp.name] : [])];
  if (dropped.some((d) => uses.get(d) !== 1)) return null;

  // Rows n of the weight MatMulNBits multiplies by, (q − zp) · scale (zero point 8 when absent), then int8,
  // Q8_TILE rows at a time (src/onnx/q8.ts says why).
  const requantize = (q8: Q8Weight) => {
    const scale = scaleValues(); // (N, kBlocks)
    const stride = K + 16; // src/onnx/q8.ts says why
    const tile = new Float32Array(Q8_TILE * stride);
    for (let n0 = 0; n0 < N; n0 += Q8_TILE) {
      const R = Math.min(Q8_TILE, N - n0);
      for (let r = 0, n = n0; r < R; r++, n++) {
        for (let b = 0; b < kBlocks; b++) {
          const s = scale[n * kBlocks + b];
          const zb = zp ? zp.bytes[n * zpRow + (b >> 1)] : 0x88;
          const z = b & 1 ? zb >> 4 : zb & 15;
          // Two codes a byte, the low nibble first; the last block may stop short of blockSize at K.
          let j = ((n * kBlocks + b) * blockSize) / 2;
          for (let k = b * blockSize, end = Math.min(K, k + blockSize), t = r * stride; k < end; j++) {
            const byte = codes.bytes[j];
            tile[t + k++] = ((byte & 15) - z) * s;
            if (k < end) tile[t + k++] = ((byte >> 4) - z) * s;
          }
        }
      }
      quantizeQ8Rows(tile, R, stride, n0, q8);
    }
  };
  return { node, cast, dropped, K, N, requantize, int8Name: `${codesName}.int8`, scaleName: `${codesName}.int8_scale` };
}

function int8Node({ node, int8Name, scaleName }: Linear) {
  return { name: node.name, opType: 'DynamicQuantizeMatMul', domain: 'com.microsoft', inputs: [node.inputs[0], int8Name, scaleName], outputs: node.outputs, attrs: {} };
}

function readNode(field: ProtoField): Node {
  const node: Node = { field, inputs: [], outputs: [], name: '', opType: '', domain: '', ints: new Map(), captured: [] };
  for (const f of new ProtoReader(field.bytes!).fields()) {
    if (f.no === 1) node.inputs.push(text.decode(f.bytes!));
    else if (f.no === 2) node.outputs.push(text.decode(f.bytes!));
    else if (f.no === 3) node.name = text.decode(f.bytes!);
    else if (f.no === 4) node.opType = text.decode(f.bytes!);
    else if (f.no === 7) node.domain = text.decode(f.bytes!);
    else if (f.no === 5) {
      let name = '', i: number | undefined;
      for (const a of new ProtoReader(f.bytes!).fields()) {
        if (a.no === 1) name = text.decode(a.bytes!);
        else if (a.no === 3) i = a.value;
        else if (a.no === 6 || a.no === 11) {
          for (const f of new ProtoReader(a.bytes!).fields()) if (f.no === 1) {
            const inner = readNode(f);
            node.captured.push(...inner.inputs, ...inner.captured);
          }
        }
      }
      if (i !== undefined) node.ints.set(name, i);
    }
  }
  return node;
}

/** The first string field `no` of a message ('' when it has none). */
function stringField(message: Uint8Array, no: number): string {
  for (const f of new ProtoReader(message).fields()) if (f.no === no) return text.decode(f.bytes!);
  return '';
}

/** A kept TensorProto with its external_data pointing into the new chunk, every other field as it was. */
function movedTensor(tensor: Uint8Array, at: { location: string; offset: number; length: number }): Writer {
  const w = new Writer();
  for (const f of new ProtoReader(tensor).fields()) if (f.no !== 13 && f.no !== 14) w.raw(tensor.subarray(f.start, f.end));
  return externalData(w, at);
}

function f32View(bytes: Uint8Array): Float32Array {
  return bytes.byteOffset % 4 ? new Float32Array(bytes.slice().buffer) : new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
}
