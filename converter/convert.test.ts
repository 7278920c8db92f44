import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ort } from '../src/testing/ort.ts';
import { COMPONENTS, kvDtype, manifestFiles, validateManifest, type ModelManifest } from '../src/model-folder/manifest.ts';
import { loadModelFiles } from '../src/engine/load/load-model.ts';
import type { ModelFolder } from '../src/engine/load/folder.ts';
import { NodeFolder } from '../src/engine/load/node-folder.ts';
import { convert } from './convert.ts';
import { isKvName } from '../src/model-folder/graph-io.ts';
import { writeFixture } from '../fixtures/fixture.ts';
import { SafetensorsFile } from './read/safetensors.ts';
import { nodeFiles, type FileSystem } from './write/file-sink.ts';
import { writeSafetensors } from './write/safetensors-writer.ts';

let root: string;
let ckpt: string;
let first: { out: string; manifest: ModelManifest };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'convert-'));
  ckpt = join(root, 'ckpt');
  await writeFixture({ preset: 'tiny', out: ckpt, seed: 3 });
  first = await convert({ checkpoint: ckpt, out: join(root, 'a'), dtypes: ['q4', 'fp32', 'q4f16'] });
});
afterAll(() => rm(root, { recursive: true, force: true }));

const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

/** Only the finished folder: nothing named *.partial-* or *.old-* beside it. */
function leftovers(): string[] {
  return readdirSync(root).filter((n) => n.includes('.partial-') || n.includes('.old-'));
}

describe('convert (tiny fixture)', () => {
  it('writes a valid manifest whose files exist with the listed size and sha256', async () => {
    const m = validateManifest(JSON.parse(await readFile(join(first.out, 'model.json'), 'utf8')));
    expect(m.dtypes).toEqual(['q4', 'fp32', 'q4f16']);
    expect(m.components.decoder_model_merged.variants.q4f16?.graph.path).toBe('onnx/decoder_model_merged_q4f16.onnx');
    expect(m.components.decoder_model_merged.variants.q4?.graph.path).toBe('onnx/decoder_model_merged_q4.onnx');
    expect(m.components.vision_semantic.variants.fp32?.graph.path).toBe('onnx/vision_semantic.onnx');
    expect(m.tokens.regions).toHaveLength(100);
    expect(m.tokens.imagePad).toBe(151655);
    expect(m.image.semantic.minPixels).toBe(3136);
    expect(m.config.text.hiddenSize).toBe(64);
    for (const f of manifestFiles(m)) {
      const path = join(first.out, f.path);
      expect((await readFile(path)).length, f.path).toBe(f.bytes);
      expect(await sha256(path), f.path).toBe(f.sha256);
    }
    expect(leftovers()).toEqual([]);
  });

  it('every graph loads in onnxruntime-web with its external data and the manifest I/O names', async () => {
    for (const c of COMPONENTS) {
      for (const d of first.manifest.dtypes) {
        const v = first.manifest.components[c].variants[d]!;
        const externalData = await Promise.all(v.externalData.map(async (f) => ({ path: f.path.split('/').pop()!, data: new Uint8Array(await readFile(join(first.out, f.path))) })));
        const s = await ort.InferenceSession.create(new Uint8Array(await readFile(join(first.out, v.graph.path))), { executionProviders: ['wasm'], externalData });
        try {
          expect([...s.inputNames].sort(), `${c} ${d}`).toEqual(first.manifest.components[c].inputs.map((i) => i.name).sort());
          expect([...s.outputNames].sort(), `${c} ${d}`).toEqual(first.manifest.components[c].outputs.map((o) => o.name).sort());
          // The manifest's float32 contract, but for the KV cache, float16 in the float16 dtypes (kvDtype).
          const declared = new Map([...first.manifest.components[c].inputs, ...first.manifest.components[c].outputs].map((v) => [v.name, isKvName(v.name) ? kvDtype(d) : v.dtype]));
          for (const meta of [...s.inputMetadata, ...s.outputMetadata]) expect(meta.isTensor && meta.type, `${c} ${d} ${meta.name}`).toBe(declared.get(meta.name));
        } finally {
          await s.release();
        }
      }
    }
  });

  it('q4 and q4f16 store the tied embedding table once: the decoder reads it from embed_tokens\' data file, loaded once', async () => {
    const q4f16 = first.manifest.components.decoder_model_merged.variants.q4f16!.externalData.map((f) => f.path);
    expect(q4f16).toEqual(['onnx/decoder_model_merged_q4f16.onnx_data', 'onnx/embed_tokens_q4f16.onnx_data']);
    const embedData = 'onnx/embed_tokens_q4.onnx_data';
    const { decoder_model_merged: dec, embed_tokens: emb } = first.manifest.components;
    expect(emb.variants.q4!.externalData.map((f) => f.path)).toEqual([embedData]);
    const decFiles = dec.variants.q4!.externalData;
    expect(decFiles.map((f) => f.path)).toEqual(['onnx/decoder_model_merged_q4.onnx_data', embedData]);
    expect(decFiles[1]).toEqual(emb.variants.q4!.externalData[0]);
    // The tiny decoder's own weights are a small fraction of the (151 936-row) table it no longer copies.
    expect(decFiles[0].bytes).toBeLessThan(decFiles[1].bytes / 2);
    // fp32 stores the lm_head transposed for MatMul: nothing to share.
    expect(dec.variants.fp32!.externalData.map((f) => f.path)).toEqual(['onnx/decoder_model_merged.onnx_data']);

    const reads: string[] = [];
    const disk = new NodeFolder(first.out);
    const folder: ModelFolder = { description: disk.description, read: (path, onBytes, signal) => (reads.push(path), disk.read(path, onBytes, signal)) };
    const files = await loadModelFiles(folder, 'q4', () => {}, new AbortController().signal);
    expect(reads.filter((p) => p === embedData)).toHaveLength(1);
    const shared = (c: 'decoder_model_merged' | 'embed_tokens') => files.graphs[c].externalData.find((d) => d.path === 'embed_tokens_q4.onnx_data')?.data;
    expect(shared('decoder_model_merged')).toBeDefined();
    expect(shared('decoder_model_merged')).toBe(shared('embed_tokens'));
  });

  it('converting the same checkpoint twice gives byte-identical files', async () => {
    const again = await convert({ checkpoint: ckpt, out: join(root, 'b'), dtypes: ['q4', 'fp32', 'q4f16'] });
    const list = (out: string) => manifestFiles(first.manifest).map((f) => join(out, f.path)).concat(join(out, 'model.json'));
    const a = await Promise.all(list(first.out).map(sha256));
    const b = await Promise.all(list(again.out).map(sha256));
    expect(b).toEqual(a);
    await rm(again.out, { recursive: true });
  });
});

describe('convert: bad input leaves no model folder', () => {
  async function variant(name: string, edit: (dir: string) => Promise<void>): Promise<string> {
    const dir = join(root, name);
    await cp(ckpt, dir, { recursive: true });
    await edit(dir);
    return dir;
  }

  /** Rewrites model.safetensors with one tensor dropped or reshaped. */
  async function rewriteWeights(dir: string, name: string, shape: number[] | null): Promise<void> {
    const path = join(dir, 'model.safetensors');
    const src = await SafetensorsFile.open(path);
    const specs = [...src.entries.values()].filter((e) => e.name !== name || shape).map((e) => ({ name: e.name, dtype: e.dtype, shape: e.name === name && shape ? shape : [...e.shape] }));
    const tmp = `${path}.new`;
    await writeSafetensors(tmp, specs, async function* (s) {
      const bytes = await src.readBytes(s.name);
      yield s.name === name ? new Uint8Array(s.shape.reduce((a, b) => a * b, 1) * 2) : bytes;
    });
    await src.close();
    await rm(path);
    await cp(tmp, path);
  }

  async function expectNoFolder(out: string, run: Promise<unknown>, message: RegExp): Promise<void> {
    await expect(run).rejects.toThrow(message);
    expect(existsSync(out)).toBe(false);
    expect(leftovers()).toEqual([]);
  }

  it('a missing tensor', async () => {
    const dir = await variant('no-fc2', (d) => rewriteWeights(d, 'model.vision_tower_aux.image_tower.blocks.3.0.channel_block.ffn.fn.net.fc2.weight', null));
    const out = join(root, 'out-missing');
    await expectNoFolder(out, convert({ checkpoint: dir, out, dtypes: ['q4'] }), /missing tensor model\.vision_tower_aux\.image_tower\.blocks\.3\.0\.channel_block\.ffn\.fn\.net\.fc2\.weight/);
  });

  it('a mis-shaped tensor', async () => {
    const dir = await variant('bad-fpn', (d) => rewriteWeights(d, 'model.object_vp_extractor.simple_fpn.simfp_3.0.weight', [17, 32, 1, 1]));
    const out = join(root, 'out-shape');
    await expectNoFolder(out, convert({ checkpoint: dir, out, dtypes: ['q4'] }), /mm_region_hidden_size = 304, but the tensors give .* = 308/);
  });

  it('an unsupported config value, naming the key', async () => {
    const dir = await variant('bad-config', async (d) => {
      const c = JSON.parse(await readFile(join(d, 'config.json'), 'utf8'));
      await writeFile(join(d, 'config.json'), JSON.stringify({ ...c, aux_image_aspect_ratio: 'pad' }));
    });
    const out = join(root, 'out-config');
    await expectNoFolder(out, convert({ checkpoint: dir, out, dtypes: ['q4'] }), /unsupported aux_image_aspect_ratio = "pad"/);
  });

  it('a truncated shard', async () => {
    const dir = await variant('trunc', async (d) => {
      const bytes = await readFile(join(d, 'model.safetensors'));
      await writeFile(join(d, 'model.safetensors'), bytes.subarray(0, bytes.length - 100));
    });
    const out = join(root, 'out-trunc');
    await expectNoFolder(out, convert({ checkpoint: dir, out, dtypes: ['q4'] }), /model\.safetensors: tensor model\.mm_projector_aux\.2\.bias: bytes .* overrun the file/);
  });

  it('a full disk (ENOSPC) during the data files, keeping an older folder intact', async () => {
    const out = join(root, 'out-full');
    await mkdir(out);
    await writeFile(join(out, 'model.json'), '{"old": true}');
    let written = 0;
    const fullDisk: FileSystem = {
      ...nodeFiles,
      write: (fd, bytes) => {
        written += bytes.length;
        if (written > 5_000_000) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        nodeFiles.write(fd, bytes);
      },
    };
    await expect(convert({ checkpoint: ckpt, out, dtypes: ['fp32'], fs: fullDisk })).rejects.toThrow(/ENOSPC/);
    expect(await readFile(join(out, 'model.json'), 'utf8')).toBe('{"old": true}');
    expect(readdirSync(dirname(out)).filter((n) => n.startsWith('out-full.'))).toEqual([]);
  });
});
