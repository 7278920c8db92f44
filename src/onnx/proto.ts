// A minimal, dependency-free protobuf *writer* for the subset of onnx.proto that the converter emits.
// Field numbers are those of onnx/onnx.proto (IR version 8+). Writing by hand keeps the output
// byte-for-byte deterministic and lets large initializers point at external data instead of
// passing through an object model.

import { BYTES_PER_ELEMENT, DataType, type Dim, type DType, type ValueInfo } from '../model-folder/onnx-types.ts';

export { BYTES_PER_ELEMENT, DataType, type Dim, type DType, type ValueInfo };

/** Appends protobuf wire-format fields to a growing list of byte chunks. */
export class Writer {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];

  private flushScratch(): void {
    if (this.scratch.length) {
      this.chunks.push(Uint8Array.from(this.scratch));
      this.scratch = [];
    }
  }

  private varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.scratch.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.scratch.push(Number(x));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, v: number | bigint): this {
    this.tag(field, 0);
    this.varint(v);
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.scratch.push(...b);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2);
    this.varint(data.length);
    this.flushScratch();
    this.chunks.push(data);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  /** Bytes that are already whole fields (a span copied from a ProtoReader). */
  raw(fields: Uint8Array): this {
    this.flushScratch();
    this.chunks.push(fields);
    return this;
  }

  message(field: number, inner: Writer): this {
    return this.bytes(field, inner.finish());
  }

  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new Writer();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: readonly number[]): this {
    const b = new Uint8Array(values.length * 4);
    const dv = new DataView(b.buffer);
    values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    this.flushScratch();
    let n = 0;
    for (const c of this.chunks) n += c.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    this.chunks = [out];
    return out;
  }
}

export type AttrValue = number | string | number[] | string[] | { float: number } | { floats: number[] } | TensorProto | { graph: GraphProto };

export interface TensorProto {
  name: string;
  dtype: DType;
  dims: readonly number[];
  /** Inline bytes (little-endian), or a pointer into an external data file. */
  data: Uint8Array | { location: string; offset: number; length: number };
}

export interface NodeProto {
  name: string;
  opType: string;
  domain: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs: Readonly<Record<string, AttrValue>>;
}

export interface GraphProto {
  name: string;
  nodes: readonly NodeProto[];
  initializers: readonly TensorProto[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
}

export interface ModelProto {
  graph: GraphProto;
  /** domain → opset version; "" is the default ONNX domain. */
  opsets: Readonly<Record<string, number>>;
  producer: string;
  metadata?: Readonly<Record<string, string>>;
}

export function tensorProto(t: TensorProto): Writer {
  const w = new Writer();
  w.packedInts(1, t.dims);
  w.int(2, DataType[t.dtype]);
  w.string(8, t.name);
  if (t.data instanceof Uint8Array) w.bytes(9, t.data);
  else externalData(w, t.data);
  return w;
}

/** TensorProto's external_data entries (13) and data_location (14) for data in an external file. */
export function externalData(w: Writer, d: { location: string; offset: number; length: number }): Writer {
  const entry = (k: string, v: string) => new Writer().string(1, k).string(2, v);
  w.message(13, entry('location', d.location));
  w.message(13, entry('offset', String(d.offset)));
  w.message(13, entry('length', String(d.length)));
  return w.int(14, 1); // DataLocation.EXTERNAL
}

function attributeProto(name: string, v: AttrValue): Writer {
  const w = new Writer().string(1, name);
  // AttributeType: FLOAT=1 INT=2 STRING=3 TENSOR=4 GRAPH=5 FLOATS=6 INTS=7 STRINGS=8
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: ${v} is not an integer; use {float: x}`);
    w.int(3, v).int(20, 2);
  } else if (typeof v === 'string') w.string(4, v).int(20, 3);
  else if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'number')) w.packedInts(8, v as number[]).int(20, 7);
    else {
      for (const s of v as string[]) w.string(9, s);
      w.int(20, 8);
    }
  } else if ('float' in v) w.float(2, v.float).int(20, 1);
  else if ('floats' in v) w.packedFloats(7, v.floats).int(20, 6);
  else if ('graph' in v) w.message(6, graphProto(v.graph)).int(20, 5);
  else w.message(5, tensorProto(v)).int(20, 4);
  return w;
}

export function nodeProto(n: NodeProto): Writer {
  const w = new Writer();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  // Attributes in sorted order so that emission order never changes the bytes.
  for (const k of Object.keys(n.attrs).sort()) w.message(5, attributeProto(k, n.attrs[k]));
  if (n.domain) w.string(7, n.domain);
  return w;
}

function valueInfoProto(v: ValueInfo): Writer {
  const shape = new Writer();
  for (const d of v.dims) {
    const dim = new Writer();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new Writer().int(1, DataType[v.dtype]).message(2, shape);
  const type = new Writer().message(1, tensorType);
  return new Writer().string(1, v.name).message(2, type);
}

/** A GraphProto: the model's main graph, or a control-flow op's body (an attribute of type GRAPH). */
function graphProto(graph: GraphProto): Writer {
  const g = new Writer();
  for (const n of graph.nodes) g.message(1, nodeProto(n));
  g.string(2, graph.name);
  for (const t of graph.initializers) g.message(5, tensorProto(t));
  for (const i of graph.inputs) g.message(11, valueInfoProto(i));
  for (const o of graph.outputs) g.message(12, valueInfoProto(o));
  return g;
}

export function encodeModel(m: ModelProto): Uint8Array {
  const g = graphProto(m.graph);
  const w = new Writer();
  w.int(1, 8); // ir_version 8 (ONNX 1.10+): supported by every onnxruntime in use
  w.string(2, m.producer);
  w.message(7, g);
  for (const domain of Object.keys(m.opsets).sort()) {
    w.message(8, new Writer().string(1, domain).int(2, m.opsets[domain]));
  }
  for (const [k, v] of Object.entries(m.metadata ?? {})) w.message(14, new Writer().string(1, k).string(2, v));
  return w.finish();
}
