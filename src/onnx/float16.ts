// The float16 graphs (the `fp16` and `q4f16` dtypes) as one pass over a finished float32 graph, in the spirit of
// onnxconverter-common's convert_float_to_float16(keep_io_types=True): the emitters build the same graph
// for every dtype and this pass decides, node by node, which precision each runs in.
//
//   precision of a node   float32  if its op is numerically sensitive (FLOAT32_OPS: the norms — as
//                                  onnxruntime-genai forces LayerNorm to fp32 —, Softmax, reductions, Pow,
//                                  Cos/Sin), or if none of its float inputs is float16 (a float32 "island",
//                                  e.g. M-RoPE angles computed from integer positions: position·inv_freq
//                                  reaches 10⁴–10⁵, where binary16's step is 8–64, so they stay float32);
//                         float16  otherwise (every Linear, attention, conv, activation, residual add …).
//   Cast float → float     removed: the value keeps its precision and each consumer casts as it needs
//                          (q4's Cast(float16 scales → float32) disappears, MatMulNBits reads them directly).
//   Cast int → float       float32 (starts an island); Cast to int/bool unchanged.
//   an input whose precision differs from its node's   a Cast before the node (one per value and type), or a
//                          float16 copy for a small inline float32 constant; float16 weights read by a
//                          float32 node go through a Cast that onnxruntime folds when it builds the session.
//   Scan                   float32 like FLOAT32_OPS, body included: the body (built float32, graph.ts subgraph)
//                          is left as it is, and each outer value it reads that is float16 here is cast to
//                          float32 before the Scan and renamed in the body.
//   graph inputs/outputs   keep their declared float32, except the names `float16IO` selects (the decoder's
//                          KV cache), which become float16; an output computed in the other precision gets a
//                          final Cast under its own name.
// Weights (TensorProto with external data) must already be float16 when the pass runs: Graph stores float32
// weights as binary16 as they stream out (graph.ts), since a 3B model's weights are never held in memory.
// A new op type needs a line in OUTPUT_TYPE or GENERIC_OPS: the pass refuses ops whose typing it does not know.

import { f16Bytes } from './f16.ts';
import { DataType, type AttrValue, type DType, type GraphProto, type NodeProto, type TensorProto, type ValueInfo } from './proto.ts';

export interface Float16Options {
  /** Float graph inputs/outputs that become float16 (default: none, every float32 I/O stays float32). */
  float16IO?: (name: string) => boolean;
}

/** Ops kept in float32 behind Casts: normalizations, softmax, reductions and the transcendental tables. */
export const FLOAT32_OPS: ReadonlySet<string> = new Set([
  'LayerNormalization', 'SimplifiedLayerNormalization', 'SkipLayerNormalization', 'SkipSimplifiedLayerNormalization',
  'Softmax', 'ReduceMean', 'ReduceSum', 'ReduceProd', 'Pow', 'Sqrt', 'Cos', 'Sin', 'Scan',
]);

/** Ops whose outputs are not their data's float type. */
const OUTPUT_TYPE: Readonly<Record<string, (inputs: (DType | null)[]) => DType>> = {
  Shape: () => 'int64',
  Equal: () => 'bool',
  Where: (t) => t[1]!,
};

/** Ops whose every output has the type of their (float, else first) data input. */
const GENERIC_OPS: ReadonlySet<string> = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Neg', 'Min', 'Sqrt', 'Pow', 'Sigmoid', 'Cos', 'Sin', 'Gelu', 'Softmax',
  'MatMul', 'Gemm', 'MatMulNBits', 'Conv', 'ConvTranspose', 'MaxPool', 'Pad',
  'Reshape', 'Transpose', 'Concat', 'Split', 'Slice', 'Squeeze', 'Unsqueeze', 'Gather', 'Identity', 'Range',
  'ReduceMean', 'ReduceSum', 'ReduceProd',
  'LayerNormalization', 'SimplifiedLayerNormalization', 'SkipSimplifiedLayerNormalization',
  'RotaryEmbedding', 'GroupQueryAttention', 'MultiHeadAttention', 'Scan',
]);

const isFloat = (t: DType | null | undefined): t is 'float16' | 'float32' => t === 'float16' || t === 'float32';

const DTYPE_OF_CODE = new Map<number, DType>(Object.entries(DataType).map(([k, v]) => [v, k as DType]));

/** Returns `graph` with its float computation in float16 (see the header for the rules). */
export function toFloat16(graph: GraphProto, opts: Float16Options = {}): GraphProto {
  return new Float16Pass(graph, opts.float16IO ?? (() => false)).run();
}

class Float16Pass {
  private readonly type = new Map<string, DType>(); // value → its type in the new graph
  private readonly alias = new Map<string, string>(); // value of the old graph → the new graph's name for it
  private readonly casts = new Map<string, string>(); // `${value}>${type}` → the cast value
  private readonly inline = new Map<string, TensorProto>(); // inline float32 initializers (constants)
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly outputType = new Map<string, DType>(); // graph output → its declared type in the new graph

  constructor(private readonly g: GraphProto, private readonly float16IO: (name: string) => boolean) {}

  run(): GraphProto {
    const inputs = this.g.inputs.map((v) => this.io(v));
    for (const v of inputs) this.type.set(v.name, v.dtype);
    const outputs = this.g.outputs.map((v) => this.io(v));
    for (const v of outputs) this.outputType.set(v.name, v.dtype);
    for (const t of this.g.initializers) {
      if (t.dtype === 'float32' && !(t.data instanceof Uint8Array)) throw new Error(`float16: weight ${t.name} is still float32 (Graph stores weights as float16 in a float16 graph)`);
      if (t.dtype === 'float32') this.inline.set(t.name, t);
      this.initializers.push(t);
      this.type.set(t.name, t.dtype);
    }
    for (const n of this.g.nodes) this.node(n);
    for (const o of outputs) this.finishOutput(o);
    // A float32 constant every consumer of which took its float16 copy is dropped.
    const used = new Set(this.nodes.flatMap((n) => n.inputs));
    const initializers = this.initializers.filter((t) => !this.inline.has(t.name) || used.has(t.name));
    return { ...this.g, nodes: this.nodes, initializers, inputs, outputs };
  }

  /** A graph input/output as the new graph declares it. */
  private io(v: ValueInfo): ValueInfo {
    return v.dtype === 'float32' && this.float16IO(v.name) ? { ...v, dtype: 'float16' } : v;
  }

  private resolve(name: string): string {
    return this.alias.get(name) ?? name;
  }

  private typeOf(name: string): DType {
    const t = this.type.get(name);
    if (!t) throw new Error(`float16: no type known for value ${name}`);
    return t;
  }

  private node(n: NodeProto): void {
    const inputs = n.inputs.map((i) => (i === '' ? '' : this.resolve(i)));
    const inTypes = inputs.map((i) => (i === '' ? null : this.typeOf(i)));
    if (n.opType === 'Cast' && n.domain === '') {
      const to = DTYPE_OF_CODE.get(n.attrs.to as number);
      if (!to) throw new Error(`float16: ${n.name} casts to unknown type ${String(n.attrs.to)}`);
      if (isFloat(inTypes[0]) && isFloat(to)) return void this.alias.set(n.outputs[0], inputs[0]);
      this.emit({ ...n, inputs }, [to]);
      return;
    }
    if (!GENERIC_OPS.has(n.opType) && !(n.opType in OUTPUT_TYPE)) throw new Error(`float16: no typing rule for op ${n.opType} (node ${n.name}); add it to src/onnx/float16.ts`);
    const precision = FLOAT32_OPS.has(n.opType) || !inTypes.includes('float16') ? 'float32' : 'float16';
    const cast = inputs.map((i, k) => (isFloat(inTypes[k]) && inTypes[k] !== precision ? this.castTo(i, precision) : i));
    const castTypes = inTypes.map((t) => (isFloat(t) ? precision : t));
    const data = castTypes.find(isFloat) ?? castTypes.find((t) => t !== null) ?? 'float32';
    const out = OUTPUT_TYPE[n.opType]?.(castTypes) ?? data;
    const attrs = n.opType === 'Scan' ? { ...n.attrs, body: { graph: this.float32Body(n) } } : n.attrs;
    this.emit({ ...n, inputs: cast, attrs }, n.outputs.map(() => out));
  }

  /** A Scan's body reading float32 outer values: each one this graph has in float16 is read through a Cast. */
  private float32Body(n: NodeProto): GraphProto {
    const body = (n.attrs.body as { graph: GraphProto }).graph;
    const local = new Set([...body.inputs.map((v) => v.name), ...body.initializers.map((t) => t.name), ...body.nodes.flatMap((b) => b.outputs)]);
    const rename = new Map<string, string>();
    for (const i of body.nodes.flatMap((b) => b.inputs)) {
      if (i === '' || local.has(i) || rename.has(i)) continue;
      const outer = this.resolve(i);
      rename.set(i, this.typeOf(outer) === 'float16' ? this.castTo(outer, 'float32') : outer);
    }
    const nodes = body.nodes.map((b) => ({ ...b, inputs: b.inputs.map((i) => rename.get(i) ?? i) }));
    return { ...body, nodes };
  }

  /** Appends `n`; an output that is a graph output of another type is produced under a new name first. */
  private emit(n: NodeProto, types: DType[]): void {
    const outputs = n.outputs.map((o, k) => {
      if (o === '') return o;
      const declared = this.outputType.get(o);
      const name = declared && declared !== types[k] ? `${o}/${types[k]}` : o;
      if (name !== o) this.alias.set(o, name);
      this.type.set(name, types[k]);
      return name;
    });
    this.nodes.push({ ...n, outputs });
  }

  /** `value` as `to`: a float16 copy of an inline constant, else a Cast (memoized). */
  private castTo(value: string, to: 'float16' | 'float32'): string {
    const key = `${value}>${to}`;
    const done = this.casts.get(key);
    if (done) return done;
    const name = `${value}/${to}`;
    const constant = this.inline.get(value);
    if (constant && to === 'float16') {
      const bytes = constant.data as Uint8Array;
      const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      this.initializers.push({ name, dtype: 'float16', dims: constant.dims, data: f16Bytes(values) });
    } else {
      this.nodes.push(castNode(`${value}/Cast_${to}`, value, name, to));
    }
    this.type.set(name, to);
    this.casts.set(key, name);
    return name;
  }

  /** Makes the graph output `o` exist under its name with its declared type. */
  private finishOutput(o: ValueInfo): void {
    const src = this.resolve(o.name);
    const t = this.typeOf(src);
    if (src === o.name && t === o.dtype) return;
    if (!isFloat(t)) throw new Error(`float16: graph output ${o.name} is ${t}, declared ${o.dtype}`);
    this.nodes.push(t === o.dtype ? { name: `/outputs/${o.name}/Identity`, opType: 'Identity', domain: '', inputs: [src], outputs: [o.name], attrs: {} } : castNode(`/outputs/${o.name}/Cast`, src, o.name, o.dtype as 'float16' | 'float32'));
  }
}

function castNode(name: string, input: string, output: string, to: 'float16' | 'float32'): NodeProto {
  const attrs: Record<string, AttrValue> = { to: DataType[to] };
  return { name, opType: 'Cast', domain: '', inputs: [input], outputs: [output], attrs };
}
