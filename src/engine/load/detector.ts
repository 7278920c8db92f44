// A model folder may carry its box detector (optional, and any detector that fits the manifest): `detector/detector.json`
// (src/engine/proposals/detector-manifest.ts) with the ONNX file it names beside it. No such file means the
// folder has no detector; user boxes still work. "No such file" includes a host that answers a missing file
// with its HTML app page (an SPA fallback): that is not a detector manifest, it is the absence of one.
import { parseDetectorManifest } from '../proposals/detector-manifest.ts';
import type { DetectorFiles } from '../engine.ts';
import { LoadError, type ModelFolder } from './folder.ts';

export const FOLDER_DETECTOR = 'detector/detector.json';

export async function readFolderDetector(folder: ModelFolder, signal: AbortSignal): Promise<DetectorFiles | null> {
  let bytes: Uint8Array;
  try {
    bytes = await folder.read(FOLDER_DETECTOR, () => {}, signal);
  } catch (e) {
    if (e instanceof LoadError) return null; // missing (404, or not among the picked files)
    throw e;
  }
  const text = new TextDecoder().decode(bytes);
  if (/^\s*</.test(text)) {
    await folder.evict?.(FOLDER_DETECTOR); // the host's HTML page, stored by mistake
    return null;
  }
  let manifest;
  try {
    manifest = parseDetectorManifest(JSON.parse(text));
  } catch (e) {
    throw new LoadError(`${FOLDER_DETECTOR}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const onnx = await folder.read(`detector/${manifest.file}`, () => {}, signal);
  return { manifest, onnx };
}
