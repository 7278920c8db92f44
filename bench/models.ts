// The benchmark's models, generated on demand and cached outside the repo (~/.cache/fo1-web): the toolchain's
// random checkpoints (`full`: VLM-FO1-3B's real shapes, bf16; `tiny`: every structural feature at toy size)
// and their conversions to model folders.

import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { convert, dtypeBuild } from '../converter/convert.ts';
import { emitDecoder } from '../converter/emit/decoder.ts';
import type { EmitContext, WeightFormat } from '../converter/emit/linear.ts';
import { emitRegionEncoder } from '../converter/emit/region-encoder.ts';
import { emitRegionPyramid } from '../converter/emit/region-pyramid.ts';
import { emitVisionPerception } from '../converter/emit/vision-perception.ts';
import { emitVisionSemantic } from '../converter/emit/vision-semantic.ts';
import { writeFixture } from '../fixtures/fixture.ts';
import type { PresetName } from '../fixtures/presets.ts';
import { Graph } from '../src/onnx/graph.ts';
import { Checkpoint } from '../converter/read/checkpoint.ts';
import { parseFo1Config } from '../converter/read/config.ts';
import { ExternalDataStore } from '../converter/write/external-data.ts';
import { nodeOutput } from '../converter/write/file-sink.ts';
import { MANIFEST_VERSION, onnxPath, type ModelDtype } from '../src/model-folder/manifest.ts';

export const CACHE = process.env.FO1_BENCH_CACHE ?? join(homedir(), '.cache', 'fo1-web');

const log = (m: string) => process.stderr.write(`${m}\n`);

/** The random checkpoint of a fixture preset (fixtures/presets.ts), generated once. */
export async function presetCheckpoint(preset: PresetName, seed = 0): Promise<string> {
  const dir = join(CACHE, `fixture-${preset}-seed${seed}`);
  if (!existsSync(join(dir, 'config.json'))) {
    log(`generating the ${preset} fixture in ${dir} (once${preset === 'full' ? '; several minutes' : ''})…`);
    await writeFixture({ preset, out: dir, seed });
  }
  return dir;
}

export const fullCheckpoint = (seed = 0) => presetCheckpoint('full', seed);

/** Whether a cached folder's model.json is this converter's format (an older one lacks graphs, e.g. region_pyramid). */
function currentFolder(out: string): boolean {
  const manifest = join(out, 'model.json');
  return existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version === MANIFEST_VERSION;
}

/** The model folder of a preset's fixture in `dtype`, converted once per model.json version; returns its root. */
export async function presetModel(preset: PresetName, dtype: ModelDtype, seed = 0): Promise<string> {
  const out = join(CACHE, `bench-${preset}-seed${seed}-${dtype}`);
  if (!currentFolder(out)) {
    const checkpoint = await presetCheckpoint(preset, seed);
    log(`converting ${checkpoint} → ${out} (${dtype}; once${preset === 'full' ? '; several minutes' : ''})…`);
    const t = performance.now();
    await convert({ checkpoint, out, dtypes: [dtype], source: `fixture-${preset}-seed${seed}` });
    log(`converted in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  return out;
}

export const fullModel = (dtype: ModelDtype, seed = 0) => presetModel('full', dtype, seed);

export function decoderGraph(folder: string, dtype: ModelDtype): string {
  return join(folder, onnxPath('decoder_model_merged', dtype));
}

/** The image-side graphs of the fo1 model: what figure 4 times. */
export const VISION_GRAPHS = ['vision_semantic', 'vision_perception', 'region_pyramid', 'region_encoder'] as const;

/**
 * The full fixture's image-side graphs alone in `format` (fp32: the full fp32 folder would be ~17 GB,
 * and figure 4 needs only these), emitted as the converter emits them, in `<dir>/onnx/` under the model
 * folder's file names; returns the dir (the config comes from the q4 folder's model.json).
 */
export async function fullVisionOnly(format: ModelDtype, seed = 0): Promise<string> {
  const dir = join(CACHE, `bench-vision-seed${seed}-${format}`);
  if (!existsSync(join(dir, 'onnx', onnxPath('region_pyramid', format).split('/').pop()!))) {
    const checkpoint = await fullCheckpoint(seed);
    log(`emitting the ${format} vision graphs of ${checkpoint} → ${dir} (once; minutes)…`);
    const tmp = `${dir}.partial-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(join(tmp, 'onnx'), { recursive: true });
    const ck = await Checkpoint.open(checkpoint);
    try {
      const cfg = parseFo1Config(ck.config, (n) => ck.shape(n));
      const emitters = {
        vision_semantic: (g: Graph, ctx: EmitContext) => emitVisionSemantic(g, ctx, { vision: cfg.vision, projectorType: cfg.region.projectorType }),
        vision_perception: (g: Graph, ctx: EmitContext) => emitVisionPerception(g, ctx, cfg.davit),
        region_pyramid: (g: Graph, ctx: EmitContext) => emitRegionPyramid(g, ctx, cfg.region),
        region_encoder: (g: Graph, ctx: EmitContext) => emitRegionEncoder(g, ctx, { region: cfg.region, davit: cfg.davit }),
      };
      for (const name of VISION_GRAPHS) {
        const file = onnxPath(name, format).split('/').pop()!;
        const store = new ExternalDataStore(nodeOutput(), join(tmp, 'onnx'), file);
        const build = dtypeBuild(format);
        const g = new Graph(name, store, build.graph);
        await emitters[name](g, { w: ck, format: build.format, blockSize: 32, minQuantK: 32 });
        store.finish();
        await writeFile(join(tmp, 'onnx', file), g.encode());
        log(`  ${name} written`);
      }
    } finally {
      await ck.close();
    }
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  }
  return dir;
}

/**
 * The full decoder alone in a weight format the model folder does not offer (q8, wasm-only), emitted straight
 * through emitDecoder with weights streamed to external data; returns the .onnx path.
 */
export async function fullDecoderOnly(format: WeightFormat, seed = 0): Promise<string> {
  const dir = join(CACHE, `bench-decoder-seed${seed}-${format}`);
  const file = `decoder_model_merged_${format}.onnx`;
  if (!existsSync(join(dir, file))) {
    const checkpoint = await fullCheckpoint(seed);
    log(`emitting the ${format} decoder of ${checkpoint} → ${dir} (once; minutes)…`);
    const tmp = `${dir}.partial-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const ck = await Checkpoint.open(checkpoint);
    try {
      const cfg = parseFo1Config(ck.config, (n) => ck.shape(n));
      const store = new ExternalDataStore(nodeOutput(), tmp, file);
      const g = new Graph('decoder_model_merged', store);
      await emitDecoder(g, { w: ck, format, blockSize: 32, minQuantK: 32 }, cfg.text);
      store.finish();
      await writeFile(join(tmp, file), g.encode());
    } finally {
      await ck.close();
    }
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  }
  return join(dir, file);
}
