// npm run ask -- --model DIR --image FILE [--boxes auto|FILE.json|"x1,y1,x2,y2;…"] [--detector FILE]
//                [--task NAME] [--regions 0,2] --prompt TEXT [--json] [--detail reference|medium|low]
//                [--dtype fp32|q4] [--max-tokens N] [--temperature T] [--top-p P] [--seed N]
// Asks the model one question about a photo (issue 3 §8). The answer streams to stdout; with --json one
// JSON object is printed instead: {answer, regions:[{index, label, box}], proposals:[…], timings:{…}, backend,
// detail, image_tokens}. Without --detail the backend's default level (engine/preprocess/detail.ts).
// `--json --boxes auto` without --prompt prints the proposals alone. Exit 1 on an engine error (its code and
// message on stderr), 2 on bad arguments.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createNodeEngine, folderSource, imageInputFromFile } from '../engine/node.ts';
import { relaunchWithRelaxedSimd } from '../engine/decode/int4/node-flags.ts';
import { parseAnswer } from '../engine/parse/answer.ts';
import { MODEL_DTYPES, type ModelDtype } from '../model-folder/manifest.ts';
import { EngineError } from '../protocol/errors.ts';
import { DETAIL_LEVELS, type DetailLevel, type PixelBox, type ScoredBox, type Task, type TaskPreset } from '../protocol/messages.ts';

const TASKS: readonly TaskPreset[] = ['free', 'caption-brief', 'caption-detailed', 'ocr', 'detect', 'count', 'find-similar', 'grounded-caption', 'detect-all', 'reason'];

class UsageError extends Error {}

interface Args {
  model: string;
  image: string;
  boxes: string | undefined;
  detector: string | undefined;
  task: TaskPreset;
  regions: number[] | undefined;
  prompt: string | undefined;
  json: boolean;
  dtype: ModelDtype | undefined;
  maxTokens: number;
  temperature: number | undefined;
  topP: number | undefined;
  seed: number;
  detail: DetailLevel | undefined;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      image: { type: 'string' },
      boxes: { type: 'string' },
      detector: { type: 'string' },
      task: { type: 'string', default: 'free' },
      regions: { type: 'string' },
      prompt: { type: 'string' },
      json: { type: 'boolean', default: false },
      dtype: { type: 'string' },
      'max-tokens': { type: 'string', default: '256' },
      temperature: { type: 'string' },
      'top-p': { type: 'string' },
      seed: { type: 'string', default: '0' },
      detail: { type: 'string' },
    },
  });
  if (!values.model) throw new UsageError('--model DIR is required (a converted model folder holding model.json)');
  if (!values.image) throw new UsageError('--image FILE is required');
  if (!(TASKS as readonly string[]).includes(values.task)) throw new UsageError(`--task ${values.task}: expected one of ${TASKS.join(', ')}`);
  if (values.dtype && !(MODEL_DTYPES as readonly string[]).includes(values.dtype)) throw new UsageError(`--dtype ${values.dtype}: expected one of ${MODEL_DTYPES.join(', ')}`);
  if (values.detail && !(DETAIL_LEVELS as readonly string[]).includes(values.detail)) throw new UsageError(`--detail ${values.detail}: expected one of ${DETAIL_LEVELS.join(', ')}`);
  const number = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`--${name} ${v}: expected a number`);
    return n;
  };
  const regions = values.regions?.split(',').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--regions ${values.regions}: expected box indices like 0,2`);
    return n;
  });
  return {
    model: values.model,
    image: values.image,
    boxes: values.boxes,
    detector: values.detector,
    task: values.task as TaskPreset,
    regions,
    prompt: values.prompt,
    json: values.json,
    dtype: values.dtype as ModelDtype | undefined,
    maxTokens: number('max-tokens', values['max-tokens'])!,
    temperature: number('temperature', values.temperature),
    topP: number('top-p', values['top-p']),
    seed: number('seed', values.seed)!,
    detail: values.detail as DetailLevel | undefined,
  };
}

/** "x1,y1,x2,y2;…", or a JSON file of [x1,y1,x2,y2] lists / {x1,y1,x2,y2} objects (optionally under "boxes"). */
export function parseBoxes(spec: string): PixelBox[] {
  if (spec.endsWith('.json')) {
    const json: unknown = JSON.parse(readFileSync(spec, 'utf8'));
    const list = Array.isArray(json) ? json : (json as { boxes?: unknown }).boxes;
    if (!Array.isArray(list)) throw new UsageError(`--boxes ${spec}: expected a JSON list of boxes (or {"boxes": [...]})`);
    return list.map((b, i) => toBox(Array.isArray(b) ? b : [b?.x1, b?.y1, b?.x2, b?.y2], `${spec} box ${i}`));
  }
  return spec
    .split(';')
    .filter((s) => s.trim() !== '')
    .map((s, i) => toBox(s.split(',').map(Number), `--boxes box ${i} "${s}"`));
}

function toBox(v: unknown[], what: string): PixelBox {
  if (v.length !== 4 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new UsageError(`${what}: expected four numbers x1,y1,x2,y2`);
  const [x1, y1, x2, y2] = v as number[];
  return { x1, y1, x2, y2 };
}

function toTask(task: TaskPreset, prompt: string): Task {
  switch (task) {
    case 'detect':
    case 'count':
      return { preset: task, label: prompt };
    case 'reason':
      return { preset: task, question: prompt };
    case 'free':
      return { preset: task, text: prompt };
    default:
      return { preset: task };
  }
}

const xyxy = (b: PixelBox) => [b.x1, b.y1, b.x2, b.y2];
const round = (v: number) => Math.round(v * 100) / 100;

async function main(args: Args): Promise<void> {
  const signal = new AbortController().signal;
  const engine = createNodeEngine({ dtype: args.dtype, seed: args.seed, detector: args.detector });
  try {
    const input = await imageInputFromFile(new Uint8Array(readFileSync(args.image))).catch((e: EngineError) => {
      throw new EngineError(e.code, `${args.image}: ${e.message}`);
    });
    await engine.load({ source: folderSource(args.model) }, (p) => {
      if (!args.json && p.stage !== 'download') process.stderr.write(p.stage === 'compile' ? `compiling ${p.session}\n` : 'warming up\n');
    }, signal);
    let proposals: ScoredBox[] = [];
    let boxes: PixelBox[] = [];
    if (args.boxes === 'auto') {
      proposals = await engine.propose({ imageId: args.image, image: input }, signal);
      boxes = proposals.map((p) => p.box);
    } else if (args.boxes) {
      boxes = parseBoxes(args.boxes);
    }
    const proposalsJson = proposals.map((p) => ({ box: xyxy(p.box).map(round), score: Math.round(p.score * 1e4) / 1e4 }));
    if (args.prompt === undefined) {
      const needsText = ['free', 'reason', 'detect', 'count'].includes(args.task);
      if (args.json && args.boxes === 'auto' && needsText) {
        process.stdout.write(JSON.stringify({ proposals: proposalsJson }) + '\n');
        return;
      }
      if (needsText) throw new UsageError(`--prompt TEXT is required for --task ${args.task}`);
    }
    const isRegionTask = ['caption-brief', 'caption-detailed', 'ocr', 'find-similar'].includes(args.task);
    const regions = args.regions ?? (isRegionTask && boxes.length > 0 ? [0] : []);
    const answer = await engine.ask(
      { imageId: args.image, image: input, boxes, regions, task: toTask(args.task, args.prompt ?? ''), generation: { maxNewTokens: args.maxTokens, temperature: args.temperature, topP: args.topP }, detail: args.detail },
      (piece) => {
        if (!args.json) process.stdout.write(piece);
      },
      signal,
    );
    if (!args.json) {
      process.stdout.write('\n');
      return;
    }
    const parsed = parseAnswer(answer.text, boxes);
    const t = answer.timings;
    const ms = (v: number) => Math.round(v * 10) / 10;
    process.stdout.write(
      JSON.stringify({
        answer: answer.text,
        regions: parsed.regions.map((r) => ({ index: r.index, label: r.label, box: xyxy(r.box).map(round) })),
        proposals: proposalsJson,
        timings: { preprocess_ms: ms(t.preprocessMs), vision_ms: ms(t.visionMs), regions_ms: ms(t.regionsMs), prefill_ms: ms(t.prefillMs), ttft_ms: ms(t.ttftMs), decode_tok_s: ms(t.decodeTokPerS) },
        backend: answer.backend,
        detail: answer.detail,
        image_tokens: answer.imageTokens,
      }) + '\n',
    );
  } finally {
    await engine.dispose();
  }
}

// The int4 decoder is ~1.7× faster on its relaxed-SIMD build, which Node 20 has only behind a flag.
relaunchWithRelaxedSimd();
let args: Args;
try {
  args = parse(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`ask: ${(e as Error).message}\n`);
  process.exit(2);
}
main(args).catch((e: unknown) => {
  if (e instanceof UsageError) {
    process.stderr.write(`ask: ${e.message}\n`);
    process.exit(2);
  }
  const err = e instanceof EngineError ? e : new EngineError('internal', e instanceof Error ? e.message : String(e));
  process.stderr.write(`ask: [${err.code}] ${err.message}\n`);
  process.exit(1);
});
