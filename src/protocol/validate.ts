// Checks that a message posted to the worker is a well-formed `Request` before anything acts on it, so a
// malformed message becomes a `bad-request` error naming the field instead of an exception deep inside
// the engine. It checks structure (types, required fields); the engine judges content (boxes inside the
// image, an empty question, ...).

import { EngineError } from './errors.ts';
import { DETAIL_LEVELS, presetTask, TASK_PRESET_NAMES, TASK_PRESETS, type AskOptions, type DetailLevel, type GenerationOptions, type ImageInput, type LoadOptions, type MeasureOptions, type ModelSource, type PixelBox, type PrepareOptions, type ProposeOptions, type Request, type Task, type TaskPreset } from './messages.ts';

type Obj = Record<string, unknown>;

function bad(path: string, what: string): EngineError {
  return new EngineError('bad-request', `${path}: ${what}`);
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(path, `expected an object, got ${describe(v)}`);
  return v as Obj;
}

function str(v: unknown, path: string, nonEmpty = false): string {
  if (typeof v !== 'string') throw bad(path, `expected a string, got ${describe(v)}`);
  if (nonEmpty && v.length === 0) throw bad(path, 'must not be empty');
  return v;
}

function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(path, `expected a finite number, got ${describe(v)}`);
  return v;
}

function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw bad(path, `expected an array, got ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v;
}

/** The one entry point: returns the request or throws a `bad-request` EngineError. */
export function parseRequest(msg: unknown): Request {
  const m = obj(msg, 'message');
  const id = str(m.id, 'id', true);
  const kind = str(m.kind, 'kind');
  switch (kind) {
    case 'probe': return { kind, id };
    case 'dispose': return { kind, id };
    case 'cancel': return { kind, id, target: str(m.target, 'target', true) };
    case 'load': return { kind, id, options: parseLoad(obj(m.options, 'options')) };
    case 'propose': return { kind, id, options: parsePropose(obj(m.options, 'options')) };
    case 'ask': return { kind, id, options: parseAsk(obj(m.options, 'options')) };
    case 'measure': return { kind, id, options: parseQuestion(obj(m.options, 'options')) };
    case 'prepare': return { kind, id, options: parsePrepare(obj(m.options, 'options')) };
    case 'inspect': return { kind, id, source: parseSource(obj(m.source, 'source'), 'source') };
    case 'listCached': return { kind, id };
    case 'deleteCached': return { kind, id, modelId: str(m.modelId, 'modelId', true) };
    default: throw bad('kind', `unknown request kind "${kind}"`);
  }
}

/** The id of a message that failed `parseRequest`, when it has a usable one, so the error can still be correlated. */
export function requestIdOf(msg: unknown): string | null {
  if (typeof msg !== 'object' || msg === null) return null;
  const id = (msg as Obj).id;
  return typeof id === 'string' && id.length > 0 ? id : null;
}

function parseLoad(o: Obj): LoadOptions {
  const backend = o.backend;
  if (backend !== undefined && backend !== 'webgpu' && backend !== 'wasm') throw bad('options.backend', `expected "webgpu" or "wasm", got ${JSON.stringify(backend)}`);
  const wasmThreads = o.wasmThreads === undefined ? undefined : num(o.wasmThreads, 'options.wasmThreads');
  const wasmEncoderInt8 = o.wasmEncoderInt8;
  if (wasmEncoderInt8 !== undefined && typeof wasmEncoderInt8 !== 'boolean') throw bad('options.wasmEncoderInt8', `expected a boolean, got ${JSON.stringify(wasmEncoderInt8)}`);
  return { source: parseSource(obj(o.source, 'options.source'), 'options.source'), backend, wasmThreads, wasmEncoderInt8 };
}

function parseSource(o: Obj, path: string): ModelSource {
  const kind = str(o.kind, `${path}.kind`);
  switch (kind) {
    case 'url': return { kind, url: str(o.url, `${path}.url`, true) };
    case 'cached': return { kind, modelId: str(o.modelId, `${path}.modelId`, true) };
    case 'files': {
      const files = arr(o.files, `${path}.files`);
      files.forEach((f, i) => {
        if (typeof File === 'undefined' || !(f instanceof File)) throw bad(`${path}.files[${i}]`, 'expected a File');
      });
      return { kind, files: files as File[] };
    }
    default: throw bad(`${path}.kind`, `unknown model source "${kind}"`);
  }
}

function parseImage(v: unknown, path: string): ImageInput {
  const o = obj(v, path);
  const kind = str(o.kind, `${path}.kind`);
  switch (kind) {
    case 'bitmap':
      if (typeof ImageBitmap === 'undefined' || !(o.bitmap instanceof ImageBitmap)) throw bad(`${path}.bitmap`, `expected an ImageBitmap, got ${describe(o.bitmap)}`);
      return { kind, bitmap: o.bitmap };
    case 'rgba': {
      const width = num(o.width, `${path}.width`);
      const height = num(o.height, `${path}.height`);
      if (!(o.data instanceof Uint8ClampedArray)) throw bad(`${path}.data`, 'expected a Uint8ClampedArray');
      if (o.data.length !== width * height * 4) throw bad(`${path}.data`, `has ${o.data.length} bytes, expected ${width}×${height}×4`);
      return { kind, width, height, data: o.data };
    }
    default: throw bad(`${path}.kind`, `unknown image kind "${kind}"`);
  }
}

function parsePropose(o: Obj): ProposeOptions {
  return { imageId: str(o.imageId, 'options.imageId', true), image: parseImage(o.image, 'options.image') };
}

function parseBox(v: unknown, path: string): PixelBox {
  const o = obj(v, path);
  return { x1: num(o.x1, `${path}.x1`), y1: num(o.y1, `${path}.y1`), x2: num(o.x2, `${path}.x2`), y2: num(o.y2, `${path}.y2`) };
}

function parseAsk(o: Obj): AskOptions {
  return { ...parseQuestion(o), generation: parseGeneration(obj(o.generation, 'options.generation')) };
}

function parsePrepare(o: Obj): PrepareOptions {
  return {
    imageId: str(o.imageId, 'options.imageId', true),
    image: o.image === undefined ? undefined : parseImage(o.image, 'options.image'),
    boxes: parseBoxes(o),
    ...(o.detail === undefined ? {} : { detail: parseDetail(o.detail) }),
  };
}

function parseBoxes(o: Obj): PixelBox[] {
  return arr(o.boxes, 'options.boxes').map((b, i) => parseBox(b, `options.boxes[${i}]`));
}

function parseQuestion(o: Obj): MeasureOptions {
  const boxes = parseBoxes(o);
  const regions = arr(o.regions, 'options.regions').map((r, i) => {
    const n = num(r, `options.regions[${i}]`);
    if (!Number.isInteger(n) || n < 0 || n >= boxes.length) throw bad(`options.regions[${i}]`, `${n} is not the index of one of the ${boxes.length} boxes`);
    return n;
  });
  return {
    imageId: str(o.imageId, 'options.imageId', true),
    image: o.image === undefined ? undefined : parseImage(o.image, 'options.image'),
    boxes,
    regions,
    task: parseTask(obj(o.task, 'options.task')),
    ...(o.detail === undefined ? {} : { detail: parseDetail(o.detail) }),
  };
}

function parseDetail(v: unknown): DetailLevel {
  const level = str(v, 'options.detail') as DetailLevel;
  if (!DETAIL_LEVELS.includes(level)) throw bad('options.detail', `unknown detail level "${level}"; one of ${DETAIL_LEVELS.join(', ')}`);
  return level;
}

function parseTask(o: Obj): Task {
  const preset = str(o.preset, 'options.task.preset') as TaskPreset;
  if (!TASK_PRESET_NAMES.includes(preset)) throw bad('options.task.preset', `unknown task preset "${preset}" (known: ${TASK_PRESET_NAMES.join(', ')})`);
  const field = TASK_PRESETS[preset].text;
  return presetTask(preset, field === null ? '' : str(o[field], `options.task.${field}`));
}

function parseGeneration(o: Obj): GenerationOptions {
  const maxNewTokens = num(o.maxNewTokens, 'options.generation.maxNewTokens');
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) throw bad('options.generation.maxNewTokens', `expected a positive integer, got ${maxNewTokens}`);
  const out: GenerationOptions = { maxNewTokens };
  if (o.temperature !== undefined) out.temperature = num(o.temperature, 'options.generation.temperature');
  if (o.topP !== undefined) out.topP = num(o.topP, 'options.generation.topP');
  return out;
}
