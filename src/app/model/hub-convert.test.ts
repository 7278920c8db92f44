// The Hub conversion's actions against a scripted converter worker: what they post, and how each event the
// worker can send (src/protocol/convert.ts) moves the store's `convert` phase and its messages. The real
// worker runs in Chromium in e2e/hub-convert.spec.ts.
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConversionReport, ConvertEvent, HubInspection } from '../../protocol/convert.ts';
import type { ConvertJob } from '../store/convertSlice.ts';
import { appStore } from '../store/store.ts';
import { cancelConversion, hubFromAddress, hubTarget, inspectCheckpoint, inspectPicked, parseHubUrl, pickedCheckpoint, startConversion } from './hub-convert.ts';

/** A Worker that records what it is sent and answers only what the test makes it say. */
class ScriptedWorker {
  static made: ScriptedWorker[] = [];
  readonly posted: unknown[] = [];
  terminated = false;
  onmessage: ((e: { data: ConvertEvent }) => void) | null = null;
  onerror: ((e: { message: string }) => void) | null = null;

  constructor(readonly url: URL, readonly options: WorkerOptions) {
    ScriptedWorker.made.push(this);
  }
  postMessage(m: unknown): void {
    this.posted.push(m);
  }
  terminate(): void {
    this.terminated = true;
  }
  // The engine worker's client (refreshCached after a conversion) listens; it is never answered here.
  addEventListener(): void {}
  say(e: ConvertEvent): void {
    this.onmessage?.({ data: e });
  }
}

const converters = () => ScriptedWorker.made.filter((w) => w.options.name === 'fo1-convert');
const lastConverter = () => converters().at(-1)!;

vi.stubGlobal('Worker', ScriptedWorker);
// Node has no navigator: a browser that says nothing about storage, memory or WebGPU.
vi.stubGlobal('navigator', {});
afterAll(() => vi.unstubAllGlobals());

const REPO = 'omlab/VLM-FO1_Qwen2.5-VL-3B-v01';
const SHA = 'c'.repeat(40);
const HUB = 'http://127.0.0.1:9999';
const inspection: HubInspection = { repo: REPO, revision: 'main', sha: SHA, downloadBytes: 9e9, params: 4.15e9, tensorBytes: 8.9e9, keepBytes: 2.6e9, largestTensorBytes: 1.8e8 };
/** A report as the converter writes it: one default applied, every tensor used. */
const report: ConversionReport = {
  config: { 'config.json': { read: { hidden_size: 2048 }, absent: ['mm_roi_output_size'], defaults: { mm_roi_output_size: { value: 7, why: "the authors' default" } } } },
  tensors: { total: 900, used: 900, unused: [] },
};
const job: ConvertJob = { target: { repo: `${REPO}@${SHA}`, hubUrl: HUB }, dtype: 'q4', folder: `fo1--omlab--VLM-FO1_Qwen2.5-VL-3B-v01--q4` };

beforeEach(() => {
  ScriptedWorker.made = [];
  appStore.getState().setConvertPhase({ kind: 'idle' });
  appStore.getState().dismissError();
});

describe('the Hub endpoint setting', () => {
  it('?hub=URL in the address gives the endpoint without trailing slashes; anything else is ignored', () => {
    expect(hubFromAddress('?hub=http%3A%2F%2F127.0.0.1%3A4567%2F')).toBe('http://127.0.0.1:4567');
    expect(hubFromAddress('?threads=2&hub=https://hf-mirror.com')).toBe('https://hf-mirror.com');
    expect(hubFromAddress('')).toBeNull();
    expect(hubFromAddress('?hub=javascript:alert(1)')).toBeNull();
    expect(hubFromAddress('?hub=not a url')).toBeNull();
    expect(parseHubUrl(' https://huggingface.co// ')).toBe('https://huggingface.co');
  });
});

describe('hubTarget', () => {
  it('takes owner/name or owner/name@revision, the Hub and a token when one is typed', () => {
    expect(hubTarget(' omlab/VLM-FO1_Qwen2.5-VL-3B-v01 ', 'https://huggingface.co/', '')).toEqual({ repo: REPO, hubUrl: 'https://huggingface.co' });
    expect(hubTarget('me/fo1-ft@v2', 'https://huggingface.co', ' hf_abc ')).toEqual({ repo: 'me/fo1-ft@v2', hubUrl: 'https://huggingface.co', accessToken: 'hf_abc' });
  });

  it('says what is wrong with a bad name or Hub address', () => {
    expect(hubTarget('just-a-name', 'https://huggingface.co', '')).toMatch(/"just-a-name" is not a Hugging Face repository: expected owner\/name/);
    expect(hubTarget('a/b/c', 'https://huggingface.co', '')).toMatch(/not a Hugging Face repository/);
    expect(hubTarget('a/b', 'huggingface.co', '')).toMatch(/"huggingface.co" is not a Hub address/);
  });
});

describe('inspectCheckpoint', () => {
  it('asks the worker to inspect, then shows the summary pinned to the commit, in the dtype this device runs', async () => {
    inspectCheckpoint({ repo: REPO, hubUrl: HUB, accessToken: 'hf_x' });
    expect(appStore.getState().convert.kind).toBe('inspecting');
    expect(lastConverter().posted).toEqual([{ type: 'inspect', repo: REPO, hubUrl: HUB, accessToken: 'hf_x' }]);
    lastConverter().say({ type: 'inspected', ...inspection });
    expect(lastConverter().terminated).toBe(true);
    await vi.waitFor(() => expect(appStore.getState().convert.kind).toBe('summary'));
    const c = appStore.getState().convert;
    if (c.kind !== 'summary') throw new Error(c.kind);
    expect(c.job).toEqual({ target: { repo: `${REPO}@${SHA}`, hubUrl: HUB, accessToken: 'hf_x' }, dtype: 'q4', folder: job.folder });
    expect(c.fit).toMatchObject({ verdict: 'slow', dtype: 'q4' }); // no navigator.gpu: WASM
    expect(c.room).toBeNull();
    expect(c).toMatchObject({ storedBytes: 0, replaces: false });
  });

  it('a 401 leaves the card usable, with a message that points at the token field and no retry without one', () => {
    inspectCheckpoint({ repo: REPO, hubUrl: HUB });
    lastConverter().say({ type: 'error', name: 'RepoAccessError', message: `${REPO}: HTTP 401 from ${HUB} (revision): gated or private` });
    expect(appStore.getState().convert).toEqual({ kind: 'idle' });
    expect(appStore.getState().error).toMatchObject({ title: `${REPO} needs an access token`, retry: null });
    expect(lastConverter().terminated).toBe(true);
  });
});

describe('startConversion', () => {
  it('converts the summary\'s job and follows it to done, with the graphs it resumed', () => {
    startConversion(job);
    const w = lastConverter();
    expect(w.posted).toEqual([{ type: 'convert', repo: `${REPO}@${SHA}`, hubUrl: HUB, dtypes: ['q4'], folder: job.folder }]);
    w.say({ type: 'resolved', repo: REPO, revision: SHA, sha: SHA, downloadBytes: 9e9 });
    w.say({ type: 'progress', progress: { stage: 'embed_tokens (q4)', tensorsDone: 300, tensorsTotal: 900, bytesDone: 3e9, bytesTotal: 9e9 } });
    expect(appStore.getState().convert).toMatchObject({ kind: 'converting', resolved: { sha: SHA }, progress: { stage: 'embed_tokens (q4)', tensorsDone: 300 } });
    w.say({ type: 'done', folder: job.folder, files: 15, bytes: 2.5e9, resumed: ['onnx/vision_semantic_q4.onnx'], report });
    expect(appStore.getState().convert).toEqual({ kind: 'done', job, modelId: `opfs:${job.folder}/`, name: `${REPO} (q4)`, files: 15, bytes: 2.5e9, resumed: ['onnx/vision_semantic_q4.onnx'], report });
    expect(w.terminated).toBe(true);
  });

  it('a lost connection pauses it, resumable: Retry starts the same job again', () => {
    startConversion(job);
    lastConverter().say({ type: 'error', name: 'ConnectionLostError', message: 'model-00001-of-00002.safetensors: connection lost' });
    expect(appStore.getState().convert).toEqual({ kind: 'paused', job, why: 'Connection lost: the conversion is paused.' });
    const { error } = appStore.getState();
    expect(error?.message).toContain('Resume continues after the last finished graph');
    error!.retry!();
    expect(appStore.getState().convert.kind).toBe('converting');
    expect(lastConverter().posted).toEqual([{ type: 'convert', repo: `${REPO}@${SHA}`, hubUrl: HUB, dtypes: ['q4'], folder: job.folder }]);
  });

  it('a checkpoint refused mid-way is not resumable: the card is idle, with the converter\'s message', () => {
    startConversion(job);
    lastConverter().say({ type: 'error', name: 'UnknownTensorError', message: 'checkpoint: tensors no graph reads: model.extra.weight' });
    expect(appStore.getState().convert).toEqual({ kind: 'idle' });
    expect(appStore.getState().error).toMatchObject({ title: `Not a VLM-FO1 checkpoint: ${REPO}`, message: 'checkpoint: tensors no graph reads: model.extra.weight' });
  });

  it('Cancel terminates the worker at once and pauses; what the terminated worker said late is ignored', () => {
    startConversion(job);
    const w = lastConverter();
    cancelConversion();
    expect(w.terminated).toBe(true);
    expect(appStore.getState().convert).toEqual({ kind: 'paused', job, why: 'Cancelled. What was converted is kept in this browser.' });
    w.say({ type: 'done', folder: job.folder, files: 1, bytes: 1, resumed: [], report });
    expect(appStore.getState().convert.kind).toBe('paused');
  });
});

describe('a checkpoint folder picked on this computer', () => {
  /** Files as <input webkitdirectory> gives them: webkitRelativePath starts with the picked folder's name. */
  const picked = (paths: string[]) =>
    paths.map((p) => {
      const f = new File([p], p.split('/').pop()!);
      Object.defineProperty(f, 'webkitRelativePath', { value: p, configurable: true });
      return f;
    });

  it("takes the picked folder's own files by name, not its subfolders'; a pick without a folder is refused", () => {
    const files = picked(['fo1 ckpt/config.json', 'fo1 ckpt/.git/lfs/objects/ab/cd', 'fo1 ckpt/model.safetensors']);
    expect(pickedCheckpoint(files)).toEqual({ folderName: 'fo1 ckpt', files: [{ path: 'config.json', file: files[0] }, { path: 'model.safetensors', file: files[2] }] });
    // A file input without webkitdirectory support gives files with an empty webkitRelativePath.
    expect(pickedCheckpoint(picked(['config.json']).map((f) => Object.defineProperty(f, 'webkitRelativePath', { value: '' })))).toMatch(/^the browser gave no folder/);
  });

  it('inspects it, converts it into its own folder (no Hub, no commit) and follows it to done', async () => {
    const files = picked(['fo1 ckpt/config.json', 'fo1 ckpt/model.safetensors']);
    inspectPicked(files);
    const target = pickedCheckpoint(files);
    expect(lastConverter().posted).toEqual([{ type: 'inspect-picked', ...(target as object) }]);
    lastConverter().say({ type: 'inspected-picked', folderName: 'fo1 ckpt', params: 4.15e9, tensorBytes: 8.9e9, keepBytes: 2.6e9, largestTensorBytes: 1.8e8 });
    await vi.waitFor(() => expect(appStore.getState().convert.kind).toBe('summary'));
    const c = appStore.getState().convert;
    if (c.kind !== 'summary') throw new Error(c.kind);
    expect(c.job).toEqual({ target, dtype: 'q4', folder: 'fo1-picked--fo1_ckpt--q4' });
    startConversion(c.job);
    const w = lastConverter();
    expect(w.posted).toEqual([{ type: 'convert-picked', ...(target as object), dtypes: ['q4'], folder: 'fo1-picked--fo1_ckpt--q4' }]);
    w.say({ type: 'done', folder: c.job.folder, files: 15, bytes: 2.5e9, resumed: [], report });
    expect(appStore.getState().convert).toMatchObject({ kind: 'done', modelId: 'opfs:fo1-picked--fo1_ckpt--q4/', name: 'fo1 ckpt (q4)' });
  });

  it('a folder that is not a checkpoint is refused by name, with no retry of the same files', () => {
    inspectPicked(picked(['downloads/readme.md']));
    lastConverter().say({ type: 'error', name: 'SafetensorsError', message: 'downloads: no config.json (not a checkpoint folder)' });
    expect(appStore.getState().convert).toEqual({ kind: 'idle' });
    expect(appStore.getState().error).toMatchObject({ title: 'Not a VLM-FO1 checkpoint: downloads', message: 'downloads: no config.json (not a checkpoint folder)', retry: null });
  });
});
