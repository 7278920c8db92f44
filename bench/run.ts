// npm run bench [-- all|machine|formats|decoder|vision|answer|kv-context|browser|peer|proposals|browser-convert] [--threads 2]
//   decoder:    [--dtype q4] [--contexts 512,2048,4096] [--decode-runs 5] [--prefill 512,2048] [--prefill-runs 2]
//               [--wasm-prefill 512] [--wasm-prefill-runs 1] [--int4-prefill 64,512] [--only native,int4,int4-simd,wasm]
//   vision:     [--presets tiny,full] [--vision-dtypes q4,fp32] [--vision-runtimes wasm] [--vision-runs 5]
//               [--semantic 448,896] [--boxes 1,20,100] [--budget 120] [--part-timeout 900] [--vision-no-warmup]
//               [--no-davit] (with --boxes '': --no-davit --boxes '' --semantic 896 times only the ViT at 896)
//   answer:     [--presets tiny] (add full to try the full model) [--answer-dtypes q4] [--rounds 5] [--max-tokens 8]
//               [--part-timeout 900] [--phone-levels low,medium,reference] (then a 4032×3024 EXIF-rotated photo, once
//               per level: bench/phone-photo.ts; '' skips it) [--answer-encoders int8,int4] (the encoders' Linears as
//               int8, src/engine/encoders/int8-linears.ts, the default, or as onnxruntime's int4 MatMulNBits; both: side by side)
//               [--answer-runtimes wasm,native] (native: the same engine and graphs on onnxruntime-node's CPU provider,
//               bench/native-ort.ts, for ratios.first_ttft_wasm_vs_native; wasm only by default)
//   kv-context: [--kv-layers 2] [--kv-rounds 12] [--contexts 512,2048,4096]
//   browser:    [--browser-rounds 3] [--browser-budget 90]
//   peer:       [--peer-presets tiny,full] [--peer-runtimes native,wasm] [--peer-context 2048] [--peer-tokens 16]
//               [--peer-rounds 2] [--peer-repeats 2] [--part-timeout 900] (figure 2: transformers.js vs the engine on
//               the same files and runtime — on wasm the engine's decoder is its int4 kernels; full on wasm: the
//               engine alone; each side runs --peer-repeats children of --peer-rounds rounds, ABBA)
//   browser-convert: [--convert-preset full] (issue 11) the full checkpoint → q4 from a local Hub server, by the CLI
//               and in Chromium's convert worker side by side, then interrupted in the page at half and resumed
//               (bench/browser-convert.ts)
//   proposals:  [--proposal-rounds 5] [--large-rounds 3] (recall@0.5@100 on the COCO photos and ms/photo,
//               the reference proposer and the tiled one side by side; then the 4032×3024 photo of bench/phone-photo.ts)
// (wasm prefill defaults to one 512-token run: MatMulNBits costs ~1 s per 11008×2048 Linear at M = 512 there,
// so a 2048-token wasm prefill alone takes ~10 minutes on a 2-core machine.)
// Issue 5's benchmarks on the `full` random checkpoint (VLM-FO1-3B's shapes; generated and converted once into
// ~/.cache/fo1-web). Every heavy measurement runs in its own child process (bench/child.ts), one at a time,
// so only one full model is ever in memory. Figures merge into bench/results.json (other writers' keys kept)
// and bench/RESULTS.md is rewritten from it.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { DecoderShape } from './decoder-bench.ts';
import { machineInfo, streamingReadBandwidth } from './machine.ts';
import type { AnswerArgs, EncoderLinears } from './answer-bench.ts';
import { measureBrowser } from './browser-bench.ts';
import { measureBrowserConvert } from './browser-convert.ts';
import type { KvContextArgs } from './kv-context.ts';
import type { ProposalsArgs, ProposalsRun } from './proposals-bench.ts';
import { CACHE, decoderGraph, fullDecoderOnly, fullModel, fullVisionOnly, presetModel } from './models.ts';
import { readResults, writeResults } from './results-file.ts';
import { fullQ4Wasm, type AnswerRecord, type PeerRecord, type PeerSideRun, type Results, type VisionRecord } from './results.ts';
import type { VisionArgs, VisionRun } from './vision-bench.ts';
import type { WeightFormat } from '../converter/emit/linear.ts';
import type { RuntimeName, RuntimeSpec } from './runtime.ts';
import { mergePeerRuns, type PeerArgs, type PeerSide } from './transformersjs.ts';
import type { ModelDtype } from '../src/model-folder/manifest.ts';
import type { DetailLevel } from '../src/protocol/messages.ts';
import { defaultDetail } from '../src/engine/preprocess/detail.ts';
import { PRESETS, type PresetName } from '../fixtures/presets.ts';
import { relaxedSimdNodeFlags } from '../src/engine/decode/int4/node-flags.ts';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
/** Node flags of every child: relaxed SIMD on (node-flags.ts), so the engine picks the int4 kernels' relaxed build as Chrome does. */
const CHILD_NODE_FLAGS = [...relaxedSimdNodeFlags(), '--import', 'tsx'];

/**
 * Runs one task in a fresh process; its stderr streams through, its last stdout line is the result.
 * `timeoutS`: the child is killed after that long and the promise rejects saying so.
 */
function child<T>(task: string, spec: RuntimeSpec, args: unknown, timeoutS?: number): Promise<T> {
  const label = `${task} ${spec.runtime}:${spec.threads}`;
  process.stderr.write(`▶ ${label} ${new Date().toISOString().slice(11, 19)} load ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
  return new Promise((resolve, reject) => {
    // its own process group, so a timeout stops anything the task started too
    const p = spawn(process.execPath, [...CHILD_NODE_FLAGS, CHILD, task, `${spec.runtime}:${spec.threads}`, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    let out = '';
    let timedOut = false;
    const timer = timeoutS ? setTimeout(() => ((timedOut = true), process.kill(-p.pid!, 'SIGKILL')), timeoutS * 1000) : undefined;
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last) resolve(JSON.parse(last) as T);
      else if (timedOut) reject(new Error(`${label}: stopped after the ${timeoutS} s time limit`));
      else reject(new Error(`${label}: child exited with ${signal ?? code}${last ? `: ${last}` : ''}`));
    });
  });
}

function fullShape(): DecoderShape {
  const t = PRESETS.full.text;
  return { layers: t.layers, hidden: t.hidden, kvHeads: t.kvHeads, headDim: t.hidden / t.heads };
}

const ints = (s: string) => s.split(',').filter(Boolean).map(Number);

/** The 640×480 photo of figures 4 and 5. */
const PHOTO = { width: 640, height: 480 };

interface VisionOptions {
  semanticSizes: number[];
  boxCounts: number[];
  runs: number;
  budgetS: number;
  warmup: boolean;
  /** Time DaViT (and the region encoder, if box counts are given) on the photo. */
  davit: boolean;
  timeoutS: number;
}

/**
 * Figure 4 for one preset/dtype/runtime. The tiny model runs in one child; the full one in a child per part
 * (DaViT + region encoder, then the ViT per size), so a part over the heap or time limit loses only itself.
 * Figures merge into the record by graph and input, so a rerun of one part keeps the others.
 */
async function visionFigures(results: Results, spec: RuntimeSpec, preset: PresetName, dtype: ModelDtype, o: VisionOptions): Promise<void> {
  const q4Folder = await presetModel(preset, 'q4');
  const folder = preset === 'full' && dtype !== 'q4' ? q4Folder : await presetModel(preset, dtype);
  // the full fp32 folder would be ~17 GB: its three image graphs are emitted alone
  const graphDir = preset === 'full' && dtype !== 'q4' ? await fullVisionOnly(dtype) : undefined;
  const base = { folder, graphDir, dtype, photo: PHOTO, runs: o.runs, budgetS: o.budgetS, warmup: o.warmup };
  const parts: Omit<VisionArgs, keyof typeof base>[] =
    preset === 'full'
      ? [...(o.davit ? [{ davit: true, boxCounts: o.boxCounts, semanticSizes: [] }] : []), ...o.semanticSizes.map((s) => ({ davit: false, boxCounts: [], semanticSizes: [s] }))]
      : [{ davit: o.davit, boxCounts: o.boxCounts, semanticSizes: o.semanticSizes }];
  const key = `${preset} ${dtype} ${spec.runtime}:${spec.threads}`;
  for (const part of parts) {
    const rec: VisionRecord = results.vision?.[key] ?? { preset, dtype, runtime: `${spec.runtime}:${spec.threads}`, version: '', loadMs: {}, figures: [], errors: [] };
    const what = [part.davit ? 'DaViT' : '', part.boxCounts.length ? `regions ${part.boxCounts.join('/')}` : '', part.semanticSizes.length ? `ViT ${part.semanticSizes.join('/')}` : ''].filter(Boolean).join(' + ');
    rec.errors = rec.errors.filter((e) => !e.startsWith(`${what}:`));
    try {
      const run = await child<VisionRun & { version: string; loadAverage: number[]; peakWasmBytes?: number; peakRssBytes: number }>('vision', spec, { ...base, ...part }, o.timeoutS);
      const same = (a: { graph: string; input: string }, b: { graph: string; input: string }) => a.graph === b.graph && a.input === b.input;
      rec.figures = [...rec.figures.filter((f) => !run.figures.some((g) => same(f, g))), ...run.figures];
      rec.loadMs = { ...rec.loadMs, ...run.loadMs };
      rec.peakWasmBytes = Math.max(rec.peakWasmBytes ?? 0, run.peakWasmBytes ?? 0) || undefined;
      rec.peakRssBytes = Math.max(rec.peakRssBytes ?? 0, run.peakRssBytes);
      rec.version = run.version;
      rec.loadAverage = { ...rec.loadAverage, [what]: run.loadAverage };
    } catch (e) {
      rec.errors.push(`${what}: ${(e as Error).message}`);
    }
    results.vision = { ...results.vision, [key]: rec };
    await writeResults(results);
  }
}

interface PeerOptions {
  presets: PresetName[];
  runtimes: RuntimeName[];
  threads: number;
  context: number;
  newTokens: number;
  rounds: number;
  /** Children per side, alternating sides in ABBA order so a drifting machine load hits both alike. */
  repeats: number;
  timeoutS: number;
}

/**
 * Why figure 2 runs only the engine side of the full model on wasm. transformers.js runs the decoder as ORT-web's
 * session, whose MatMulNBits dequantizes every weight on every call (the decoder section of RESULTS.md), and in
 * Node it can hand ORT-web external data only through session_options.externalData, which it gives to every
 * session. The engine's wasm decoder is its int4 kernels (~2.3 GB of kernel memory), which run it.
 */
const FULL_WASM_SKIP = 'full q4 on ORT-web wasm: transformers.js runs the decoder as ORT-web\'s wasm session, which decodes the full q4 decoder at ~0.02 tokens/s (MatMulNBits dequantizes each weight per call), so a 2048-token prefill plus 16 tokens would take tens of minutes per round; and transformers.js would hand every session every external-data file (its only way to give ORT-web external data in Node), ~4.4 GB of buffers besides the heap, over this bench\'s 8 GB RSS limit. The engine side runs: its wasm decoder is the int4 kernels.';

/**
 * The cached q4 folder of a preset, as the decoder bench converted it. Not (re)converted here: presetModel
 * reconverts a folder of an older model.json version, which for `full` costs minutes and GBs; figure 2 only
 * needs embed_tokens and the decoder, which every version has.
 */
function cachedQ4Folder(preset: PresetName): string {
  const dir = join(CACHE, `bench-${preset}-seed0-q4`);
  if (!existsSync(join(dir, 'model.json'))) throw new Error(`${dir}: no converted ${preset} q4 folder; run \`npm run bench -- decoder\` (full) or \`-- answer\` (tiny) once first`);
  return dir;
}

/** One side's children as one record: samples pooled (mergePeerRuns), every child's load average, the peaks. */
function mergeSide(runs: PeerSideRun[]): PeerSideRun | undefined {
  if (runs.length === 0) return undefined;
  const peak = (k: 'peakRssBytes' | 'peakWasmBytes') => Math.max(...runs.map((r) => r[k] ?? 0)) || undefined;
  return { ...mergePeerRuns(runs), loadAverage: runs.map((r) => r.loadAverage as number[]), peakRssBytes: peak('peakRssBytes'), peakWasmBytes: peak('peakWasmBytes') };
}

/** Figure 2 per preset and runtime: each side in its own children (ABBA), merged by key. */
async function peerFigures(results: Results, o: PeerOptions): Promise<void> {
  for (const preset of o.presets)
    for (const runtime of o.runtimes) {
      const spec: RuntimeSpec = { runtime, threads: o.threads };
      const rec: PeerRecord = { preset, dtype: 'q4', runtime: `${runtime}:${o.threads}`, context: o.context, newTokens: o.newTokens, errors: [] };
      const key = `${preset} q4 ${rec.runtime} @${o.context}`;
      const engineOnly = preset === 'full' && runtime === 'wasm';
      if (engineOnly) rec.errors.push(`transformers.js: ${FULL_WASM_SKIP}`);
      const args: PeerArgs = { folder: cachedQ4Folder(preset), dtype: 'q4', context: o.context, newTokens: o.newTokens, rounds: o.rounds, warmupRounds: 1 };
      const both: [PeerSide, 'transformersjs' | 'engine', string][] = [['transformers.js', 'transformersjs', 'peer-transformersjs'], ['engine', 'engine', 'peer-engine']];
      const sides = engineOnly ? both.filter(([side]) => side === 'engine') : both;
      const runs: Record<'transformersjs' | 'engine', PeerSideRun[]> = { transformersjs: [], engine: [] };
      for (let rep = 0; rep < o.repeats; rep++)
        for (const [side, field, task] of rep % 2 ? [...sides].reverse() : sides) {
          try {
            runs[field].push(await child<PeerSideRun>(task, spec, args, o.timeoutS));
          } catch (e) {
            rec.errors.push(`${side}: ${(e as Error).message}`);
          }
        }
      rec.transformersjs = mergeSide(runs.transformersjs);
      rec.engine = mergeSide(runs.engine);
      // only this key is written: a stale copy of another writer's section must not overwrite theirs
      results.peer = { ...(await readResults()).peer, [key]: rec };
      await writeResults({ peer: results.peer });
    }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      dtype: { type: 'string', default: 'q4' },
      threads: { type: 'string', default: '2' },
      contexts: { type: 'string', default: '512,2048,4096' },
      'decode-runs': { type: 'string', default: '5' },
      prefill: { type: 'string', default: '512,2048' },
      'prefill-runs': { type: 'string', default: '2' },
      'wasm-prefill': { type: 'string', default: '512' },
      'wasm-prefill-runs': { type: 'string', default: '1' },
      'int4-prefill': { type: 'string', default: '64,512' },
      'max-tokens': { type: 'string', default: '8' },
      only: { type: 'string' },
      presets: { type: 'string' },
      'vision-dtypes': { type: 'string', default: 'q4,fp32' },
      'vision-runtimes': { type: 'string', default: 'wasm' },
      'vision-runs': { type: 'string', default: '5' },
      semantic: { type: 'string', default: '448,896' },
      boxes: { type: 'string', default: '1,20,100' },
      budget: { type: 'string', default: '120' },
      'part-timeout': { type: 'string', default: '900' },
      'vision-no-warmup': { type: 'boolean', default: false },
      'no-davit': { type: 'boolean', default: false },
      rounds: { type: 'string', default: '5' },
      'answer-dtypes': { type: 'string', default: 'q4' },
      'answer-encoders': { type: 'string', default: 'int8' },
      'answer-runtimes': { type: 'string', default: 'wasm' },
      'kv-layers': { type: 'string', default: '2' },
      'kv-rounds': { type: 'string', default: '12' },
      'browser-rounds': { type: 'string', default: '3' },
      'browser-budget': { type: 'string', default: '90' },
      'peer-presets': { type: 'string', default: 'tiny,full' },
      'peer-runtimes': { type: 'string', default: 'native,wasm' },
      'peer-context': { type: 'string', default: '2048' },
      'peer-tokens': { type: 'string', default: '16' },
      'peer-rounds': { type: 'string', default: '2' },
      'peer-repeats': { type: 'string', default: '2' },
      'proposal-rounds': { type: 'string', default: '5' },
      'large-rounds': { type: 'string', default: '3' },
      'convert-preset': { type: 'string', default: 'full' },
      'phone-levels': { type: 'string', default: 'low,medium,reference' },
    },
  });
  const what = positionals[0] ?? 'all';
  const known = ['all', 'machine', 'formats', 'decoder', 'vision', 'answer', 'kv-context', 'browser', 'peer', 'proposals', 'browser-convert'];
  if (!known.includes(what)) throw new Error(`npm run bench -- ${what}: expected one of ${known.join(', ')}`);
  const threads = Number(values.threads);
  const dtype = values.dtype as WeightFormat;
  const results: Results = await readResults();

  if (what === 'all' || what === 'machine') {
    results.machine = machineInfo();
    results.bandwidth = { streamingReadBytesPerSecond: await streamingReadBandwidth() };
    await writeResults(results);
  }
  if (what === 'all' || what === 'formats') {
    const runtimes: RuntimeSpec[] = [{ runtime: 'wasm', threads: 1 }, { runtime: 'wasm', threads }, { runtime: 'native', threads }];
    results.formats = {};
    for (const spec of runtimes) results.formats[`${spec.runtime}:${spec.threads}`] = await child('formats', spec, { ms: [1, 512] });
    await writeResults(results);
  }
  if (what === 'all' || what === 'decoder') {
    // q8 is a wasm-only experiment outside the model folder's dtypes: its decoder is emitted on its own
    const graph = dtype === 'q8' ? await fullDecoderOnly('q8') : decoderGraph(await fullModel(dtype as ModelDtype), dtype as ModelDtype);
    const base = { graph, shape: fullShape(), contexts: ints(values.contexts), decodeRuns: Number(values['decode-runs']), prefillRuns: Number(values['prefill-runs']) };
    const key = dtype === 'q4' ? 'decoder' : `decoder_${dtype}`;
    // --only native,int4 (any of native, int4, int4-simd, wasm) re-measures those sides and keeps the others' last
    // records. int4 is the build the engine picks (relaxed SIMD here, as in Chrome); int4-simd the plain-SIMD one
    // that browsers without relaxed SIMD (Firefox, Safari) run.
    const sides = (values.only ?? 'native,int4,int4-simd,wasm').split(',');
    const previous = results[key] as Results['decoder'] | undefined;
    const rec: NonNullable<Results['decoder']> = { ...(values.only && previous?.graph === graph ? previous : {}), dtype, graph, shape: base.shape };
    results[key] = rec;
    // native first: it is fast, and a wasm failure (heap limit) must not lose it
    if (sides.includes('native')) {
      rec.native = await child('decoder', { runtime: 'native', threads }, { ...base, prefill: ints(values.prefill) });
      await writeResults(results);
    }
    for (const [side, field, isa] of [['int4', 'int4', undefined], ['int4-simd', 'int4Simd', 'simd']] as const)
      if (sides.includes(side) && dtype === 'q4') {
        try {
          delete rec[`${field}Error`];
          rec[field] = await child('int4-decoder', { runtime: 'wasm', threads }, { graph, contexts: base.contexts, decodeRuns: base.decodeRuns, prefill: ints(values['int4-prefill']), prefillRuns: 1, isa });
        } catch (e) {
          rec[`${field}Error`] = (e as Error).message;
        }
        await writeResults(results);
      }
    if (sides.includes('wasm')) {
      try {
        delete rec.wasmError;
        rec.wasm = await child('decoder', { runtime: 'wasm', threads }, { ...base, prefill: ints(values['wasm-prefill']), prefillRuns: Number(values['wasm-prefill-runs']) });
      } catch (e) {
        rec.wasmError = (e as Error).message;
      }
      if (dtype === 'q4' && !results.full_q4_wasm?.answered)
        results.full_q4_wasm = {
          answered: false,
          peak_wasm_bytes: rec.wasm?.peakWasmBytes ?? null,
          note: rec.wasm
            ? 'Peak wasm heap of the q4 decoder session alone (decode up to 4096 context), not of an engine answer: `npm run bench -- answer` has not completed on wasm yet.'
            : `The q4 decoder did not run on wasm: ${rec.wasmError}`,
        };
      await writeResults(results);
    }
  }
  const partTimeout = Number(values['part-timeout']);
  if (what === 'all' || what === 'vision') {
    const presets = (values.presets ?? 'tiny,full').split(',') as PresetName[];
    for (const preset of presets)
      for (const dtype of values['vision-dtypes'].split(',') as ModelDtype[])
        for (const runtime of values['vision-runtimes'].split(',') as RuntimeSpec['runtime'][])
          await visionFigures(results, { runtime, threads }, preset, dtype, {
            semanticSizes: ints(values.semantic),
            boxCounts: ints(values.boxes),
            runs: Number(values['vision-runs']),
            budgetS: Number(values.budget),
            warmup: !values['vision-no-warmup'],
            davit: !values['no-davit'],
            timeoutS: partTimeout,
          });
  }
  if (what === 'all' || what === 'answer') {
    const presets = (values.presets ?? 'tiny').split(',') as PresetName[];
    const dtypes = values['answer-dtypes'].split(',') as ModelDtype[];
    const encoderRuns = values['answer-encoders'].split(',') as EncoderLinears[];
    for (const e of encoderRuns) if (e !== 'int8' && e !== 'int4') throw new Error(`--answer-encoders: "${e}" is neither int8 nor int4`);
    const answerRuntimes = values['answer-runtimes'].split(',') as RuntimeName[];
    for (const r of answerRuntimes) if (r !== 'wasm' && r !== 'native') throw new Error(`--answer-runtimes: "${r}" is neither wasm nor native`);
    // int8 encoders are a wasm remedy (native MatMulNBits has int4 kernels): native runs once, int4, whatever the list
    const encodersOn = (runtime: RuntimeName): EncoderLinears[] => (runtime === 'wasm' ? encoderRuns : ['int4']);
    const runs = presets.flatMap((p) => dtypes.flatMap((d) => answerRuntimes.flatMap((runtime) => encodersOn(runtime).map((e) => [p, d, runtime, e] as const))));
    for (const [preset, dtype, runtime, encoders] of runs) {
      const args: AnswerArgs & { preset: string } = {
        preset,
        folder: await presetModel(preset, dtype),
        dtype,
        boxes: 20,
        // the full model on wasm: one round, no extra warm-up (each costs minutes, if it fits at all)
        rounds: preset === 'full' ? 1 : Number(values.rounds),
        warmupRounds: preset === 'full' ? 0 : 1,
        maxNewTokens: Number(values['max-tokens']),
        phoneLevels: values['phone-levels'].split(',').filter(Boolean) as DetailLevel[],
        encoders,
      };
      let rec: AnswerRecord;
      try {
        rec = await child<AnswerRecord>('answer', { runtime, threads }, args, partTimeout);
      } catch (e) {
        rec = { preset, dtype, answered: false, error: (e as Error).message };
      }
      // the product's wasm default (int8 encoders) unmarked; native runs MatMulNBits' own int4 kernels
      results.answers = { ...results.answers, [`${preset} ${dtype} ${runtime}:${threads}${runtime === 'wasm' && encoders === 'int4' ? ' int4 encoders' : ''}`]: rec };
      if (encoders === 'int4' || runtime === 'native') {
        await writeResults(results);
        continue;
      }
      if (preset === 'full' && dtype === 'q4') results.full_q4_wasm = fullQ4Wasm(rec, threads, defaultDetail('wasm'));
      await writeResults(results);
    }
  }
  if (what === 'all' || what === 'kv-context') {
    const args: KvContextArgs = { layers: Number(values['kv-layers']), rounds: Number(values['kv-rounds']), contexts: ints(values.contexts) };
    results.kv_context = await child('kv-context', { runtime: 'wasm', threads }, args, partTimeout);
    await writeResults(results);
  }
  if (what === 'all' || what === 'peer')
    await peerFigures(results, {
      presets: values['peer-presets'].split(',') as PresetName[],
      runtimes: values['peer-runtimes'].split(',') as RuntimeName[],
      threads,
      context: Number(values['peer-context']),
      newTokens: Number(values['peer-tokens']),
      rounds: Number(values['peer-rounds']),
      repeats: Number(values['peer-repeats']),
      timeoutS: partTimeout,
    });
  if (what === 'all' || what === 'proposals') {
    const args: ProposalsArgs = { rounds: Number(values['proposal-rounds']), largeRounds: Number(values['large-rounds']) };
    // only this key is written: a stale copy of another writer's section must not overwrite theirs
    results.proposals = await child<ProposalsRun>('proposals', { runtime: 'wasm', threads }, args, partTimeout);
    await writeResults({ proposals: results.proposals });
  }
  if (what === 'all' || what === 'browser') {
    process.stderr.write(`▶ browser ${new Date().toISOString().slice(11, 19)} load ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
    results.browser = await measureBrowser({ rounds: Number(values['browser-rounds']), budgetS: Number(values['browser-budget']) });
    await writeResults(results);
  }
  if (what === 'all' || what === 'browser-convert') {
    process.stderr.write(`▶ browser-convert ${new Date().toISOString().slice(11, 19)} load ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
    await writeResults({ browser_convert: await measureBrowserConvert(values['convert-preset'] as PresetName) });
  }
  process.stderr.write('wrote bench/results.json and bench/RESULTS.md\n');
}

main().catch((e: Error) => {
  process.stderr.write(`bench: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
