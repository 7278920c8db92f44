// A declarative ONNX graph builder in the spirit of onnx-ir's Tape and onnxruntime-genai's builder:
// emitters call `op()` and get the output Value back, so the wiring is checked by TypeScript and reads
// like the model's forward pass. Node names spell out their path ("/model/layers.3/attn/q_proj/MatMul"),
// outputs are "<node>/output_<i>", constants are deduplicated, and weights keep their checkpoint names.

import { f16Bytes, fitsF16 } from './f16.ts';
import { toFloat16, type Float16Options } from './float16.ts';
import { BYTES_PER_ELEMENT, encodeModel, type AttrValue, type Dim, type DType, type GraphProto, type NodeProto, type TensorProto, type ValueInfo } from './proto.ts';

/** A named tensor flowing through the graph. */
export interface Value {
  readonly name: string;
}

export type Attrs = Record<string, AttrValue | undefined>;

/** Raw tensor contents: little-endian bytes of `dtype`, row-major. */
export interface TensorData {
  dtype: DType;
  dims: readonly number[];
  bytes: Uint8Array;
}

/** Where initializer bytes go: inline in the .onnx, or appended to an external data file. */
export interface WeightStore {
  put(name: string, bytes: Uint8Array): TensorProto['data'];
}

/** Keeps every initializer inside the .onnx protobuf (small graphs, tests). */
export const inlineWeights: WeightStore = { put: (_name, bytes) => bytes };

export function tensorData(dtype: DType, dims: readonly number[], values: ArrayLike<number> | ArrayLike<bigint>): TensorData {
  const n = dims.reduce((a, b) => a * b, 1);
  if (values.length !== n) throw new Error(`tensorData: ${values.length} values for dims [${dims}]`);
  let arr: ArrayBufferView;
  switch (dtype) {
    case 'float32': arr = Float32Array.from(values as ArrayLike<number>); break;
    case 'int64': arr = BigInt64Array.from(Array.from(values as ArrayLike<number>, (v) => BigInt(v))); break;
    case 'int32': arr = Int32Array.from(values as ArrayLike<number>); break;
    case 'uint8': case 'bool': arr = Uint8Array.from(values as ArrayLike<number>); break;
    case 'int8': arr = Int8Array.from(values as ArrayLike<number>); break;
    default: throw new Error(`tensorData: build ${dtype} bytes directly`);
  }
  return { dtype, dims, bytes: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength) };
}

export interface GraphOptions {
  /**
   * Build a float16 graph (the fp16 / q4f16 dtypes): float32 weights are stored as binary16 as they stream into
   * the store, and encode() runs the float16 pass (float16.ts) over the float32 graph the emitters built.
   */
  float16?: Float16Options;
}

export class Graph {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly defined = new Set<string>();
  private readonly constants = new Map<string, Value>();
  readonly opsets: Record<string, number> = { '': 17, 'com.microsoft': 1 };

  /** `outer`: the graph a control-flow body (Scan's `body`) lives in; the body's nodes may read its values. */
  constructor(readonly name: string, private readonly store: WeightStore = inlineWeights, private readonly options: GraphOptions = {}, private readonly outer?: Graph) {}

  /**
   * A body graph for a control-flow node of this graph (pass `{ graph: body.proto() }` as its attribute). It
   * may read this graph's values by name, and names its own constants under its name so none shadows ours.
   * It is always float32: the float16 pass types a Scan node's body as float32 (onnx/float16.ts).
   */
  subgraph(name: string): Graph {
    return new Graph(name, inlineWeights, {}, this);
  }

  /** A view of this graph that prefixes node names with `path` ("/model/layers.3"). */
  at(path: string): Scope {
    return new Scope(this, path);
  }

  input(name: string, dtype: DType, dims: readonly Dim[]): Value {
    this.define(name);
    this.inputs.push({ name, dtype, dims });
    return { name };
  }

  /** Declares `v` a graph output called `name` (an Identity node renames it when needed). */
  output(v: Value, name: string, dtype: DType, dims: readonly Dim[]): void {
    if (v.name !== name) this.node('Identity', `/outputs/${name}`, [v], {}, [name]);
    this.outputs.push({ name, dtype, dims });
  }

  /** A checkpoint weight (or a tensor derived from one) under its checkpoint name. */
  weight(name: string, t: TensorData): Value {
    if (this.options.float16 && t.dtype === 'float32') t = halfWeight(name, t);
    const expected = t.dims.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[t.dtype];
    if (t.bytes.length !== expected) throw new Error(`weight ${name}: ${t.bytes.length} bytes for ${t.dtype}[${t.dims}]`);
    this.define(name);
    this.initializers.push({ name, dtype: t.dtype, dims: t.dims, data: this.store.put(name, t.bytes) });
    return { name };
  }

  /** A small constant, deduplicated by content and always inline. */
  constant(t: TensorData): Value {
    const key = `${t.dtype}[${t.dims}]:${Array.from(t.bytes).join(',')}`;
    const seen = this.constants.get(key);
    if (seen) return seen;
    const name = `${this.outer ? `/${this.name}` : ''}/constants/${t.dtype}_${this.constants.size}`;
    this.define(name);
    this.initializers.push({ name, dtype: t.dtype, dims: t.dims, data: t.bytes });
    const v = { name };
    this.constants.set(key, v);
    return v;
  }

  ints(values: readonly number[]): Value {
    return this.constant(tensorData('int64', [values.length], values));
  }

  scalar(value: number, dtype: DType = 'float32'): Value {
    return this.constant(tensorData(dtype, [], [value]));
  }

  /** Emits one node; `null` inputs are ONNX's "optional input omitted". */
  node(opType: string, name: string, inputs: readonly (Value | null)[], attrs: Attrs = {}, outputs: number | string[] = 1, domain = ''): Value[] {
    const outNames = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => `${name}/output_${i}`) : outputs;
    for (const i of inputs) if (i && !this.has(i.name)) throw new Error(`${name}: input ${i.name} is not defined yet`);
    // '' is ONNX's "optional output not produced" (e.g. SkipSimplifiedLayerNormalization's mean/inv_std_var).
    for (const o of outNames) if (o !== '') this.define(o);
    const cleanAttrs: Record<string, AttrValue> = {};
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) cleanAttrs[k] = v;
    this.nodes.push({ name, opType, domain, inputs: inputs.map((i) => i?.name ?? ''), outputs: outNames, attrs: cleanAttrs });
    return outNames.map((n) => ({ name: n }));
  }

  /** Whether `name` can be read here: defined in this graph or, for a body, in the graphs around it. */
  private has(name: string): boolean {
    return this.defined.has(name) || (this.outer?.has(name) ?? false);
  }

  private define(name: string): void {
    if (this.has(name)) throw new Error(`graph ${this.name}: value ${name} defined twice`);
    this.defined.add(name);
  }

  /** The graph as the emitters built it (before the float16 pass); every output must have been produced. */
  proto(): GraphProto {
    for (const o of this.outputs) if (!this.defined.has(o.name)) throw new Error(`output ${o.name} is never produced`);
    return { name: this.name, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs };
  }

  /** Serializes the model (through the float16 pass for a float16 graph). */
  encode(metadata?: Record<string, string>): Uint8Array {
    const graph = this.proto();
    return encodeModel({
      producer: 'fo1-web',
      opsets: this.opsets,
      metadata,
      graph: this.options.float16 ? toFloat16(graph, this.options.float16) : graph,
    });
  }
}

/** A float32 weight as binary16 (a float16 graph's storage); one binary16 cannot hold is an error naming it. */
function halfWeight(name: string, t: TensorData): TensorData {
  const b = t.bytes.byteOffset % 4 === 0 ? t.bytes : t.bytes.slice();
  const values = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  if (!fitsF16(values)) throw new Error(`weight ${name} has values beyond float16's range (±65504); convert it as fp32 or q4 instead`);
  return { dtype: 'float16', dims: t.dims, bytes: f16Bytes(values) };
}

/** A graph seen from one path: `s.op('MatMul', 'q_proj/MatMul', [x, w])` names the node "<path>/q_proj/MatMul". */
export class Scope {
  constructor(readonly graph: Graph, readonly path: string) {}

  at(sub: string): Scope {
    return new Scope(this.graph, `${this.path}/${sub}`);
  }

  op(opType: string, name: string, inputs: readonly (Value | null)[], attrs: Attrs = {}): Value {
    return this.graph.node(opType, `${this.path}/${name}`, inputs, attrs)[0];
  }

  /** A com.microsoft contrib op. */
  ms(opType: string, name: string, inputs: readonly (Value | null)[], attrs: Attrs = {}, outputs = 1): Value[] {
    return this.graph.node(opType, `${this.path}/${name}`, inputs, attrs, outputs, 'com.microsoft');
  }

  multi(opType: string, name: string, inputs: readonly (Value | null)[], attrs: Attrs, outputs: number): Value[] {
    return this.graph.node(opType, `${this.path}/${name}`, inputs, attrs, outputs);
  }
}
