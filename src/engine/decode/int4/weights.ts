// decoder_model_merged's weights, taken from its own initializers (converter/emit/linear.ts q4Initializers,
// checkpoint names) into the kernels' memory in the layout gemm.as.ts multiplies: block scales widened float16 →
// float32, and codes, scales and zero points regrouped four rows at a time (Kernels.loadQ4, which also unpacks
// the zero points to a byte each).
import { widenF16 } from '../../../onnx/f16.ts';
import type { Initializer } from '../../load/onnx-initializers.ts';
import { q4InitializerNames } from '../../../model-folder/graph-io.ts';
import { DataType } from '../../../model-folder/onnx-types.ts';
import type { Kernels } from './kernels.ts';

/** The one block size the kernels implement (16 code bytes a block). */
export const KERNEL_BLOCK = 32;

/** An int4 Linear in kernel memory (gemm.as.ts' layout): y (M, N) = x (M, K) · Wᵀ + bias. Pointers are byte offsets. */
export interface Q4Linear {
  name: string;
  N: number;
  K: number;
  kb: number;
  B: number;
  S: number;
  Z: number;
  /** (N) f32, or 0 for none. */
  bias: number;
}

export class DecoderWeights {
  constructor(
    private readonly k: Kernels,
    private readonly inits: Map<string, Initializer>,
    private readonly graph: string,
  ) {}

  private get(name: string, dataType: number, elements: number): Initializer {
    const t = this.inits.get(name);
    if (!t) throw new Error(`${this.graph}: no initializer ${name}`);
    const size = t.dataType === DataType.float16 ? 2 : t.dataType === DataType.float32 ? 4 : 1;
    if (t.dataType !== dataType || t.bytes.length !== elements * size) throw new Error(`${this.graph}: ${name} is type ${t.dataType} with ${t.bytes.length} bytes, expected type ${dataType} with ${elements} elements`);
    return t;
  }

  /** A float32 vector (a norm weight, a bias) as a JS array. */
  vector(name: string, length: number): Float32Array {
    const t = this.get(name, DataType.float32, length);
    return new Float32Array(t.bytes.slice().buffer);
  }

  /**
   * Checkpoint Linear `prefix` (N, K) in the int4 block-32 format. Throws when the graph stores it otherwise
   * (float32 for small K, another block size): the caller then keeps onnxruntime's decoder.
   */
  linear(prefix: string, N: number, K: number, opts: { bias: boolean }): Q4Linear {
    const kb = Math.ceil(K / KERNEL_BLOCK);
    const { codes: codesName, scales: scaleName, zeroPoints: zpName } = q4InitializerNames(prefix, KERNEL_BLOCK);
    if (!this.inits.has(codesName)) throw new Error(`${this.graph}: ${prefix} is not an int4 block-${KERNEL_BLOCK} weight (no ${codesName})`);
    const codes = this.get(codesName, DataType.uint8, N * kb * (KERNEL_BLOCK / 2));
    const wide = this.inits.get(scaleName)?.dataType === DataType.float32; // folders from before float16 scales
    const zpPacked = this.get(zpName, DataType.uint8, N * Math.ceil(kb / 2));
    const scales = wide
      ? new Float32Array(this.get(scaleName, DataType.float32, N * kb).bytes.slice().buffer)
      : widenF16(new Uint16Array(this.get(scaleName, DataType.float16, N * kb).bytes.slice().buffer));
    const k = this.k;
    const { B, S, Z } = k.loadQ4(codes.bytes, scales, zpPacked.bytes, N, kb);
    let bias = 0;
    if (opts.bias) {
      bias = k.alloc(N * 4);
      k.f32(bias, N).set(this.vector(`${prefix}.bias`, N));
    }
    return { name: prefix, N, K, kb, B, S, Z, bias };
  }
}
