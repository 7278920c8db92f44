// A model folder may carry its box detector (issue 3 §6: pluggable, optional): `detector/detector.json`
// (src/engine/proposals/detector-manifest.ts) with the ONNX file it names beside it. No such file means the
// folder has no detector; user boxes still work.
import { parseDetectorManifest } from '../proposals/detector-manifest.ts';
import type { DetectorFiles } from '../engine.ts';
import { LoadError, type ModelFolder } from './folder.ts';

export const FOLDER_DETECTOR = 'detector/detector.json';

export async function readFolderDetector(folder: ModelFolder, signal: AbortSignal): Promise<DetectorFiles | null> {
  let json: Uint8Array;
  try {
    json = await folder.read(FOLDER_DETECTOR, () => {}, signal);
  } catch (e) {
    if (e instanceof LoadError) return null;
    throw e;
  }
  let manifest;
  try {
    manifest = parseDetectorManifest(JSON.parse(new TextDecoder().decode(json)));
  } catch (e) {
    throw new LoadError(`${FOLDER_DETECTOR}: ${(e as Error).message}`);
  }
  const onnx = await folder.read(`detector/${manifest.file}`, () => {}, signal);
  return { manifest, onnx };
}
