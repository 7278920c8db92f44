// Named-weight access shared by the emitters, the TS reference and the tests. Browser-safe (no node:
// imports): emitters run in the converter, and their I/O contracts are read by the engine.

import type { Tensor } from './tensor.ts';

/** Read access to named weights; shapes are known without reading data. */
export interface WeightSource {
  has(name: string): boolean;
  shape(name: string): readonly number[] | undefined;
  /** The tensor as float32, or an error naming the tensor (and expected shape, when given). */
  get(name: string, expectedShape?: readonly number[]): Promise<Tensor>;
  names(): string[];
  /**
   * Rows [begin, end) of a tensor along its first dim, shape (end − begin, …rest): how a tensor too large to
   * hold whole in float32 (the 151936-row embedding) is read, where the source can.
   */
  getRows?(name: string, begin: number, end: number): Promise<Tensor>;
}

/** `w` with each tensor passed through `f` as it is read (e.g. the rounded weights a quantized graph multiplies by). */
export function mapWeights(w: WeightSource, f: (name: string, t: Tensor) => Tensor): WeightSource {
  return {
    has: (name) => w.has(name),
    shape: (name) => w.shape(name),
    names: () => w.names(),
    get: async (name, expectedShape) => f(name, await w.get(name, expectedShape)),
  };
}
