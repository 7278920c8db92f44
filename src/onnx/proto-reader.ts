// A minimal protobuf wire-format reader over a byte view, the counterpart of proto.ts' writer: the engine reads
// initializers out of a graph with it (src/engine/load/onnx-initializers.ts) and rewrites graphs field by field
// (src/engine/encoders/int8-linears.ts), copying every field it does not change verbatim (`start`..`end`).

export interface ProtoField {
  no: number;
  /** Wire type 0: the varint; other wire types: 0. */
  value: number;
  /** Wire type 2 (length-delimited): the payload; other wire types: null. */
  bytes: Uint8Array | null;
  /** The whole field, key included, as offsets into the reader's buffer. */
  start: number;
  end: number;
}

export class ProtoReader {
  private pos = 0;
  constructor(readonly buf: Uint8Array) {}

  private varint(): number {
    let result = 0, scale = 1;
    for (;;) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw new Error('onnx: truncated protobuf');
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
  }

  *fields(): Generator<ProtoField> {
    while (this.pos < this.buf.length) {
      const start = this.pos;
      const key = this.varint();
      const no = Math.floor(key / 8), wire = key & 7;
      let value = 0, bytes: Uint8Array | null = null;
      if (wire === 0) value = this.varint();
      else if (wire === 2) {
        const len = this.varint();
        if (this.pos + len > this.buf.length) throw new Error('onnx: truncated protobuf');
        bytes = this.buf.subarray(this.pos, this.pos + len);
        this.pos += len;
      } else if (wire === 1) this.pos += 8;
      else if (wire === 5) this.pos += 4;
      else throw new Error(`onnx: unsupported protobuf wire type ${wire}`);
      yield { no, value, bytes, start, end: this.pos };
    }
  }

  *messages(): Generator<[number, ProtoReader]> {
    for (const f of this.fields()) if (f.bytes) yield [f.no, new ProtoReader(f.bytes)];
  }

  *packedVarints(): Generator<number> {
    while (this.pos < this.buf.length) yield this.varint();
  }
}
