// Minimal NumPy .npy reader for golden tensors (format version 1.0/2.0/3.0, C order, little-endian
// float32/float64/int32/int64/uint8). Anything else is refused with the header it found.
export interface NpyArray {
  shape: number[];
  dtype: string;
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
}

export function readNpy(bytes: Uint8Array): NpyArray {
  const magic = String.fromCharCode(...bytes.subarray(1, 6));
  if (bytes[0] !== 0x93 || magic !== 'NUMPY') throw new Error('not a .npy file (bad magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`unreadable .npy header: ${header}`);
  if (fortran === 'True') throw new Error(`Fortran-order .npy is not supported: ${header}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  // Copy (Uint8Array.from, since Buffer#slice is a view) so the typed array is aligned whatever the header length.
  const body = Uint8Array.from(bytes.subarray(headerStart + headerLen)).buffer;
  const types: Record<string, (b: ArrayBuffer) => NpyArray['data']> = {
    '<f4': (b) => new Float32Array(b, 0, count),
    '<f8': (b) => new Float64Array(b, 0, count),
    '<i4': (b) => new Int32Array(b, 0, count),
    '<i8': (b) => new BigInt64Array(b, 0, count),
    '|u1': (b) => new Uint8Array(b, 0, count),
  };
  const make = types[descr];
  if (!make) throw new Error(`.npy dtype ${descr} is not supported`);
  return { shape, dtype: descr, data: make(body) };
}
