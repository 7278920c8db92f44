// Issue 5 figure 4: the image-side graphs of one model folder, each timed on its own session (one at a time,
// so a full model's graphs never share a heap), fed exactly what the engine feeds them (src/engine/model.ts):
//   vision_semantic    Qwen2.5-VL ViT + merger at S×S pixels (grid S/14 × S/14), layout feeds from vit-layout.ts
//   vision_perception  DaViT at the input the folder's aux mode gives a W×H photo (preprocess/davit-input.ts)
//   region_pyramid     HFRE's SimpleFP over that photo's ViT map: box-independent, run once per image
//   region_encoder     the box-dependent step for K boxes (pooling + box embedding + projector) on that
//                      photo's DaViT maps and pyramid levels (regions/region-feeds.ts): what a new box set costs
// Pixel values are random (speed does not depend on them). Times are the ORT run alone; the JS feed
// preparation (window layout, RoIAlign weights) is timed separately for the region encoder, where it grows
// with K. Each session gets one warm-up run at the first size it is timed at.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onnxPath, type ComponentName, type ModelDtype, type ModelManifest } from '../src/model-folder/manifest.ts';
import { vitLayout } from '../src/engine/encoders/vit-layout.ts';
import type { PixelBox } from '../src/model-folder/boxes.ts';
import { boxFrames, validateBoxes } from '../src/engine/preprocess/boxes.ts';
import { davitSize } from '../src/engine/preprocess/davit-input.ts';
import { smartResize } from '../src/engine/preprocess/smart-resize.ts';
import { regionEncoderFeeds } from '../src/engine/regions/region-feeds.ts';
import { pyramidLevelName, REGION_PYRAMID_IO } from '../src/model-folder/graph-io.ts';
import { decoderFiles } from './decoder-bench.ts';
import type { RtSession, RtTensor, Runtime } from './runtime.ts';
import { summarize, type Summary } from './stats.ts';
import { uniformFloats } from '../fixtures/random.ts';

export interface VisionArgs {
  /** A model folder: its model.json gives the config, and the graphs unless `graphDir` is set. */
  folder: string;
  /** Where the `onnx/<graph>` files are when not in `folder` (bench/models.ts fullVisionOnly). */
  graphDir?: string;
  dtype: ModelDtype;
  /** Square sizes for the semantic ViT (pixels; multiples of 28). */
  semanticSizes: number[];
  /** Time DaViT on the photo (it runs anyway, untimed, when boxCounts asks for region figures). */
  davit: boolean;
  /** The photo the DaViT and region figures are for. */
  photo: { width: number; height: number };
  boxCounts: number[];
  runs: number;
  /** One unrecorded run before the first size of each session (default true; off where one run costs minutes). */
  warmup?: boolean;
  /** Stop repeating a figure once its measured runs have taken this long (at least one run is kept). */
  budgetS: number;
}

export interface VisionFigure {
  graph: 'vision_semantic' | 'vision_perception' | 'region_pyramid' | 'region_encoder';
  /** e.g. "448×448 (grid 32×32, 1024 patches)", "640×480", "grid 34×46 (640×480 photo)", "20 boxes". */
  input: string;
  ms: Summary;
  /** Whether an unrecorded warm-up run came first on this session. */
  warmedUp: boolean;
  /** Region encoder: the JS RoIAlign-weight and box-embedding feeds for K boxes. */
  feedsMs?: Summary;
}

export interface VisionRun {
  dtype: ModelDtype;
  folder: string;
  loadMs: Record<string, number>;
  figures: VisionFigure[];
}

const log = (m: string) => process.stderr.write(`  ${m}\n`);

/** `count` boxes spread over a W×H photo on a grid, each a different size (deterministic). */
export function spreadBoxes(count: number, width: number, height: number): PixelBox[] {
  const side = Math.ceil(Math.sqrt(count));
  return Array.from({ length: count }, (_, i) => {
    const cw = width / side;
    const ch = height / side;
    const x1 = (i % side) * cw;
    const y1 = Math.floor(i / side) * ch;
    const f = 0.5 + 0.5 * (((i * 7) % 10) / 10); // 50–95 % of the cell
    return { x1, y1, x2: x1 + cw * f, y2: y1 + ch * f };
  });
}

/** Warm-up (when asked), then runs until `runs` are done or their total exceeds the budget. */
async function timeBudgeted(fn: () => Promise<unknown>, runs: number, budgetMs: number, warmup: boolean): Promise<Summary> {
  if (warmup) await fn();
  const ms: number[] = [];
  let spent = 0;
  while (ms.length < runs && (ms.length === 0 || spent < budgetMs)) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
    spent += ms[ms.length - 1];
  }
  return summarize(ms);
}

async function openGraph(rt: Runtime, args: VisionArgs, name: ComponentName) {
  const { dtype } = args;
  const files = await decoderFiles(join(args.graphDir ?? args.folder, onnxPath(name, dtype)));
  const t = performance.now();
  const session = await rt.load(files.graph, files.externalData);
  const loadMs = Math.round(performance.now() - t);
  log(`${name} (${dtype}) loaded in ${loadMs} ms; wasm heap ${rt.wasmMemoryBytes() ?? '-'}`);
  return { session, loadMs };
}

async function timeSemantic(rt: Runtime, session: RtSession, manifest: ModelManifest, args: VisionArgs): Promise<VisionFigure[]> {
  const vision = manifest.config.vision;
  const patchDim = 3 * vision.temporalPatchSize * vision.patchSize ** 2;
  const out: VisionFigure[] = [];
  for (const [i, size] of args.semanticSizes.entries()) {
    const g = size / vision.patchSize;
    if (!Number.isInteger(g) || g % vision.spatialMergeSize) throw new Error(`semantic size ${size}: not a multiple of ${vision.patchSize * vision.spatialMergeSize}`);
    const layout = vitLayout(vision, g, g);
    const feeds: Record<string, RtTensor> = { pixel_values: rt.tensor('float32', uniformFloats(g * g * patchDim, size), [g * g, patchDim]) };
    for (const [name, t] of Object.entries(layout.feeds)) feeds[name] = rt.tensor(t.dtype, t.data, t.dims);
    const warm = args.warmup !== false && i === 0;
    const ms = await timeBudgeted(() => session.run(feeds), args.runs, args.budgetS * 1000, warm);
    out.push({ graph: 'vision_semantic', input: `${size}×${size} (grid ${g}×${g}, ${g * g} patches)`, ms, warmedUp: warm || i > 0 });
    log(`vision_semantic ${size}²: ${ms.median} ms (${ms.runs} runs)`);
  }
  return out;
}

/** The photo's work image is itself (≤ 2048 long side); DaViT sees what the aux mode makes of it. */
async function timePerception(rt: Runtime, session: RtSession, manifest: ModelManifest, args: VisionArgs) {
  const [w, h] = davitSize(args.photo.width, args.photo.height, manifest.image.perception);
  const feeds = { pixel_values: rt.tensor('float32', uniformFloats(3 * w * h, w), [1, 3, h, w]) };
  let stages: RtTensor[] = [];
  const ms = await timeBudgeted(async () => {
    const out = await session.run(feeds);
    stages = [0, 1, 2, 3].map((l) => out[`stage${l}`]);
  }, args.davit ? args.runs : 1, args.budgetS * 1000, args.davit && args.warmup !== false);
  log(`vision_perception ${w}×${h}: ${ms.median} ms (${ms.runs} runs)`);
  const figure: VisionFigure = { graph: 'vision_perception', input: `${w}×${h} (aux mode "${manifest.image.perception.aspectMode}" for a ${args.photo.width}×${args.photo.height} photo)`, ms, warmedUp: args.warmup !== false };
  return { figure, stages, davit: { width: w, height: h } };
}

/** The ViT patch grid of the photo as the engine resizes it (preprocess/smart-resize.ts). */
function photoGrid(manifest: ModelManifest, args: VisionArgs): { grid: [number, number]; resized: { width: number; height: number } } {
  const sem = manifest.image.semantic;
  const [vh, vw] = smartResize(args.photo.height, args.photo.width, sem.patchSize * sem.mergeSize, sem.minPixels, sem.maxPixels);
  return { grid: [vh / sem.patchSize, vw / sem.patchSize], resized: { width: vw, height: vh } };
}

/** region_pyramid on a random ViT map of the photo's grid; returns its levels for the region figures. */
async function timePyramid(rt: Runtime, session: RtSession, manifest: ModelManifest, args: VisionArgs): Promise<{ figure: VisionFigure; levels: RtTensor[] }> {
  const { grid } = photoGrid(manifest, args);
  const C = manifest.config.vision.hiddenSize;
  const feeds = { vt_map: rt.tensor('float32', uniformFloats(C * grid[0] * grid[1], 7), [1, C, grid[0], grid[1]]) };
  let levels: RtTensor[] = [];
  const warm = args.warmup !== false;
  const ms = await timeBudgeted(async () => {
    const out = await session.run(feeds);
    levels = REGION_PYRAMID_IO.outputs.map((o) => out[o.name]);
  }, args.runs, args.budgetS * 1000, warm);
  log(`region_pyramid grid ${grid[0]}×${grid[1]}: ${ms.median} ms (${ms.runs} runs)`);
  return { figure: { graph: 'region_pyramid', input: `grid ${grid[0]}×${grid[1]} (${args.photo.width}×${args.photo.height} photo)`, ms, warmedUp: warm }, levels };
}

/** region_encoder for each box count on the photo's DaViT maps and pyramid levels. */
async function timeRegions(rt: Runtime, session: RtSession, manifest: ModelManifest, args: VisionArgs, maps: { stages: RtTensor[]; levels: RtTensor[] }, davit: { width: number; height: number }): Promise<VisionFigure[]> {
  const { vision, region } = manifest.config;
  const { grid, resized } = photoGrid(manifest, args);
  const geo = { auxLevels: maps.stages.map((s) => [s.dims[2], s.dims[3]] as [number, number]), vtGrid: grid, patchSize: vision.patchSize };
  const out: VisionFigure[] = [];
  for (const [i, K] of args.boxCounts.entries()) {
    const frames = boxFrames(validateBoxes(spreadBoxes(K, args.photo.width, args.photo.height), args.photo), args.photo, args.photo, davit, resized);
    const feedsFor = () => {
      const feeds: Record<string, RtTensor> = {};
      maps.levels.forEach((t, l) => (feeds[pyramidLevelName(l)] = t));
      maps.stages.forEach((s, l) => (feeds[`davit_stage${l}`] = s));
      for (const [name, t] of Object.entries(regionEncoderFeeds(frames.aux, frames.vt, geo, region))) feeds[name] = rt.tensor('float32', t.data, t.dims);
      return feeds;
    };
    const feedsMs = await timeBudgeted(async () => feedsFor(), args.runs, args.budgetS * 1000, true);
    const feeds = feedsFor();
    const warm = args.warmup !== false && i === 0;
    const ms = await timeBudgeted(() => session.run(feeds), args.runs, args.budgetS * 1000, warm);
    out.push({ graph: 'region_encoder', input: `${K} box${K === 1 ? '' : 'es'}`, ms, feedsMs, warmedUp: warm || i > 0 });
    log(`region_encoder K=${K}: ${ms.median} ms run + ${feedsMs.median} ms feeds (${ms.runs} runs)`);
  }
  return out;
}

export async function measureVision(rt: Runtime, args: VisionArgs): Promise<VisionRun> {
  const manifest = JSON.parse(await readFile(join(args.folder, 'model.json'), 'utf8')) as ModelManifest;
  const loadMs: Record<string, number> = {};
  const figures: VisionFigure[] = [];
  // One session alive at a time. DaViT and the pyramid before the region encoder: their maps are its inputs.
  if (args.boxCounts.length || args.davit) {
    const perception = await openGraph(rt, args, 'vision_perception');
    loadMs.vision_perception = perception.loadMs;
    const p = await timePerception(rt, perception.session, manifest, args);
    await perception.session.release();
    if (args.davit) figures.push(p.figure);
    if (args.boxCounts.length) {
      const pyramid = await openGraph(rt, args, 'region_pyramid');
      loadMs.region_pyramid = pyramid.loadMs;
      const py = await timePyramid(rt, pyramid.session, manifest, args);
      await pyramid.session.release();
      figures.push(py.figure);
      const regions = await openGraph(rt, args, 'region_encoder');
      loadMs.region_encoder = regions.loadMs;
      figures.push(...(await timeRegions(rt, regions.session, manifest, args, { stages: p.stages, levels: py.levels }, p.davit)));
      await regions.session.release();
    }
  }
  if (args.semanticSizes.length) {
    const semantic = await openGraph(rt, args, 'vision_semantic');
    loadMs.vision_semantic = semantic.loadMs;
    figures.push(...(await timeSemantic(rt, semantic.session, manifest, args)));
    await semantic.session.release();
  }
  return { dtype: args.dtype, folder: args.graphDir ?? args.folder, loadMs, figures };
}
