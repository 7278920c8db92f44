// The benchmark's models, generated on demand and cached outside the repo (~/.cache/fo1-web): the toolchain's
// `full` random checkpoint (VLM-FO1-3B's real shapes, bf16) and its conversion to a model folder.

import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { convert } from '../converter/convert.ts';
import { emitDecoder } from '../converter/emit/decoder.ts';
import type { WeightFormat } from '../converter/emit/linear.ts';
import { writeFixture } from '../converter/fixture/fixture.ts';
import { Graph } from '../converter/onnx/graph.ts';
import { Checkpoint } from '../converter/read/checkpoint.ts';
import { parseFo1Config } from '../converter/read/config.ts';
import { ExternalDataStore } from '../converter/write/external-data.ts';
import { nodeFiles } from '../converter/write/file-sink.ts';
import { onnxPath, type ModelDtype } from '../src/model-folder/manifest.ts';

export const CACHE = process.env.FO1_BENCH_CACHE ?? join(homedir(), '.cache', 'fo1-web');

const log = (m: string) => process.stderr.write(`${m}\n`);

export async function fullCheckpoint(seed = 0): Promise<string> {
  const dir = join(CACHE, `fixture-full-seed${seed}`);
  if (!existsSync(join(dir, 'config.json'))) {
    log(`generating the full fixture in ${dir} (once; several minutes)…`);
    await writeFixture({ preset: 'full', out: dir, seed });
  }
  return dir;
}

/** The model folder of the full fixture in `dtype`, converted once; returns its root. */
export async function fullModel(dtype: ModelDtype, seed = 0): Promise<string> {
  const out = join(CACHE, `bench-full-seed${seed}-${dtype}`);
  if (!existsSync(join(out, 'model.json'))) {
    const checkpoint = await fullCheckpoint(seed);
    log(`converting ${checkpoint} → ${out} (${dtype}; once; several minutes)…`);
    const t = performance.now();
    await convert({ checkpoint, out, dtypes: [dtype], source: `fixture-full-seed${seed}` });
    log(`converted in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  return out;
}

export function decoderGraph(folder: string, dtype: ModelDtype): string {
  return join(folder, onnxPath('decoder_model_merged', dtype));
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
      const store = new ExternalDataStore(nodeFiles, tmp, file);
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
