// OpfsSink's own logic (appending at its offset, incremental SHA-256, continuing from a checkpoint) over an
// in-memory stand-in for FileSystemSyncAccessHandle (converter/testing/memory-opfs.ts).

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryHandle } from '../testing/memory-opfs.ts';
import { OpfsSink, OpfsSinkError, StorageFullError } from './opfs-sink.ts';

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('OpfsSink', () => {
  it('appends in order and hashes incrementally: size and sha256 are those of the whole file', async () => {
    const h = new MemoryHandle();
    h.write(bytes(50, 9)); // an older file of that name is replaced
    const sink = await OpfsSink.open('a.onnx_data', h);
    const parts = [bytes(1000, 1), bytes(0, 2), bytes(4097, 3)];
    for (const p of parts) sink.append(p);
    const whole = new Uint8Array([...parts[0], ...parts[2]]);
    expect(sink.finish()).toEqual({ bytes: whole.length, sha256: sha(whole) });
    expect(h.data).toEqual(whole);
    expect(h.closed).toBe(true);
  });

  it('continues from a checkpoint after a reload: later bytes are dropped and written again, the digest is the whole file\'s', async () => {
    const h = new MemoryHandle();
    const first = await OpfsSink.open('b', h);
    first.append(bytes(3000, 4));
    const saved = first.checkpoint();
    first.append(bytes(700, 5)); // written after the checkpoint, then the tab closed
    const again = await OpfsSink.open('b', h, saved);
    expect(again.bytes).toBe(3000);
    again.append(bytes(700, 5));
    again.append(bytes(10, 6));
    const whole = new Uint8Array([...bytes(3000, 4), ...bytes(700, 5), ...bytes(10, 6)]);
    expect(again.finish()).toEqual({ bytes: whole.length, sha256: sha(whole) });
    expect(h.data).toEqual(whole);
  });

  it('refuses a checkpoint whose bytes are no longer stored', async () => {
    const h = new MemoryHandle();
    const s = await OpfsSink.open('c', h);
    s.append(bytes(100, 7));
    const saved = s.checkpoint();
    h.truncate(10); // storage cleared behind its back
    await expect(OpfsSink.open('c', h, saved)).rejects.toThrow(OpfsSinkError);
    await expect(OpfsSink.open('c', h, saved)).rejects.toThrow(/c: 10 bytes stored, fewer than the 100 its checkpoint says/);
  });

  it('turns the browser\'s QuotaExceededError into StorageFullError naming the file, keeping what was written', async () => {
    const h = new MemoryHandle();
    const write = h.write.bind(h);
    h.write = (b, options) => {
      if ((options?.at ?? 0) + b.length > 1000) throw Object.assign(new Error('quota'), { name: 'QuotaExceededError' });
      return write(b, options);
    };
    const s = await OpfsSink.open('onnx/d.onnx_data', h);
    s.append(bytes(900, 1));
    expect(() => s.append(bytes(200, 2))).toThrow(StorageFullError);
    expect(() => s.append(bytes(200, 2))).toThrow(/onnx\/d\.onnx_data: the browser's storage quota ran out after 900 bytes of this file \(200 more needed at least\)/);
    expect(h.data).toEqual(bytes(900, 1));
    expect(s.bytes).toBe(900);
  });

  it('reads Chromium\'s returned file error codes: no space is StorageFullError, another names its code', async () => {
    const h = new MemoryHandle();
    const write = h.write.bind(h);
    let code = -8;
    h.write = (b, options) => ((options?.at ?? 0) + b.length > 1000 ? 2 ** 32 + code : write(b, options));
    const s = await OpfsSink.open('onnx/d.onnx_data', h);
    s.append(bytes(900, 1));
    expect(() => s.append(bytes(200, 2))).toThrow(StorageFullError);
    code = -5;
    expect(() => s.append(bytes(200, 2))).toThrow(/onnx\/d\.onnx_data: the write failed \(browser file error -5\) at 900/);
    expect(s.bytes).toBe(900);
  });
});
