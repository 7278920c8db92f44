// npm run ask -- --model DIR --image FILE [--boxes auto|FILE.json|"x1,y1,x2,y2;…"] [--detector FILE]
//                [--task NAME] [--regions 0,2] --prompt TEXT [--json] [--detail reference|medium|low]
//                [--dtype fp32|q4] [--max-tokens N] [--temperature T] [--top-p P] [--seed N]
// Asks the model one question about a photo, in Node. The answer streams to stdout; with --json one
// JSON object is printed instead: {answer, stop, regions:[{index, label, box}], proposals:[…], timings:{…},
// backend, detail, image_tokens} (plus capped_new_tokens when fewer new tokens fit than asked). Without
// --detail the backend's default level (engine/preprocess/detail.ts). `--json --boxes auto` without --prompt
// prints the proposals alone. Every argument and file is checked before the model loads (ask-args.ts): exit 2
// on a bad one, naming it; exit 1 on an engine error (its code and message on stderr).
import { createNodeEngine, folderSource } from '../engine/node.ts';
import { relaunchWithRelaxedSimd } from '../engine/decode/int4/node-flags.ts';
import { parseAnswer } from '../engine/parse/answer.ts';
import { EngineError } from '../protocol/errors.ts';
import { TASK_PRESETS, type PixelBox, type ScoredBox } from '../protocol/messages.ts';
import { stopNote } from '../protocol/stop-note.ts';
import { askTask, chooseRegions, parseAskArgs, readAskInputs, UsageError, type AskArgs } from './ask-args.ts';

const xyxy = (b: PixelBox) => [b.x1, b.y1, b.x2, b.y2];
const round = (v: number) => Math.round(v * 100) / 100;

async function main(args: AskArgs): Promise<void> {
  const signal = new AbortController().signal;
  // Everything the person gave is checked before the model loads.
  const inputs = await readAskInputs(args);
  const textTask = TASK_PRESETS[args.task].text !== null;
  const proposalsOnly = args.prompt === undefined && args.json && args.boxes.kind === 'auto' && textTask;
  const task = proposalsOnly ? null : askTask(args);
  if (args.boxes.kind === 'given' && task) chooseRegions(args, args.boxes.boxes.length, 'there are');

  const engine = createNodeEngine({ dtype: args.dtype, seed: args.seed, detector: inputs.detector });
  try {
    await engine.load({ source: folderSource(args.model) }, (p) => {
      if (!args.json && p.stage !== 'download') process.stderr.write(p.stage === 'compile' ? `compiling ${p.session}\n` : 'warming up\n');
    }, signal);
    let proposals: ScoredBox[] = [];
    let boxes: PixelBox[] = [];
    if (args.boxes.kind === 'auto') {
      proposals = await engine.propose({ imageId: args.image, image: inputs.image }, signal);
      boxes = proposals.map((p) => p.box);
    } else boxes = args.boxes.boxes;
    const proposalsJson = proposals.map((p) => ({ box: xyxy(p.box).map(round), score: Math.round(p.score * 1e4) / 1e4 }));
    if (!task) {
      process.stdout.write(JSON.stringify({ proposals: proposalsJson }) + '\n');
      return;
    }
    const regions = chooseRegions(args, boxes.length, args.boxes.kind === 'auto' ? 'the detector proposed' : 'there are');
    const answer = await engine.ask(
      { imageId: args.image, image: inputs.image, boxes, regions, task, generation: { maxNewTokens: args.maxTokens, temperature: args.temperature, topP: args.topP }, detail: args.detail },
      (piece) => {
        if (!args.json) process.stdout.write(piece);
      },
      signal,
    );
    const note = stopNote(answer);
    if (!args.json) {
      process.stdout.write('\n');
      if (note) process.stderr.write(`ask: ${note}\n`);
      return;
    }
    const parsed = parseAnswer(answer.text, boxes);
    const t = answer.timings;
    const ms = (v: number) => Math.round(v * 10) / 10;
    process.stdout.write(
      JSON.stringify({
        answer: answer.text,
        stop: answer.stop,
        ...(answer.cappedNewTokens ? { capped_new_tokens: answer.cappedNewTokens } : {}),
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
let args: AskArgs;
try {
  args = parseAskArgs(process.argv.slice(2));
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
