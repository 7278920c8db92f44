import { describe, expect, it } from 'vitest';
import { MemoryHandle } from '../testing/memory-opfs.ts';
import { OpfsFolderError, openSyncHandle } from './opfs-model-folder.ts';

const held = () => Object.assign(new Error('Access Handles cannot be created if there is another open Access Handle'), { name: 'NoModificationAllowedError' });

describe('openSyncHandle', () => {
  it('waits while another worker still holds the file (a run right after a reload), then opens it', async () => {
    const h = new MemoryHandle();
    let refusals = 2;
    const file = { createSyncAccessHandle: async () => (refusals-- > 0 ? Promise.reject(held()) : h) };
    await expect(openSyncHandle(file, 'fo1/onnx/a.onnx_data')).resolves.toBe(h);
    expect(refusals).toBe(-1);
  });

  it('refuses, naming the file, when it stays held (a second tab converting), and passes other errors through', async () => {
    const file = { createSyncAccessHandle: () => Promise.reject(held()) };
    await expect(openSyncHandle(file, 'fo1/onnx/a.onnx_data', 300)).rejects.toThrow(OpfsFolderError);
    await expect(openSyncHandle(file, 'fo1/onnx/a.onnx_data', 300)).rejects.toThrow(/fo1\/onnx\/a\.onnx_data: another tab or worker is writing this file \(it is still open there after 0\.3 s\)/);
    const gone = { createSyncAccessHandle: () => Promise.reject(Object.assign(new Error('gone'), { name: 'NotFoundError' })) };
    await expect(openSyncHandle(gone, 'x', 300)).rejects.toThrow('gone');
  });
});
