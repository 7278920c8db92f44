// Reads a model folder (docs/model-format.md): model.json first, then every file the chosen dtype needs — the five
// graphs with their external-data chunks and the tokenizer files — each checked against model.json's byte
// count and sha256 (verify.ts). Progress is reported per file. A cached copy that fails its check is
// evicted and fetched once more before the load gives up, so a corrupt cache heals itself.
import { COMPONENTS, isFloat16Dtype, ManifestError, OutdatedManifestError, validateManifest, type ComponentName, type FileEntry, type ModelDtype, type ModelManifest } from '../../model-folder/manifest.ts';
import type { LoadProgress } from '../api.ts';
import type { BackendChoice, GraphBytes } from '../session.ts';
import { LoadError, throwIfAborted, type ModelFolder } from './folder.ts';
import { verifyFile } from './verify.ts';

export interface ModelFiles {
  manifest: ModelManifest;
  dtype: ModelDtype;
  /** Why this dtype (recorded with each session's backend reason). */
  dtypeReason: string;
  graphs: Record<ComponentName, GraphBytes>;
  tokenizerJson: unknown;
  tokenizerConfig: unknown;
}

export const MANIFEST_FILE = 'model.json';

export interface DtypeChoice {
  dtype: ModelDtype;
  reason: string;
}

/**
 * The dtype to run: the requested one; else q4f16 on a WebGPU adapter with `shader-f16` when the folder has it
 * (half the activation and KV memory of q4), else q4 (the size a browser can hold), else fp32; float16 graphs
 * come last without shader-f16 (WebGPU cannot compile them; wasm runs them through float32 casts).
 */
export function pickDtype(manifest: ModelManifest, requested?: ModelDtype, backend?: Pick<BackendChoice, 'backend' | 'shaderF16'>): DtypeChoice {
  if (requested) {
    if (!manifest.dtypes.includes(requested)) throw new LoadError(`the model folder has no ${requested} graphs (it has ${manifest.dtypes.join(', ')})`);
    return { dtype: requested, reason: `${requested} graphs as requested` };
  }
  const f16 = backend?.backend === 'webgpu' && backend.shaderF16 === true;
  const order: ModelDtype[] = f16 ? ['q4f16', 'q4', 'fp16', 'fp32'] : ['q4', 'fp32', 'q4f16', 'fp16'];
  const dtype = order.find((d) => manifest.dtypes.includes(d)) ?? manifest.dtypes[0];
  const gpu = f16 ? 'the WebGPU adapter has shader-f16' : backend?.backend === 'webgpu' ? 'the WebGPU adapter has no shader-f16' : `the ${backend?.backend ?? 'wasm'} backend`;
  const why = isFloat16Dtype(dtype) === f16 ? `${gpu}` : `${gpu}, and the folder has only ${manifest.dtypes.join(', ')}`;
  return { dtype, reason: `${dtype} graphs: ${why}` };
}

/** pickDtype's dtype alone. */
export function chooseDtype(manifest: ModelManifest, requested?: ModelDtype, backend?: Pick<BackendChoice, 'backend' | 'shaderF16'>): ModelDtype {
  return pickDtype(manifest, requested, backend).dtype;
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
    if (e instanceof OutdatedManifestError) throw new LoadError(`${where}: ${e.message}`);
    if (e instanceof ManifestError) throw new LoadError(`${where}: not a fo1-web model folder — ${e.message}`);
    throw e;
  }
}

export async function loadModelFiles(folder: ModelFolder, requested: ModelDtype | undefined, onProgress: (p: LoadProgress) => void, signal: AbortSignal, backend?: Pick<BackendChoice, 'backend' | 'shaderF16'>): Promise<ModelFiles> {
  const manifest = await readManifest(folder, signal);
  const { dtype, reason: dtypeReason } = pickDtype(manifest, requested, backend);
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
  return { manifest, dtype, dtypeReason, graphs, tokenizerJson, tokenizerConfig };
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
