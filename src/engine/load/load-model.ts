// Reads a model folder (issue 3 §1): model.json first, then every file the chosen dtype needs — the five
// graphs with their external-data chunks and the tokenizer files — each checked against model.json's byte
// count and sha256 (verify.ts). Progress is reported per file. A cached copy that fails its check is
// evicted and fetched once more before the load gives up, so a corrupt cache heals itself.
import { COMPONENTS, ManifestError, validateManifest, type ComponentName, type FileEntry, type ModelDtype, type ModelManifest } from '../../model-folder/manifest.ts';
import type { LoadProgress } from '../../protocol/messages.ts';
import type { GraphBytes } from '../session.ts';
import { LoadError, throwIfAborted, type ModelFolder } from './folder.ts';
import { verifyFile } from './verify.ts';

export interface ModelFiles {
  manifest: ModelManifest;
  dtype: ModelDtype;
  graphs: Record<ComponentName, GraphBytes>;
  tokenizerJson: unknown;
  tokenizerConfig: unknown;
}

export const MANIFEST_FILE = 'model.json';

/** The dtype to run: the requested one, else q4 when the folder has it (the size a browser can hold). */
export function chooseDtype(manifest: ModelManifest, requested?: ModelDtype): ModelDtype {
  if (requested) {
    if (!manifest.dtypes.includes(requested)) throw new LoadError(`the model folder has no ${requested} graphs (it has ${manifest.dtypes.join(', ')})`);
    return requested;
  }
  return manifest.dtypes.includes('q4') ? 'q4' : manifest.dtypes[0];
}

export async function readManifest(folder: ModelFolder, signal: AbortSignal): Promise<ModelManifest> {
  const bytes = await folder.read(MANIFEST_FILE, () => {}, signal, undefined, true);
  return parseManifestText(new TextDecoder().decode(bytes), folder.description);
}

/**
 * model.json's text from `where` as a manifest, naming the usual wrong answers: a web page (a host's HTML
 * fallback for a missing file, or a repository page instead of its files), text that is not JSON, JSON that
 * is not a fo1-web model.json.
 */
export function parseManifestText(text: string, where: string): ModelManifest {
  if (/^\s*</.test(text)) {
    throw new LoadError(`${where} returned a web page (HTML), not ${MANIFEST_FILE}: the address must be the model folder itself (on Hugging Face, a …/resolve/main/ URL, not the repository page)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new LoadError(`${MANIFEST_FILE} in ${where} is not valid JSON: ${(e as Error).message}`);
  }
  try {
    return validateManifest(json);
  } catch (e) {
    if (e instanceof ManifestError) throw new LoadError(`${where}: not a fo1-web model folder — ${e.message}`);
    throw e;
  }
}

export async function loadModelFiles(folder: ModelFolder, requested: ModelDtype | undefined, onProgress: (p: LoadProgress) => void, signal: AbortSignal): Promise<ModelFiles> {
  const manifest = await readManifest(folder, signal);
  const dtype = chooseDtype(manifest, requested);
  // A data file several graphs share (model.json lists it under each) is read and checked once.
  const reads = new Map<string, Promise<Uint8Array>>();
  const read = (entry: FileEntry) => {
    let bytes = reads.get(entry.path);
    if (!bytes) reads.set(entry.path, (bytes = readVerified(folder, entry, onProgress, signal)));
    return bytes;
  };
  const graphs = {} as Record<ComponentName, GraphBytes>;
  for (const c of COMPONENTS) {
    const v = manifest.components[c].variants[dtype];
    if (!v) throw new LoadError(`model.json lists no ${dtype} variant of ${c}`);
    const graph = await read(v.graph);
    const externalData: GraphBytes['externalData'] = [];
    // The .onnx records each chunk's location relative to itself: the file name.
    for (const chunk of v.externalData) externalData.push({ path: chunk.path.split('/').pop()!, data: await read(chunk) });
    graphs[c] = { graph, externalData };
  }
  const tokenizer = (name: string) => {
    const entry = manifest.tokenizer.files.find((f) => f.path.split('/').pop() === name);
    if (!entry) throw new LoadError(`model.json lists no ${name} among the tokenizer files`);
    return read(entry).then((b) => parseJson(entry.path, b));
  };
  const tokenizerJson = await tokenizer('tokenizer.json');
  const tokenizerConfig = await tokenizer('tokenizer_config.json');
  return { manifest, dtype, graphs, tokenizerJson, tokenizerConfig };
}

async function readVerified(folder: ModelFolder, entry: FileEntry, onProgress: (p: LoadProgress) => void, signal: AbortSignal): Promise<Uint8Array> {
  const attempt = async () => {
    throwIfAborted(signal, 'loading the model');
    const bytes = await folder.read(entry.path, (done, total) => onProgress({ stage: 'download', file: entry.path, bytesDone: done, bytesTotal: total || entry.bytes }), signal, entry.bytes);
    await verifyFile(entry, bytes);
    return bytes;
  };
  try {
    return await attempt();
  } catch (e) {
    if (!(e instanceof LoadError) || !(await folder.evict?.(entry.path))) throw e;
    return attempt();
  }
}

function parseJson(path: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new LoadError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}
