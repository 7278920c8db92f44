// bench/RESULTS.md: the figures of bench/results.json (results.ts) for people, one section per benchmark.

import { FOLLOW_UP, QUESTION, type AnswerRun } from './answer-bench.ts';
import type { BrowserConvertRun } from './browser-convert.ts';
import type { BrowserRun } from './browser-bench.ts';
import type { PhotoSetRun, ProposalsRun } from './proposals-bench.ts';
import {
  kvBytes, peerGoal, ratio, sameRuntimePair, type ConvertRun, type DecoderRun, type PeerPair, type PeerSideRun, type Results,
} from './results.ts';
import { fmt, round, type Summary } from './stats.ts';

const gb = (b: number | undefined | null) => (b == null ? '–' : `${(b / 1e9).toFixed(2)} GB`);

export function renderMarkdown(r: Results): string {
  const L: string[] = [
    '# fo1-web benchmarks',
    '',
    'Written by `npm run bench` (bench/run.ts); raw figures in `results.json`. ' +
      'Each figure: median (min–max) of several runs after a warm-up.',
    '',
  ];
  if (r.machine) {
    const m = r.machine;
    L.push('## Machine', '', `| | |`, `|---|---|`,
      `| date | ${m.date} |`, `| CPU | ${m.cpu}, ${m.cores} cores |`, `| memory | ${gb(m.memoryBytes)} |`,
      `| Node | ${m.node} |`, `| Chromium | ${m.chromium ?? 'not found'} |`,
      `| onnxruntime-web | ${m.onnxruntimeWeb} |`, `| onnxruntime-node | ${m.onnxruntimeNode} |`,
      `| transformers.js | ${m.transformersJs} |`,
      `| load average at start | ${m.loadAverage.join(' ')} (shared machine: other jobs were running) |`, '');
  }
  if (r.bandwidth) L.push(`Streaming read, one thread: **${fmtBw(r.bandwidth.streamingReadBytesPerSecond)}**.`, '');
  if (r.ratios) {
    const g = r.ratios;
    L.push('## Goals', '', '| figure | value | goal |', '|---|---|---|',
      '| wasm ÷ native decode tokens/s @2048 (same q4 file, same threads; wasm = the engine\'s int4 kernels, ' +
        `${r.decoder?.int4?.isa ?? 'simd'} build) | ${g.wasm_vs_native_decode ?? '–'} | ≥ 0.8 |`,
      '| the same with the kernels\' plain-SIMD build (browsers without relaxed SIMD: Firefox, Safari) | ' +
        `${g.int4_simd_vs_native_decode ?? '–'} | ≥ 0.8 |`,
      `| wasm decode @4096 ÷ @512 (full q4, the engine's int4 kernels) | ${g.decode_4096_vs_512 ?? '–'} | ≥ 0.9 |`,
      `| wasm decode @4096 ÷ @512, engine KV path on a ${r.kv_context?.layers ?? '?'}-layer fp32 decoder with 3B layer dims ` +
        `(kv-context) | ${g.decode_4096_vs_512_kv_context ?? '–'} | ≥ 0.9 |`,
      `| follow-up ÷ first time to first token, tiny q4 on wasm (issue 3) | ${g.followup_ttft_vs_first_tiny ?? '–'} | ≤ 0.1 |`,
      `| follow-up ÷ first time to first token, full q4 on wasm | ${g.followup_ttft_vs_first_full ?? 'not measured'} | ≤ 0.1 |`,
      '| first time to first token, full q4: the engine on wasm ÷ the same engine and graphs on onnxruntime-node native ' +
        `CPU, same threads, one run (issue 12) | ${g.first_ttft_wasm_vs_native ?? 'not measured'} | ≤ 2.0 |`,
      ...peerGoalRows(r),
      `| full q4 answered on wasm | ${r.full_q4_wasm?.answered ?? '–'} (peak wasm heap ${gb(r.full_q4_wasm?.peak_wasm_bytes)}) | ` +
        'true, ≤ 4 GB |',
      `| a 4032×3024 photo answered on wasm at its default level (full q4) | ${largePhoto(r.full_q4_wasm?.large_photo)} | true, ≤ 4 GB |`, '');
    if (r.full_q4_wasm?.note) L.push(r.full_q4_wasm.note, '');
  }
  if (r.convert) renderConvert(L, r.convert as ConvertRun);
  if (r.browser_convert) renderBrowserConvert(L, r.browser_convert);
  if (r.formats) renderFindings(L, r.formats);
  if (r.answers) renderAnswers(L, r.answers);
  if (r.vision) renderVision(L, r.vision);
  if (r.peer) renderPeer(L, r.peer);
  if (r.kv_context) renderKvContext(L, r.kv_context);
  if (r.browser) renderBrowser(L, r.browser);
  if (r.proposals) renderProposals(L, r.proposals);
  if (r.decoder) renderDecoder(L, r, r.decoder);
  if (r.decoder_q8) renderDecoder(L, r, r.decoder_q8 as NonNullable<Results['decoder']>);
  if (r.formats) renderFormats(L, r.formats);
  return L.join('\n') + '\n';
}

function largePhoto(p: NonNullable<Results['full_q4_wasm']>['large_photo']): string {
  if (!p) return 'not measured';
  return `${p.answered} (${p.level}, ${p.image_tokens ?? '–'} image tokens, TTFT ${p.ttft_ms === null ? '–' : `${(p.ttft_ms / 1000).toFixed(1)} s`}, ` +
    `peak wasm ${gb(p.peak_bytes)})`;
}

function renderConvert(L: string[], c: ConvertRun): void {
  L.push(`## Conversion (\`npm run bench:convert\`): full preset → q4, block ${c.blockSize}`, '',
    '| figure | value | goal |', '|---|---|---|',
    `| wall time | ${c.wallSeconds} s (${c.readMBps} MB/s read) | ≤ ${c.goals.wallSeconds} s |`,
    `| peak RSS | ${gb(c.peakRssBytes)} | ≤ ${gb(c.goals.peakRssBytes)} |`,
    `| q4 folder | ${gb(c.q4FolderBytes)} | ≤ ${gb(c.goals.q4FolderBytes)} |`, '',
    '| file | bytes |', '|---|---|', ...Object.entries(c.files).map(([f, b]) => `| ${f} | ${b.toLocaleString('en')} |`), '');
  if (c.note) L.push(c.note + (c.loadAverage ? ` (1-minute load average ${c.loadAverage.join(' → ')}).` : ''), '');
}

function renderBrowserConvert(L: string[], b: BrowserConvertRun): void {
  const side = (name: string, x: BrowserConvertRun['cli']) => `| ${name} | ${x.wallSeconds} s | ${x.MBps} MB/s | ${gb(x.peakBytes)} |`;
  L.push(`## In-page conversion (\`npm run bench -- browser-convert\`, issue 11): ${b.preset} preset → ${b.dtype} from a local Hub`, '',
    `bench/browser-convert.ts: ${gb(b.checkpointBytes)} of bf16 safetensors served by converter/testing/hub-server.ts (resolve → 302 ` +
      'to a second origin, single ranges). The CLI (`npm run convert -- --from-hub`, a child process) and then workers/convert-worker.ts ' +
      `in ${b.chromium} (headless, a profile on disk, writing to OPFS), in one run. Peak memory: the CLI process's RSS; the ` +
      "browser's renderer processes' RSS (the worker runs there), sampled every 250 ms.", '',
    '| converter | wall time | checkpoint read | peak memory |', '|---|---|---|---|',
    side('CLI (Node)', b.cli), side('in the page', b.browser), '',
    '| figure | value | goal |', '|---|---|---|',
    `| in-page ÷ CLI throughput (ratios.browser_convert_vs_cli) | ${ratio(b.browser.MBps, b.cli.MBps)} | ≥ ${b.goals.browser_convert_vs_cli} |`,
    `| page peak memory | ${gb(b.browser.peakBytes)} | ≤ ${gb(b.goals.peak_bytes)} |`,
    `| identical to the CLI (every file's size and sha256) | ${b.identical_to_cli}${b.differing.length ? ` (differ: ${b.differing.join(', ')})` : ''} | true |`,
    `| interrupted at ${gb(b.resume.interruptedAtBytes)} read, resumed, identical | ${b.resumed_ok} (kept ${b.resume.keptGraphs.length} ` +
      `finished graphs; ${b.resume.wallSeconds} s to finish) | true |`, '',
    `1-minute load average ${b.loadAverage.join(' → ')}.`, '');
}

function fmtBw(s: Summary): string {
  return `${(s.median / 1e9).toFixed(1)} GB/s (${(s.min / 1e9).toFixed(1)}–${(s.max / 1e9).toFixed(1)})`;
}

/** What the per-format profile says about the wasm path, from the measured figures. */
function renderFindings(L: string[], formats: NonNullable<Results['formats']>): void {
  const wasm = formats['wasm:1'] ?? formats[Object.keys(formats).find((k) => k.startsWith('wasm')) ?? ''];
  const native = formats[Object.keys(formats).find((k) => k.startsWith('native')) ?? ''];
  if (!wasm || !native) return;
  const m1 = (f: typeof wasm, id: string) => f.timings.find((t) => t.id === id && t.M === 1)?.ms.median;
  const nbits = wasm.timings.filter((t) => t.id.startsWith('MatMulNBits') && t.M === 1).map((t) => t.ms.median);
  const shipped = 'MatMulNBits b4 blk32 zp acc4';
  L.push('## What the profile shows', '',
    '- ORT-web\'s wasm build has no int4 kernel: every MatMulNBits configuration (block 16–128, with or without zero ' +
      `points, accuracy_level 0 or 4, 8 bits too) takes ${Math.min(...nbits)}–${Math.max(...nbits)} ms (medians) for one ` +
      `11008×2048 mat-vec on wasm, against ${m1(native, shipped)} ms native for the converter's q4 (${shipped}). The wasm ` +
      'MLAS has only SGEMM/QGEMM kernels (wasm_simd/Sgemm*), so the CPU MatMulNBits falls back to dequantizing the whole ' +
      'weight into a new fp32 buffer on every call, then SGEMM (contrib_ops/cpu/quantization/matmul_nbits.cc ComputeBUnpacked).',
    `- On wasm the same Linear as fp32 MatMul takes ${m1(wasm, 'MatMul fp32')} ms and as int8 DynamicQuantizeMatMul ` +
      `(converter q8) ${m1(wasm, 'DynamicQuantizeMatMul s8 per-col')} ms: the int8 QGEMM has a wasm SIMD kernel. q8 costs ` +
      '1 byte/weight (the 3B decoder ≈ 3.1 GB, lm_head included) instead of ≈ 0.64 for q4.',
    '- The lm_head (151936 × 2048) in q4 is dequantized to a 1.24 GB fp32 temporary on every wasm decode step; that ' +
      'transient, not the weights, sets the wasm heap peak.',
    '');
}

const ms = (x: Summary | undefined) => (x ? fmt(x) : '–');

/** How an answer record's encoder Linears ran: records from before the choice ran MatMulNBits (int4). */
function encodersLabel(a: AnswerRun): string {
  if (a.dtype === 'fp32') return 'fp32 (MatMul)';
  if (a.runtime?.startsWith('native')) return 'int4 (native MatMulNBits)';
  return a.encoders === 'int8' ? 'int8 (DynamicQuantizeMatMul)' : 'int4 (MatMulNBits)';
}

function renderAnswers(L: string[], answers: NonNullable<Results['answers']>): void {
  L.push('## Time to first token through the engine (figure 5; issue 3)', '',
    'src/engine/node.ts on ORT-web wasm in Node (a "native" key: the same engine and graphs on onnxruntime-node\'s ' +
      'CPU provider, the decoder as its session too, bench/native-ort.ts): a photo with 20 boxes, the question "' + QUESTION + '" on box 0, then ' +
      'the follow-up "' + FOLLOW_UP + '" on the same image and boxes. Each round is a new image id (the first question ' +
      're-encodes the image); the follow-up reuses the image features, region embeddings and prefix KV cache. ms, median ' +
      '(min–max) over the rounds.', '');
  L.push('| model | encoders\' Linears | photo | load | first: vision | regions | prefill | **TTFT** | follow-up: prefill | **TTFT** | ' +
    'follow-up ÷ first | decode tok/s | peak wasm heap | load avg |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  // Each record's key names the model and the runtime with its threads (bench/run.ts), e.g. "full q4 wasm:2".
  for (const [key, a] of Object.entries(answers)) {
    if (!('summary' in a)) {
      L.push(`| ${key} | – | – | – | – | – | – | not answered | – | – | – | – | – | – |`);
      continue;
    }
    const x = a.summary;
    L.push(`| ${key} | ${encodersLabel(a)} | ${a.photo}, ${a.boxes} boxes | ${(a.loadMs / 1000).toFixed(1)} s | ` +
      `${ms(x.visionMs)} | ${ms(x.regionsMs)} | ${ms(x.firstPrefillMs)} | **${ms(x.firstTtftMs)}** | ${ms(x.followUpPrefillMs)} | ` +
      `**${ms(x.followUpTtftMs)}** | ${a.followUpVsFirst} | ${ms(x.decodeTokPerS)} | ${gb(a.peakWasmBytes)} | ` +
      `${a.loadAverage?.join(' → ') ?? '–'} |`);
  }
  L.push('');
  renderReadAhead(L, answers);
  for (const [key, a] of Object.entries(answers)) if ('summary' in a && a.phonePhoto) renderPhoneLevels(L, key, a.phonePhoto);
  for (const a of Object.values(answers)) {
    if ('summary' in a) continue;
    const after = a.loadMs === undefined
      ? ''
      : ` — after loading in ${(a.loadMs / 1000).toFixed(1)} s (wasm heap ${gb(a.heapAfterLoad)} after load, its load warm-up ` +
        `included) and ${((a.failedAfterMs ?? 0) / 1000).toFixed(1)} s into the first question`;
    L.push(`- ${a.preset} ${a.dtype} did not answer: ${a.error.split('\n')[0]}${after}; peak wasm heap ${gb(a.peakWasmBytes)}, ` +
      `peak RSS ${gb(a.peakRssBytes)}${a.loadAverage ? `, load average ${a.loadAverage.join(' → ')}` : ''}.`);
  }
  L.push('');
}

function renderReadAhead(L: string[], answers: NonNullable<Results['answers']>): void {
  const runs = Object.entries(answers).filter((e): e is [string, AnswerRun & { readAhead: NonNullable<AnswerRun['readAhead']> }] => 'summary' in e[1] && e[1].readAhead !== undefined);
  if (!runs.length) return;
  L.push('### Read ahead: the photo prepared while the person picks a box and types', '',
    'The page\'s path (src/app/engine/bridge.ts prepareAutomatically → Engine.prepare): once the boxes are on screen the engine ' +
      'runs the encoders, the region encoder and the prompt\'s question-independent prefix; the first question then prefills only ' +
      'its own tokens. Then one box is drawn and asked about: the region encoder runs again and only the boxes\' part of the prompt ' +
      'is prefilled, since the image\'s part stays cached (src/engine/conversation.ts). One pass on a new image id, the photo and ' +
      'question of the table above; ms.', '',
    '| model | prepare: vision | regions | prefix prefill | **prepare total** | prompt positions cached | first question: prefill | **TTFT** | drawn box: regions | prefill | **TTFT** |',
    '|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [key, a] of runs) {
    const { prepare: p, question: q, drawnBox: d } = a.readAhead;
    L.push(`| ${key} | ${Math.round(p.preprocessMs + p.visionMs)} | ${Math.round(p.regionsMs)} | ${Math.round(p.prefillMs)} | **${Math.round(p.totalMs)}** | ${p.prefixTokens} | ` +
      `${Math.round(q.prefillMs)} | **${Math.round(q.ttftMs)}** | ${Math.round(d.regionsMs)} | ${Math.round(d.prefillMs)} | **${Math.round(d.ttftMs)}** |`);
  }
  L.push('');
}

function renderPhoneLevels(L: string[], model: string, p: NonNullable<AnswerRun['phonePhoto']>): void {
  L.push(`### ${model}: a phone photo at each detail level (issue 12)`, '',
    `${p.photo}; the same question on box 0 of 20, a new image id per level (src/engine/preprocess/detail.ts). ms of that one ` +
      'first question; peak: the largest wasm memory after the level ran (levels run lowest first).', '',
    '| level | answered | image tokens | vision | regions | prefill | **TTFT** | peak wasm |', '|---|---|---|---|---|---|---|---|');
  for (const l of p.levels) {
    const t = l.timings;
    L.push(l.answered && t
      ? `| ${l.level} | yes | ${l.imageTokens} | ${Math.round(t.visionMs)} | ${Math.round(t.regionsMs)} | ${Math.round(t.prefillMs)} | ` +
        `**${Math.round(t.ttftMs)}** | ${gb(l.peakWasmBytes)} |`
      : `| ${l.level} | no: ${l.error} | – | – | – | – | – | ${gb(l.peakWasmBytes)} |`);
  }
  L.push('');
}

function renderVision(L: string[], vision: NonNullable<Results['vision']>): void {
  L.push('## Vision and region encoders (figure 4), ms', '',
    'Each graph on its own session (bench/vision-bench.ts), fed as the engine feeds it, random pixels. The ORT run alone; ' +
      'for the region encoder the JS feed preparation (RoIAlign weights, box embeddings) is given after the +. One warm-up ' +
      'run per session at its first size; a figure stops repeating once its runs pass the time budget (runs column).', '');
  L.push('| model | runtime | graph | input | ms | runs | session load |', '|---|---|---|---|---|---|---|');
  for (const v of Object.values(vision)) {
    for (const f of v.figures) {
      const load = v.loadMs[f.graph] !== undefined ? `${(v.loadMs[f.graph] / 1000).toFixed(1)} s` : '–';
      const feeds = f.feedsMs ? ` + ${f.feedsMs.median}` : '';
      L.push(`| ${v.preset} ${v.dtype} | ${v.runtime} | ${f.graph} | ${f.input} | ${fmt(f.ms)}${feeds} | ` +
        `${f.ms.runs}${f.warmedUp === false ? ', no warm-up' : ''} | ${load} |`);
    }
    for (const e of v.errors) {
      const why = e.replace(/\S*\/onnxruntime\/core\//g, 'onnxruntime/core/').replace(/\|/g, '/').replace(/\n/g, ' ');
      L.push(`| ${v.preset} ${v.dtype} | ${v.runtime} | – | – | not measured: ${why} | – | – |`);
    }
  }
  L.push('');
  for (const v of Object.values(vision)) {
    const regions = v.figures.filter((f) => f.graph === 'region_encoder').sort((a, b) => parseInt(a.input) - parseInt(b.input));
    if (regions.length < 2) continue;
    const [few, many] = [regions[0], regions[regions.length - 1]];
    const pyramid = v.figures.find((f) => f.graph === 'region_pyramid');
    if (pyramid) {
      L.push(`- ${v.preset} ${v.dtype} ${v.runtime}: region_pyramid (SimpleFP, box-independent) takes ${pyramid.ms.median} ms once ` +
        `per image; a new box set then costs only region_encoder: ${regions.map((r) => `${r.ms.median} ms at ${r.input}`).join(', ')} ` +
        '(medians, plus the JS feeds).');
      continue;
    }
    L.push(`- ${v.preset} ${v.dtype} ${v.runtime}: the region encoder at ${few.input} already takes ` +
      `${Math.round((100 * few.ms.median) / many.ms.median)} % of its time at ${many.input} (medians; ` +
      `${Math.round((100 * few.ms.min) / many.ms.min)} % by the fastest runs). Its box-independent part, the SimpleFP pyramid ` +
      'over the ViT map (3×3 convs at 4× the patch grid), dominates; the engine re-runs it whenever the box set changes, so ' +
      'computing it once per image (a graph split) would leave a new box set only the pooling and the projector (measured ' +
      'before the split into region_pyramid + region_encoder).');
  }
  for (const preset of new Set(Object.values(vision).map((v) => v.preset))) {
    const onWasm = (d: string) => Object.values(vision).find((v) => v.preset === preset && v.dtype === d && v.runtime.startsWith('wasm'));
    const [q4, fp32] = ['q4', 'fp32'].map(onWasm);
    if (!q4 || !fp32) continue;
    const pairs = q4.figures.flatMap((f) => {
      const g = fp32.figures.find((x) => x.graph === f.graph && x.input === f.input);
      return g ? [`${f.graph} ${f.input.split(' (')[0]} ${round(f.ms.median / g.ms.median)}`] : [];
    });
    const why = ' At these token counts the Linears are matrix–matrix products: MatMulNBits\' per-call dequantization (see ' +
      'the profile above) is paid once per run and amortized over the rows, so q4 costs about what fp32 does — on wasm it ' +
      'saves download and memory, not time.';
    if (pairs.length) L.push(`- ${preset}, q4 ÷ fp32 time on wasm (medians): ${pairs.join('; ')}.${preset === 'full' ? why : ''}`);
  }
  const loads = Object.values(vision).flatMap((v) =>
    Object.entries(v.loadAverage ?? {}).map(([part, [a, b]]) => `${v.preset} ${v.dtype} ${part}: ${a} → ${b}`));
  L.push('', 'Machine load (1-minute load average on these 2 cores, at the start → end of each part): ' +
    `${loads.length ? loads.join('; ') : 'not recorded'}.`, '');
}

/** The goal row, and beside a product-basis goal the same-runtime ratio (otherwise the goal row already is it). */
function peerGoalRows(r: Results): string[] {
  const goal = peerGoal(r.peer);
  const rows = [`| ${peerGoalLabel(goal)} | ${r.ratios?.vs_transformersjs_decode_2048 ?? 'not measured'} | ≥ 1.5 |`];
  if (goal?.basis === 'product') {
    rows.push(`| ${peerGoalLabel(sameRuntimePair(r.peer))} | ${r.ratios?.vs_transformersjs_decode_2048_same_runtime ?? '–'} | ` +
      '(same-session view of the row above) |');
  }
  return rows;
}

/** What a goal row divides by what (figure 2's runs). */
export function peerGoalLabel(p: PeerPair | undefined): string {
  const head = 'ours ÷ transformers.js decode tok/s @2048, full q4';
  if (!p) return `${head} (figure 2)`;
  const { engine: e, transformersjs: t } = p;
  if (p.basis === 'same runtime') return `${head}, both on ${e.runtime} (${decoderKind(e)} on both sides; figure 2)`;
  const favoured = t.runtime.startsWith('ORT-node') ? ': a runtime browsers do not have, the peer\'s most favourable case' : '';
  return `${head}: the engine on ${e.runtime} (${decoderKind(e)}, the product's wasm decoder) ÷ transformers.js' fastest full ` +
    `q4 run, on ${t.runtime}${favoured} (figure 2)`;
}

/** Records written before PeerRun.decoder existed all ran the decoder as an onnxruntime session. */
function decoderKind(x: PeerSideRun): string {
  return x.decoder?.kind ?? 'onnxruntime session';
}

function loadPairs(l: PeerSideRun['loadAverage']): string {
  if (!l?.length) return '–';
  return (typeof l[0] === 'number' ? [l as number[]] : (l as number[][])).map((p) => p.join(' → ')).join('; ');
}

const PEER_METHOD =
  "@huggingface/transformers' own Qwen2.5-VL generation (Qwen2_5_VLForCausalLM over our embed_tokens + " +
  'decoder_model_merged: its generate, DynamicCache, greedy sampler) and the engine\'s decode path (src/engine/decode: its ' +
  'decoder + generate) on the same files. On wasm the engine\'s decoder is the product\'s (createDecoder: the int4 kernels ' +
  'for a q4 graph), not ORT-web\'s session; on native, which the product never runs, it is an ORT-node session like ' +
  'transformers.js\' (same-session comparison); embed_tokens is an ONNX Runtime session on both sides. The full model on ' +
  'wasm has the engine side only (why: below). A round: a text-only prompt of exactly `context` tokens, then exactly ' +
  '`new tokens` greedy tokens (transformers.js: min_new_tokens = max_new_tokens); decode tokens/s = (new tokens − 1) ÷ ' +
  '(last token time − first token time), each token timestamped as it is handed out (its streamer / generate\'s onToken). ' +
  'Each side runs in separate processes, alternating with the other side\'s (ABBA), each process one warm-up round then ' +
  'its rounds; median (min–max) over all its measured rounds, so both sides see the same drift of this shared machine\'s ' +
  'load (the load averages are each process\'s start → end). "decoder run": the time inside the decoder per decode step ' +
  '(a session\'s run; the int4 kernels\' Decoder.decode); the rest of a step is the loop\'s own work (embedding the token, ' +
  'feeds, KV bookkeeping, sampling).';

function renderPeer(L: string[], peer: NonNullable<Results['peer']>): void {
  L.push('## transformers.js as the peer (figure 2), bench/transformersjs.ts', '', PEER_METHOD, '');
  L.push('| model | runtime | side | decoder | context | new tokens | load | prefill (time to first token), ms | ' +
    '**decode tok/s** | decoder run, ms/step | ours ÷ peer | peak wasm memory | peak RSS | load avg |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const p of Object.values(peer)) {
    const r = ratio(p.engine?.decodeTokensPerSecond.median, p.transformersjs?.decodeTokensPerSecond.median);
    for (const [side, x] of [['transformers.js', p.transformersjs], ['engine', p.engine]] as const) {
      if (!x) continue;
      L.push(`| ${p.preset} ${p.dtype} | ${x.runtime} | ${side} | ${decoderKind(x)} | ${x.context} | ${x.newTokens} | ` +
        `${(x.loadMs / 1000).toFixed(1)} s | ${fmt(x.prefillMs)} | **${fmt(x.decodeTokensPerSecond)}** | ${fmt(x.decoderRunMs)} | ` +
        `${side === 'engine' ? (r ?? '–') : ''} | ${gb(x.peakWasmBytes)} | ${gb(x.peakRssBytes)} | ${loadPairs(x.loadAverage)} |`);
    }
  }
  L.push('');
  for (const [key, p] of Object.entries(peer)) {
    for (const e of p.errors) L.push(`- ${key}: not measured: ${e.replace(/\n/g, ' ')}`);
    if (p.engine?.decoder) L.push(`- ${key}: the engine's decoder: ${p.engine.decoder.reason}.`);
    const t = p.transformersjs;
    if (t?.decodeStepPositionIds) {
      const fed = t.decodeStepPositionIds[0];
      const differs = ` — its text-only rope delta (Qwen2VLForConditionalGeneration._get_text_only_rope_index) is max position ` +
        `+ 1 + length = ${fed - t.context} instead of max position + 1 − length = 0, so its greedy tokens after the first may ` +
        'differ from ours; the cost of a step does not depend on the position';
      L.push(`- ${key}: on its first decode step transformers.js fed ${t.decodeStepFeeds?.join(', ')} + past_key_values.* (our ` +
        `decoderIO names, position_ids (3, 1, 1)), with position id ${fed} where the token's position is ${t.context}` +
        `${fed === t.context ? '' : differs}.`);
    }
    if (t && p.engine) {
      L.push(`- ${key}: greedy tokens ${t.ids[0] === p.engine.ids[0] ? 'agree' : 'DISAGREE'} on the first (prefill) token ` +
        `(${t.ids[0]} / ${p.engine.ids[0]}); the full sequences ${t.ids.join(',') === p.engine.ids.join(',') ? 'agree' : 'differ'}.`);
    }
  }
  L.push('');
}

function renderKvContext(L: string[], kv: NonNullable<Results['kv_context']>): void {
  const contexts = Object.keys(kv.msPerStep).map(Number);
  L.push(`## Decode step vs context, engine KV path (bench/kv-context.ts), ms per token`, '',
    `ORT-web ${kv.version} wasm ×${kv.threads}: a ${kv.layers}-layer decoder with VLM-FO1-3B's layer dims (hidden 2048, 16/2 ` +
      `heads × 128, MLP 11008), fp32 weights, vocabulary ${kv.vocab}; ${kv.rounds} interleaved rounds after one warm-up; ` +
      `1-minute load average ${kv.loadAverage?.join(' → ') ?? 'not recorded'} on 2 cores. "engine": the engine's wasm KV path ` +
      '(past fed in, presents copied out and fed back); "no-copy-out": the same step fetching only the logits; "no-past": ' +
      'context 0, the weights alone.', '',
    `| variant | ${contexts.map((c) => `@${c}`).join(' | ')} |`, `|---|${contexts.map(() => '---|').join('')}`);
  for (const v of ['engine', 'no-copy-out', 'no-past'] as const) {
    L.push(`| ${v} | ${contexts.map((c) => ms(kv.msPerStep[c]?.[v])).join(' | ')} |`);
  }
  const kvCost = contexts.map((c) => `@${c} ${round(kv.msPerStep[c].engine.median - kv.msPerStep[c]['no-past'].median)} ms`);
  const spread = contexts.map((c) => kv.msPerStep[c]['no-past'].median);
  L.push('', `The context's own cost (engine − no-past, medians, ${kv.layers} layers): ${kvCost.join(', ')}. The no-past step ` +
    `does not depend on the context, yet its median moved between ${Math.min(...spread)} and ${Math.max(...spread)} ms across ` +
    'the three contexts on this shared machine: differences smaller than that are noise, and so is the ratio in the goals ' +
    'table to about that extent.', '');
}

function renderBrowser(L: string[], b: BrowserRun): void {
  L.push('## Browser (figure 8): the app in Chromium on the tiny preset', '',
    `${b.chromium}, flags \`${b.flags.join(' ')}\`; the production build served by \`vite preview\`; the app's worker, demo ` +
      `model (${b.model}). ${b.note}${b.loadAverage ? ` 1-minute load average ${b.loadAverage.join(' → ')} on 2 cores.` : ''}`, '');
  L.push('| backend | adapter (decoder session) | model load (click → ready) | boxes | first: vision | regions | prefill | TTFT | ' +
    'follow-up TTFT | decode tok/s | rounds |', '|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of b.runs) {
    if (r.error) {
      L.push(`| ${r.backend} | ${r.adapter ?? '–'} | ${r.loadMs ? `${(r.loadMs / 1000).toFixed(1)} s` : '–'} | – | ` +
        `failed: ${r.error.replace(/\|/g, '/').replace(/\n/g, ' ')} | | | | | | |`);
      continue;
    }
    const x = r.summary!;
    L.push(`| ${r.backend} | ${r.adapter ?? '–'} | ${(r.loadMs! / 1000).toFixed(1)} s | ${r.boxes ?? '–'} | ${ms(x.visionMs)} | ` +
      `${ms(x.regionsMs)} | ${ms(x.firstPrefillMs)} | ${ms(x.firstTtftMs)} | ${ms(x.followUpTtftMs)} | ${ms(x.decodeTokPerS)} | ` +
      `${r.rounds} |`);
  }
  L.push('');
}

function renderProposals(L: string[], p: ProposalsRun): void {
  const s = p.settings;
  L.push('## Box proposals: recall@0.5 of the top 100, and time per photo', '',
    `bench/proposals-bench.ts: ${p.detector} on ORT-web ${p.version} wasm ×${p.threads}, one session for both proposers, ` +
      'decoded RGB in → proposals out. "current": the reference pipeline (one letterboxed view, score > 0.01, ' +
      'class-agnostic NMS 0.65). "tiled": src/engine/proposals/tiled.ts — overlapping tiles (' +
      `${s.views} views per photo up to ${s.largePixels / 1e6} MP, ${s.largeViews} above), score > ${s.scoreThreshold}, boxes ` +
      `cut by a tile's inner edge scored ×${s.edgeWeight}, one class-agnostic NMS ${s.nmsIou} over all views, boxes the user ` +
      'drew first. Recall: COCO ground-truth boxes (crowd regions left out) with IoU ≥ 0.5 against one of a photo\'s first ' +
      '100 proposals, pooled over the photos. ms: median (min–max) over rounds; each photo goes through both proposers back ' +
      'to back, in alternating order, and the time ratio is taken per round (median, min–max), so both sides of a ratio saw ' +
      'the same machine load.', '',
    '| photos | proposer | views per photo | **recall@0.5@100** | found / objects | **ms per photo** | tiled ÷ current time |',
    '|---|---|---|---|---|---|---|');
  const rows = (set: PhotoSetRun) => {
    for (const [k, f] of [['current', set.current], ['tiled', set.tiled]] as const) {
      const views = [...new Set(f.views)].sort((a, b) => a - b).join('–');
      L.push(`| ${set.photos} | ${k}: ${f.proposer} | ${views} | **${f.recall}** | ${f.matched} / ${f.objects} | ` +
        `**${fmt(f.msPerPhoto)}** | ${k === 'tiled' ? `**${fmt(set.timeRatio)}**` : ''} |`);
    }
  };
  rows(p.coco);
  if (p.large) rows(p.large);
  L.push('', 'Goal (issue 12): recall ≥ 0.70 at ≤ 2× today\'s time per photo on the COCO photos: ' +
    `${p.coco.tiled.recall} at ${p.coco.timeRatio.median}× (median over rounds).`, '');
}

function renderDecoder(L: string[], r: Results, d: NonNullable<Results['decoder']>): void {
  const runs = [d.native, d.int4, d.int4Simd, d.wasm].filter((x): x is DecoderRun => !!x);
  const names = {
    wasm: (x: DecoderRun) => `ORT-web ${x.version} wasm`,
    native: (x: DecoderRun) => `ORT-node ${x.version} native CPU`,
    int4: (x: DecoderRun) => x.version.replace(/^fo1-web int4 kernels$/, 'fo1-web int4 kernels, wasm SIMD'),
  };
  const label = (x: DecoderRun) => `${names[x.spec.runtime](x)} ×${x.spec.threads}`;
  const fileBytes = d.native?.fileBytes ?? d.wasm?.fileBytes;
  L.push(`## Decoder (${d.dtype}, full 3B shapes)`, '',
    `File: \`${d.graph}\` (${gb(fileBytes)} with external data). The int4 kernels (src/engine/decode/int4) are the engine's ` +
      'wasm decoder: the same file\'s int4 weights multiplied in place with int8 activations; ORT-web\'s wasm session is the ' +
      'baseline they replace.', '');
  L.push('| runtime | load | decode tok/s @512 | @2048 | @4096 | peak wasm heap | peak RSS |', '|---|---|---|---|---|---|---|');
  const decodeAt = (x: DecoderRun, c: number) => {
    const f = x.decode.find((q) => q.context === c);
    return f ? fmt(f.tokensPerSecond) : '–';
  };
  for (const x of runs) {
    L.push(`| ${label(x)} | ${(x.loadMs / 1000).toFixed(1)} s | ${[512, 2048, 4096].map((c) => decodeAt(x, c)).join(' | ')} | ` +
      `${gb(x.kernelMemoryBytes ?? x.peakWasmBytes)} | ${gb(x.peakRssBytes)} |`);
  }
  if (d.wasmError) L.push('', `wasm run failed: ${d.wasmError}`);
  if (d.int4Error) L.push('', `int4 run failed: ${d.int4Error}`);
  if (d.int4SimdError) L.push('', `int4 plain-SIMD run failed: ${d.int4SimdError}`);
  L.push('', '| runtime | prefill tokens | ms | tokens/s |', '|---|---|---|---|');
  for (const x of runs) for (const p of x.prefill) L.push(`| ${label(x)} | ${p.tokens} | ${fmt(p.ms)} | ${fmt(p.tokensPerSecond)} |`);
  const bw = r.bandwidth?.streamingReadBytesPerSecond.median;
  if (bw && d.shape && runs.length) {
    L.push('', 'Decode against the memory-bandwidth ceiling (bytes per token = decoder weights + KV read: fp32 in ORT, int8 in ' +
      `the int4 kernels; ceiling = ${(bw / 1e9).toFixed(1)} GB/s ÷ bytes):`, '',
    '| runtime | context | bytes/token | ceiling tok/s | measured | fraction |', '|---|---|---|---|---|---|');
    for (const x of runs) {
      for (const f of x.decode) {
        const bytes = (fileBytes ?? 0) + kvBytes(d.shape, f.context, x.spec.runtime === 'int4' ? 'int8' : 'fp32');
        const ceiling = bw / bytes;
        L.push(`| ${label(x)} | ${f.context} | ${gb(bytes)} | ${ceiling.toFixed(2)} | ${f.tokensPerSecond.median} | ` +
          `${(f.tokensPerSecond.median / ceiling).toFixed(2)} |`);
      }
    }
  }
  L.push('');
}

function renderFormats(L: string[], formats: NonNullable<Results['formats']>): void {
  const keys = Object.keys(formats);
  L.push('## One Linear per weight format (11008 × 2048, the gate/up projection), ms', '',
    'Random weights. At M = 1 a q4/int8 weight (11–23 MB) stays in the L3 cache across repeats, so these M = 1 figures are ' +
      'kernel speed, not DRAM streaming; the decoder table above is the streaming case.', '',
    `| format | ${keys.map((k) => `${k} M=1`).join(' | ')} | ${keys.map((k) => `${k} M=512`).join(' | ')} |`,
    `|---|${keys.map(() => '---|').join('')}${keys.map(() => '---|').join('')}`);
  const ids = [...new Set(formats[keys[0]].timings.map((t) => t.id))];
  const cell = (k: string, id: string, M: number) => {
    const t = formats[k].timings.find((x) => x.id === id && x.M === M);
    return t ? fmt(t.ms) : '–';
  };
  for (const id of ids) {
    L.push(`| ${id} | ${keys.map((k) => cell(k, id, 1)).join(' | ')} | ${keys.map((k) => cell(k, id, 512)).join(' | ')} |`);
  }
  L.push('');
}
