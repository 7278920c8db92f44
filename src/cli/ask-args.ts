// `npm run ask`'s arguments (issue 15): every option and every file it names is checked here, before the
// model loads (a typo must not cost a 2.5 GB load), and each problem is a UsageError that names the option,
// the file and what is wrong with it — the CLI exits 2 on one. Nothing here reports `[internal]`.
import { readFileSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkSampling } from '../engine/decode/sampler.ts';
import { chooseDtype, MANIFEST_FILE, readManifest } from '../engine/load/load-model.ts';
import { NodeFolder } from '../engine/load/node-folder.ts';
import { imageInputFromFile, readDetector } from '../engine/node.ts';
import type { DetectorFiles } from '../engine/engine.ts';
import { MODEL_DTYPES, type ModelDtype } from '../model-folder/manifest.ts';
import { EngineError } from '../protocol/errors.ts';
import { DETAIL_LEVELS, presetTask, TASK_PRESET_NAMES, TASK_PRESETS, type DetailLevel, type ImageInput, type PixelBox, type Task, type TaskPreset } from '../protocol/messages.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** The CLI's task names before issue 15, kept as aliases of the engine's. */
export const TASK_ALIASES: Readonly<Record<string, TaskPreset>> = {
  'caption-brief': 'region-caption-brief',
  'caption-detailed': 'region-caption-detailed',
  ocr: 'region-ocr',
  'find-similar': 'visual-prompt-detect',
  reason: 'reasoning',
};

export interface AskArgs {
  model: string;
  image: string;
  /** 'auto' (the detector's proposals), boxes given inline or in a JSON file, or none. */
  boxes: { kind: 'auto' } | { kind: 'given'; boxes: PixelBox[] };
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
  /** The image-detail level; undefined: the backend's default (engine/preprocess/detail.ts). */
  detail: DetailLevel | undefined;
}

/** The options' syntax and values (no file is read but a --boxes FILE.json). */
export function parseAskArgs(argv: string[]): AskArgs {
  let values;
  try {
    ({ values } = parseArgs({
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
    }));
  } catch (e) {
    throw new UsageError((e as Error).message); // an unknown option, or one missing its value
  }
  if (!values.model) throw new UsageError('--model DIR is required (a converted model folder holding model.json)');
  if (!values.image) throw new UsageError('--image FILE is required');
  const task = taskName(values.task);
  if (values.dtype !== undefined && !(MODEL_DTYPES as readonly string[]).includes(values.dtype)) throw new UsageError(`--dtype ${values.dtype}: expected one of ${MODEL_DTYPES.join(', ')}`);
  if (values.detail !== undefined && !(DETAIL_LEVELS as readonly string[]).includes(values.detail)) throw new UsageError(`--detail ${values.detail}: expected one of ${DETAIL_LEVELS.join(', ')}`);
  const temperature = sampling('temperature', values.temperature, (temperature) => ({ temperature }));
  const topP = sampling('top-p', values['top-p'], (topP) => ({ topP }));
  const prompt = values.prompt;
  const text = TASK_PRESETS[task].text;
  if (prompt !== undefined && text !== null && prompt.trim() === '') throw new UsageError(`--prompt is empty: --task ${task} needs a ${text}`);
  return {
    model: values.model,
    image: values.image,
    boxes: values.boxes === 'auto' ? { kind: 'auto' } : { kind: 'given', boxes: values.boxes === undefined ? [] : parseBoxes(values.boxes) },
    detector: values.detector,
    task,
    regions: values.regions === undefined ? undefined : parseRegions(values.regions),
    prompt,
    json: values.json,
    dtype: values.dtype as ModelDtype | undefined,
    maxTokens: wholeNumber('max-tokens', values['max-tokens'], 1),
    temperature,
    topP,
    seed: wholeNumber('seed', values.seed, 0),
    detail: values.detail as DetailLevel | undefined,
  };
}

function taskName(name: string): TaskPreset {
  if ((TASK_PRESET_NAMES as readonly string[]).includes(name)) return name as TaskPreset;
  const alias = TASK_ALIASES[name];
  if (alias) return alias;
  throw new UsageError(`--task ${name}: expected one of ${TASK_PRESET_NAMES.join(', ')} (older names: ${Object.keys(TASK_ALIASES).join(', ')})`);
}

/** A sampling option, checked by the sampler's own rule (the one the engine applies). */
function sampling(name: string, v: string | undefined, option: (n: number) => Parameters<typeof checkSampling>[0]): number | undefined {
  const n = optionalNumber(name, v);
  if (n === undefined) return undefined;
  try {
    checkSampling(option(n));
  } catch (e) {
    throw new UsageError(`--${name} ${v}: ${(e as Error).message}`);
  }
  return n;
}

function optionalNumber(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} ${JSON.stringify(v)}: expected a number`);
  return n;
}

function wholeNumber(name: string, v: string, min: number): number {
  const n = optionalNumber(name, v)!;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} ${v}: expected a whole number ≥ ${min}`);
  return n;
}

function parseRegions(spec: string): number[] {
  const parts = spec.split(',');
  return parts.map((s) => {
    const n = s.trim() === '' ? NaN : Number(s);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--regions ${JSON.stringify(spec)}: expected box indices like 0,2`);
    return n;
  });
}

/** "x1,y1,x2,y2;…", or a JSON file of [x1,y1,x2,y2] lists / {x1,y1,x2,y2} objects (optionally under "boxes"). */
export function parseBoxes(spec: string): PixelBox[] {
  if (spec.endsWith('.json')) {
    const json = readJson(spec, `--boxes ${spec}`);
    const list = Array.isArray(json) ? json : (json as { boxes?: unknown } | null)?.boxes;
    if (!Array.isArray(list)) throw new UsageError(`--boxes ${spec}: expected a JSON list of boxes (or {"boxes": [...]})`);
    return list.map((b: unknown, i) => toBox(Array.isArray(b) ? b : boxFields(b), `--boxes ${spec}: box ${i}`));
  }
  return spec
    .split(';')
    .filter((s) => s.trim() !== '')
    .map((s, i) => toBox(s.split(',').map((v) => (v.trim() === '' ? NaN : Number(v))), `--boxes box ${i} "${s}"`));
}

function boxFields(b: unknown): unknown[] {
  if (typeof b !== 'object' || b === null) return [b];
  const o = b as Record<string, unknown>;
  return [o.x1, o.y1, o.x2, o.y2];
}

function toBox(v: unknown[], what: string): PixelBox {
  if (v.length !== 4 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new UsageError(`${what}: expected four numbers x1,y1,x2,y2`);
  const [x1, y1, x2, y2] = v as number[];
  return { x1, y1, x2, y2 };
}

/** What the files the options name hold, each read and checked now. */
export interface AskInputs {
  image: ImageInput;
  detector: DetectorFiles | undefined;
}

/** Reads --image, --detector and --model's model.json (with --dtype against it); a problem names the file. */
export async function readAskInputs(args: AskArgs): Promise<AskInputs> {
  const signal = new AbortController().signal;
  checkFolder('--model', args.model);
  await readManifest(new NodeFolder(args.model), signal)
    .then((manifest) => chooseDtype(manifest, args.dtype))
    .catch((e: unknown) => {
      throw new UsageError(`--model ${args.model}: ${messageOf(e)}`);
    });
  const image = await imageInputFromFile(readBytes('--image', args.image)).catch((e: unknown) => {
    throw new UsageError(`--image ${args.image}: ${messageOf(e)}`);
  });
  let detector: DetectorFiles | undefined;
  if (args.detector !== undefined) {
    readBytes('--detector', args.detector); // a folder or an unreadable file, named as such
    detector = await readDetector(args.detector).catch((e: unknown) => {
      throw new UsageError(`--detector ${messageOf(e)}`); // "PATH: what is wrong"
    });
  }
  return { image, detector };
}

/** --regions against the boxes (given, or proposed), and the default: box 0 for a region task. */
export function chooseRegions(args: AskArgs, boxCount: number, what: 'there are' | 'the detector proposed'): number[] {
  if (TASK_PRESETS[args.task].regions && boxCount === 0) throw new UsageError(`--task ${args.task} is about boxes, but ${what === 'there are' ? 'no --boxes were given' : 'the detector proposed none'}`);
  const regions = args.regions ?? (TASK_PRESETS[args.task].regions ? [0] : []);
  const bad = regions.find((r) => r >= boxCount);
  if (bad !== undefined) throw new UsageError(`--regions ${args.regions!.join(',')}: there is no box ${bad}: ${what} ${boxCount === 1 ? '1 box (index 0)' : `${boxCount} boxes (indices 0–${boxCount - 1})`}`);
  return regions;
}

/** The task with --prompt in its field; a task that takes text and has none is refused. */
export function askTask(args: AskArgs): Task {
  const field = TASK_PRESETS[args.task].text;
  if (field !== null && args.prompt === undefined) throw new UsageError(`--prompt TEXT is required for --task ${args.task} (its ${field})`);
  return presetTask(args.task, args.prompt ?? '');
}

function checkFolder(option: string, dir: string): void {
  const s = statOf(option, dir);
  if (!s.isDirectory()) throw new UsageError(`${option} ${dir}: is a file, not a model folder (the folder holding ${MANIFEST_FILE})`);
  statOf(option, join(dir, MANIFEST_FILE), `has no ${MANIFEST_FILE}: not a converted model folder (npm run convert makes one)`);
}

function statOf(option: string, path: string, missing = 'no such file or folder'): Stats {
  try {
    return statSync(path);
  } catch (e) {
    throw new UsageError(`${option} ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? missing : fsProblem(e)}`);
  }
}

function readBytes(option: string, path: string): Uint8Array {
  if (statOf(option, path).isDirectory()) throw new UsageError(`${option} ${path}: is a folder, not a file`);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new UsageError(`${option} ${path}: ${fsProblem(e)}`);
  }
}

function readJson(path: string, what: string): unknown {
  const text = new TextDecoder().decode(readBytes('--boxes', path));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what}: not valid JSON (${(e as Error).message})`);
  }
}

/** A file system failure in words (ENOENT, EACCES, EISDIR, …), without Node's stack-like prefix. */
function fsProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES':
    case 'EPERM': return 'cannot be read (permission denied)';
    case 'EISDIR': return 'is a folder, not a file';
    default: return `cannot be read (${code ?? messageOf(e)})`;
  }
}

function messageOf(e: unknown): string {
  return e instanceof EngineError || e instanceof Error ? e.message : String(e);
}
