// safetensors: u64 little-endian header length N, an N-byte JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}, then the raw little-endian bytes.
// Tensors are read one at a time from their byte range (a ByteSource: a local file or a Hub file), so an
// 8 GB checkpoint is never held in memory.

import type { ByteSource } from './byte-source.ts';

export type SafetensorsDType = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32';
export const BYTES: Record<SafetensorsDType, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };

export interface TensorEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: readonly number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** Header sizes above this are corrupt, not real: the largest real headers are a few hundred KB. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export class SafetensorsFile {
  private constructor(
    /** The source's name: a path, or a URL. */
    readonly path: string,
    private readonly src: ByteSource,
    readonly entries: ReadonlyMap<string, TensorEntry>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  /** Reads the header of a local file (a path) or of any ByteSource (a Hub file: two range reads). */
  static async open(file: string | ByteSource): Promise<SafetensorsFile> {
    // A path means Node: its file system module is loaded only then, so that browsers never import it.
    const src = typeof file === 'string' ? await (await import('./node-byte-source.ts')).openFileSource(file).catch((e: Error) => {
      throw new SafetensorsError(e.message);
    }) : file;
    const path = src.name;
    try {
      const { size } = src;
      if (size < 8) throw new SafetensorsError(`${path}: ${size} bytes is too short for a safetensors file (truncated?)`);
      const len = await src.read(0, 8);
      const n = Number(new DataView(len.buffer, len.byteOffset, 8).getBigUint64(0, true));
      if (n > MAX_HEADER_BYTES || 8 + n > size) {
        throw new SafetensorsError(`${path}: header length ${n} overruns the file of ${size} bytes (truncated or not safetensors)`);
      }
      let header: unknown;
      try {
        header = JSON.parse(new TextDecoder().decode(await src.read(8, 8 + n)));
      } catch {
        throw new SafetensorsError(`${path}: header is not valid JSON (corrupt file)`);
      }
      if (typeof header !== 'object' || header === null || Array.isArray(header)) {
        throw new SafetensorsError(`${path}: header is not a JSON object of tensors (corrupt file)`);
      }
      const dataStart = 8 + n;
      const entries = new Map<string, TensorEntry>();
      for (const [name, raw] of Object.entries(header)) {
        if (name === '__metadata__') continue;
        entries.set(name, validateEntry(path, name, raw, dataStart, size));
      }
      checkNoOverlap(path, [...entries.values()]);
      return new SafetensorsFile(path, src, entries, ((header as Record<string, unknown>).__metadata__ as Record<string, string>) ?? {});
    } catch (e) {
      await src.close();
      throw e;
    }
  }

  /** Reads one tensor's raw bytes. */
  async readBytes(name: string): Promise<Uint8Array> {
    const e = this.entries.get(name);
    if (!e) throw new SafetensorsError(`${this.path}: no tensor ${name}`);
    return this.src.read(e.begin, e.end);
  }

  /** Reads one tensor converted to float32 (integer tensors are converted too). */
  async readFloat32(name: string): Promise<Float32Array> {
    const e = this.entries.get(name);
    if (!e) throw new SafetensorsError(`${this.path}: no tensor ${name}`);
    return toFloat32(await this.readBytes(name), e.dtype);
  }

  /** Rows [begin, end) of a tensor (along its first dim) as float32: a large tensor read a part at a time. */
  async readFloat32Rows(name: string, begin: number, end: number): Promise<Float32Array> {
    const e = this.entries.get(name);
    if (!e) throw new SafetensorsError(`${this.path}: no tensor ${name}`);
    const rows = e.shape[0] ?? 1;
    if (!(0 <= begin && begin <= end && end <= rows)) throw new SafetensorsError(`${this.path}: rows ${begin}..${end} of ${name}, which has ${rows}`);
    const rowBytes = (e.end - e.begin) / rows;
    return toFloat32(await this.src.read(e.begin + begin * rowBytes, e.begin + end * rowBytes), e.dtype);
  }

  close(): Promise<void> {
    return this.src.close();
  }
}

function validateEntry(path: string, name: string, raw: unknown, dataStart: number, size: number): TensorEntry {
  const r = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  const where = `${path}: tensor ${name}`;
  if (typeof r?.dtype !== 'string' || !(r.dtype in BYTES)) {
    throw new SafetensorsError(`${where}: unsupported dtype ${JSON.stringify(r?.dtype)} (supported: ${Object.keys(BYTES).join(', ')})`);
  }
  const dtype = r.dtype as SafetensorsDType;
  if (!Array.isArray(r.shape) || !r.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new SafetensorsError(`${where}: bad shape ${JSON.stringify(r.shape)}`);
  }
  const off = r.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[1] < off[0]) {
    throw new SafetensorsError(`${where}: bad data_offsets ${JSON.stringify(off)}`);
  }
  const shape = r.shape as number[];
  const expected = shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
  if (off[1] - off[0] !== expected) {
    throw new SafetensorsError(`${where}: ${off[1] - off[0]} bytes for ${dtype}[${shape}] (expected ${expected})`);
  }
  const begin = dataStart + off[0];
  const end = dataStart + off[1];
  if (end > size) throw new SafetensorsError(`${where}: bytes ${begin}..${end} overrun the file of ${size} bytes (truncated?)`);
  return { name, dtype, shape, begin, end };
}

/** Two tensors sharing bytes means a corrupt header (the format lays tensors out back to back). */
function checkNoOverlap(path: string, entries: TensorEntry[]): void {
  const sorted = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) {
      throw new SafetensorsError(`${path}: tensors ${sorted[i - 1].name} and ${sorted[i].name} overlap (bytes ${sorted[i].begin} < ${sorted[i - 1].end}; corrupt header)`);
    }
  }
}

/** IEEE half → float. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

export function toFloat32(bytes: Uint8Array, dtype: SafetensorsDType): Float32Array {
  const n = bytes.length / BYTES[dtype];
  // Typed-array views need an aligned offset; a fresh copy is aligned (safetensors and every target are little-endian).
  const aligned = bytes.byteOffset % BYTES[dtype] === 0 ? bytes : bytes.slice();
  const buf = aligned.buffer;
  const off = aligned.byteOffset;
  switch (dtype) {
    case 'F32':
      return new Float32Array(buf.slice(off, off + aligned.byteLength));
    case 'BF16': { // bf16 is the top half of a float32
      const src = new Uint16Array(buf, off, n);
      const out = new Float32Array(n);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = src[i] << 16;
      return out;
    }
    case 'F16': {
      const src = new Uint16Array(buf, off, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(src[i]);
      return out;
    }
    case 'I64': {
      const src = new BigInt64Array(buf, off, n);
      return Float32Array.from(src, (v) => Number(v));
    }
    case 'I32':
      return Float32Array.from(new Int32Array(buf, off, n));
  }
}
