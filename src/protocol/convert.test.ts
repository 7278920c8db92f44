import { describe, expect, it } from 'vitest';
import { convertedFolder, opfsFolderOf, opfsModelId, parseConvertedFolder, pickedFolder } from './convert.ts';

describe('converted model folders', () => {
  it('name a repository and dtype so that they read back (any revision converts into the same folder)', () => {
    const folder = convertedFolder('omlab/VLM-FO1_Qwen2.5-VL-3B-v01@main', 'q4f16');
    expect(folder).toBe('fo1--omlab--VLM-FO1_Qwen2.5-VL-3B-v01--q4f16');
    expect(parseConvertedFolder(folder)).toEqual({ repo: 'omlab/VLM-FO1_Qwen2.5-VL-3B-v01', dtype: 'q4f16' });
    expect(parseConvertedFolder(convertedFolder('a-b.c/d_e', 'q4'))).toEqual({ repo: 'a-b.c/d_e', dtype: 'q4' });
  });

  it('name a picked folder and dtype so that they read back, whatever the folder is called', () => {
    expect(pickedFolder('VLM-FO1_Qwen2.5-VL-3B-v01', 'q4')).toBe('fo1-picked--VLM-FO1_Qwen2.5-VL-3B-v01--q4');
    expect(parseConvertedFolder(pickedFolder('VLM-FO1_Qwen2.5-VL-3B-v01', 'q4'))).toEqual({ picked: 'VLM-FO1_Qwen2.5-VL-3B-v01', dtype: 'q4' });
    // Characters OPFS or the pattern would stumble on become "_"; a "--" or a dtype inside the name still reads back.
    expect(pickedFolder('my model/ (2)', 'q4f16')).toBe('fo1-picked--my_model___2_--q4f16');
    expect(parseConvertedFolder(pickedFolder('a--q4', 'q4f16'))).toEqual({ picked: 'a--q4', dtype: 'q4f16' });
  });

  it('other folders are not conversions', () => {
    expect(parseConvertedFolder('fo1-e2e')).toBeNull();
    expect(parseConvertedFolder('fo1--a--b--fp32')).toBeNull();
    expect(parseConvertedFolder('models--a--b')).toBeNull();
    expect(parseConvertedFolder('fo1-picked--a--fp16')).toBeNull();
  });

  it('ids: opfs:<folder>/ for converted models, null for folder URLs', () => {
    expect(opfsModelId('fo1--a--b--q4')).toBe('opfs:fo1--a--b--q4/');
    expect(opfsFolderOf('opfs:fo1--a--b--q4/')).toBe('fo1--a--b--q4');
    expect(opfsFolderOf('https://huggingface.co/a/b/resolve/main/')).toBeNull();
    expect(opfsFolderOf('opfs:a/b/')).toBeNull();
  });
});
