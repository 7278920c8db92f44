// npm run bench [-- all|machine|formats|decoder|answer] [--dtype q4] [--threads 2] [--contexts 512,2048,4096]
//                  [--decode-runs 5] [--prefill 512,2048] [--prefill-runs 2] [--wasm-prefill 512] [--wasm-prefill-runs 1]
//                  [--max-tokens 8] [--only wasm|native]
// (wasm prefill defaults to one 512-token run: MatMulNBits costs ~1 s per 11008×2048 Linear at M = 512 there,
// so a 2048-token wasm prefill alone takes ~10 minutes on a 2-core machine.)
// Issue 5's benchmarks on the `full` random checkpoint (VLM-FO1-3B's shapes; generated and converted once into
// ~/.cache/fo1-web). Every heavy measurement runs in its own child process (bench/child.ts), one at a time,
// so only one full model is ever in memory. Figures merge into bench/results.json (other writers' keys kept)
// and bench/RESULTS.md is rewritten from it.

import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { DecoderShape } from './decoder-bench.ts';
import { machineInfo, streamingReadBandwidth } from './machine.ts';
import { decoderGraph, fullDecoderOnly, fullModel } from './models.ts';
import { readResults, writeResults, type AnswerRun, type Results } from './results.ts';
import type { WeightFormat } from '../converter/emit/linear.ts';
import type { RuntimeSpec } from './runtime.ts';
import type { ModelDtype } from '../src/model-folder/manifest.ts';
import { PRESETS } from '../converter/fixture/presets.ts';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

/** Runs one task in a fresh process; its stderr streams through, its last stdout line is the result. */
function child<T>(task: string, spec: RuntimeSpec, args: unknown): Promise<T> {
  const label = `${task} ${spec.runtime}:${spec.threads}`;
  process.stderr.write(`▶ ${label}\n`);
  return new Promise((resolve, reject) => {
    const p = spawn(TSX, [CHILD, task, `${spec.runtime}:${spec.threads}`, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code, signal) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last) resolve(JSON.parse(last) as T);
      else reject(new Error(`${label}: child exited with ${signal ?? code}${last ? `: ${last}` : ''}`));
    });
  });
}

function fullShape(): DecoderShape {
  const t = PRESETS.full.text;
  return { layers: t.layers, hidden: t.hidden, kvHeads: t.kvHeads, headDim: t.hidden / t.heads };
}

const ints = (s: string) => s.split(',').filter(Boolean).map(Number);

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
      'max-tokens': { type: 'string', default: '8' },
      only: { type: 'string' },
    },
  });
  const what = positionals[0] ?? 'all';
  const known = ['all', 'machine', 'formats', 'decoder', 'answer'];
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
    // --only wasm|native re-measures one side and keeps the other's last record
    const previous = results[key] as Results['decoder'] | undefined;
    const rec: NonNullable<Results['decoder']> = { ...(values.only && previous?.graph === graph ? previous : {}), dtype, graph, shape: base.shape };
    results[key] = rec;
    // native first: it is fast, and a wasm failure (heap limit) must not lose it
    if (values.only !== 'wasm') {
      rec.native = await child('decoder', { runtime: 'native', threads }, { ...base, prefill: ints(values.prefill) });
      await writeResults(results);
    }
    if (values.only !== 'native') {
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
  if (what === 'all' || what === 'answer') {
    const folder = await fullModel('q4');
    try {
      const a = await child<AnswerRun>('answer', { runtime: 'wasm', threads }, { folder, maxNewTokens: Number(values['max-tokens']) });
      results.answer = a;
      results.full_q4_wasm = { answered: a.answered, peak_wasm_bytes: a.peakWasmBytes ?? null, note: `Engine (src/engine/node.ts) on ORT-web wasm ×${threads}: 640×480 image, 20 boxes, a short question, ${values['max-tokens']} new tokens, then a follow-up.` };
    } catch (e) {
      results.full_q4_wasm = { answered: false, peak_wasm_bytes: null, note: `The engine failed on wasm: ${(e as Error).message}` };
    }
    await writeResults(results);
  }
  process.stderr.write('wrote bench/results.json and bench/RESULTS.md\n');
}

main().catch((e: Error) => {
  process.stderr.write(`bench: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
