// The box proposer a model folder may bring: `detector/detector.json` (src/engine/proposals/detector-manifest.ts)
// with its ONNX file beside it. It is optional (user-drawn boxes always work), so a folder without one gives
// null. "Without one" includes a host that answers a missing file with its HTML app page (an SPA fallback):
// that is not a detector manifest, it is the absence of one.

import type { DetectorFiles } from '../src/engine/engine.ts';
import { LoadError, type ModelFolder } from '../src/engine/load/folder.ts';
import { parseDetectorManifest } from '../src/engine/proposals/detector-manifest.ts';

export const DETECTOR_MANIFEST = 'detector/detector.json';

export async function readFolderDetector(folder: ModelFolder, signal: AbortSignal): Promise<DetectorFiles | null> {
  let bytes: Uint8Array;
  try {
    bytes = await folder.read(DETECTOR_MANIFEST, () => {}, signal);
  } catch (e) {
    if (e instanceof LoadError) return null; // missing (404, or not among the picked files)
    throw e;
  }
  const text = new TextDecoder().decode(bytes);
  if (/^\s*</.test(text)) {
    await folder.evict?.(DETECTOR_MANIFEST); // the host's HTML page, stored by mistake
    return null;
  }
  let manifest;
  try {
    manifest = parseDetectorManifest(JSON.parse(text));
  } catch (e) {
    throw new LoadError(`${DETECTOR_MANIFEST}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const onnx = await folder.read(`detector/${manifest.file}`, () => {}, signal);
  return { manifest, onnx };
}
