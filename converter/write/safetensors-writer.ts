// Writes a .safetensors file one tensor at a time: the header is built from the tensor specs alone (names,
// dtypes, shapes), then each tensor's bytes are streamed in chunks, so a multi-GB shard is never in memory.
// Format: u64 LE header length, JSON header padded with spaces to a multiple of 8, then the raw data.

import { open } from 'node:fs/promises';
import { BYTES, type SafetensorsDType } from '../read/safetensors.ts';

export interface TensorSpec {
  name: string;
  dtype: SafetensorsDType;
  shape: readonly number[];
}

export function byteLength(spec: TensorSpec): number {
  return spec.shape.reduce((a, b) => a * b, 1) * BYTES[spec.dtype];
}

/** Produces a tensor's bytes in order, in chunks of any size. */
export type TensorBytes = (spec: TensorSpec) => AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export function safetensorsHeader(specs: readonly TensorSpec[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const s of specs) {
    const n = byteLength(s);
    header[s.name] = { dtype: s.dtype, shape: s.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const out = Buffer.alloc(8 + padded, 0x20);
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, 8);
  return out;
}

export async function writeSafetensors(path: string, specs: readonly TensorSpec[], bytesOf: TensorBytes, metadata?: Record<string, string>): Promise<void> {
  const fh = await open(path, 'w');
  try {
    let pos = 0;
    const write = async (b: Uint8Array) => {
      await fh.write(b, 0, b.length, pos);
      pos += b.length;
    };
    await write(safetensorsHeader(specs, metadata));
    for (const s of specs) {
      const expected = byteLength(s);
      let got = 0;
      for await (const chunk of bytesOf(s)) {
        got += chunk.length;
        if (got > expected) break;
        await write(chunk);
      }
      if (got !== expected) throw new Error(`${path}: tensor ${s.name} produced ${got} bytes, expected ${expected} for ${s.dtype}[${s.shape}]`);
    }
  } finally {
    await fh.close();
  }
}
