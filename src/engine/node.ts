// The engine in Node (CLI, tests, benchmarks): onnxruntime-web's wasm backend, model folders by path or
// `file:` URL, images decoded with sharp, detectors from a detector.json (or a bare YOLOX .onnx). The engine
// itself is the same object the worker runs (engine.ts); only these injections differ.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { EngineError } from './engine-error.ts';
import type { ImageInput, ModelSource } from './api.ts';
import { toEngineError } from './errors.ts';
import { decodeImage } from './image/decode-node.ts';
import { ImageError, type RgbImage } from './image/rgb-image.ts';
import { Fo1Engine, type DetectorFiles, type Fo1EngineOptions } from './engine.ts';
import { readFolderDetector } from './load/detector.ts';
import { LoadError, type ModelFolder } from './load/folder.ts';
import { NodeFolder } from './load/node-folder.ts';
import { parseDetectorManifest, YOLOX_NANO } from './proposals/detector-manifest.ts';
import type { Ort } from './session.ts';

/** A model source for a folder on disk (what the Node engine opens with NodeFolder). */
export function folderSource(dir: string): ModelSource {
  return { kind: 'url', url: `file://${resolve(dir)}/` };
}

function openNodeFolder(source: ModelSource): ModelFolder | null {
  if (source.kind === 'url' && source.url.startsWith('file:')) return new NodeFolder(fileURLToPath(source.url));
  if (source.kind === 'url' && !/^[a-z]+:/i.test(source.url)) return new NodeFolder(source.url);
  return null;
}

/** A detector.json (its `file` beside it) or a YOLOX .onnx with the YOLOX-nano settings; a bad one is a LoadError naming the file. */
export async function readDetector(path: string): Promise<DetectorFiles> {
  if (!existsSync(path)) throw new LoadError(`${path}: no such file`);
  if (extname(path) === '.onnx') return { manifest: YOLOX_NANO, onnx: new Uint8Array(await readFile(path)) };
  let manifest;
  try {
    manifest = parseDetectorManifest(JSON.parse(await readFile(path, 'utf8')));
  } catch (e) {
    const why = e instanceof SyntaxError ? `not valid JSON (${e.message})` : e instanceof Error ? e.message : String(e);
    throw new LoadError(`${path}: not a detector.json or a YOLOX .onnx: ${why}`);
  }
  const onnxPath = join(dirname(path), manifest.file);
  if (!existsSync(onnxPath)) throw new LoadError(`${path}: its file ${manifest.file} is missing`);
  return { manifest, onnx: new Uint8Array(await readFile(onnxPath)) };
}

export interface NodeEngineOptions extends Omit<Fo1EngineOptions, 'ort' | 'openFolder' | 'detector'> {
  /** A detector (readDetector) to use instead of the model folder's own. */
  detector?: DetectorFiles;
  numThreads?: number;
  /** Another onnxruntime in onnxruntime-web's shape (bench/native-ort.ts: native CPU); default onnxruntime-web, `numThreads` threads. */
  ort?: Ort;
}

export function createNodeEngine(options: NodeEngineOptions = {}): Fo1Engine {
  if (!options.ort) ort.env.wasm.numThreads = options.numThreads ?? 1;
  return new Fo1Engine({
    ...options,
    ort: options.ort ?? ort,
    openFolder: openNodeFolder,
    detector: async (folder, signal) => {
      if (options.detector) return options.detector;
      return readFolderDetector(folder, signal);
    },
  });
}

/** An encoded image file (JPEG, PNG, …) as the engine's RGBA input; a bad file is an EngineError (bad-input). */
export async function imageInputFromFile(bytes: Uint8Array): Promise<ImageInput> {
  let img: RgbImage;
  try {
    img = await decodeImage(bytes);
  } catch (e) {
    // The caller names the file (the CLI's "--image PATH: …"), so the message is what is wrong with it alone.
    throw e instanceof ImageError ? new EngineError('bad-input', e.message) : toEngineError(e);
  }
  const data = new Uint8ClampedArray(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    data.set(img.data.subarray(i * 3, i * 3 + 3), i * 4);
    data[i * 4 + 3] = 255;
  }
  return { kind: 'rgba', width: img.width, height: img.height, data };
}
