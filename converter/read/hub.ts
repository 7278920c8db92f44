// Downloads a checkpoint folder from the Hugging Face Hub layout `<base>/<repo>/resolve/<revision>/<file>`:
// config.json, the safetensors index (or the single model.safetensors) and every shard it names, plus the
// tokenizer/processor/generation files that exist. Each file streams into `<file>.incomplete` and is renamed
// when whole; an interrupted transfer resumes with an HTTP Range request (in the same run, up to
// `retries` times, or in a later run from the .incomplete file).

import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

/** Files a checkpoint may ship besides its weights; absent ones (404) are skipped. */
const OPTIONAL_FILES = [
  'generation_config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.json',
  'merges.txt',
  'added_tokens.json',
  'special_tokens_map.json',
  'chat_template.json',
];

export class HubError extends Error {
  override name = 'HubError';
}

export interface HubProgress {
  file: string;
  received: number;
  /** Total bytes when the server says (Content-Length / Content-Range). */
  total: number | null;
}

export interface HubOptions {
  /** "owner/name" or "owner/name@revision" (revision defaults to main). */
  repo: string;
  dest: string;
  baseUrl?: string;
  retries?: number;
  onProgress?: (p: HubProgress) => void;
}

export function parseRepo(spec: string): { repo: string; revision: string } {
  const [repo, revision = 'main'] = spec.split('@');
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo) || !revision) throw new HubError(`--from-hub ${JSON.stringify(spec)}: expected owner/name or owner/name@revision`);
  return { repo, revision };
}

export function resolveUrl(baseUrl: string, repo: string, revision: string, file: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** Downloads the checkpoint into `dest` (files already complete are kept); returns `dest`. */
export async function downloadFromHub(opts: HubOptions): Promise<string> {
  const { repo, revision } = parseRepo(opts.repo);
  const get = (file: string, required: boolean) =>
    downloadFile(resolveUrl(opts.baseUrl ?? DEFAULT_HUB_URL, repo, revision, file), join(opts.dest, file), file, required, opts.retries ?? 3, opts.onProgress);
  await mkdir(opts.dest, { recursive: true });
  await get('config.json', true);
  const shards = (await get('model.safetensors.index.json', false)) ? await shardsOf(join(opts.dest, 'model.safetensors.index.json')) : ['model.safetensors'];
  for (const shard of shards) await get(shard, true);
  for (const file of OPTIONAL_FILES) await get(file, false);
  return opts.dest;
}

async function shardsOf(indexPath: string): Promise<string[]> {
  const index = JSON.parse(await readFile(indexPath, 'utf8')) as { weight_map?: Record<string, unknown> };
  const names = Object.values(index.weight_map ?? {});
  if (names.length === 0) throw new HubError(`${indexPath}: weight_map is empty`);
  for (const n of names) {
    if (typeof n !== 'string' || !/^[\w.-]+\.safetensors$/.test(n)) throw new HubError(`${indexPath}: shard name ${JSON.stringify(n)} is not a plain .safetensors file name`);
  }
  return [...new Set(names as string[])].sort();
}

/** One file with resume; false when the server has no such file and it is optional. */
async function downloadFile(url: string, path: string, file: string, required: boolean, retries: number, onProgress?: (p: HubProgress) => void): Promise<boolean> {
  if (existsSync(path)) return true;
  const partial = `${path}.incomplete`;
  for (let attempt = 0; ; attempt++) {
    const have = existsSync(partial) ? (await stat(partial)).size : 0;
    let res: Response;
    try {
      res = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, redirect: 'follow' });
    } catch (e) {
      if (attempt < retries) continue;
      throw new HubError(`${file}: cannot reach ${url} (${(e as Error).message})`);
    }
    if (res.status === 404 && !required) return false;
    if (res.status === 416 && have > 0) {
      // Nothing left to send: the partial file is already whole.
      await rename(partial, path);
      return true;
    }
    if (res.status !== 200 && res.status !== 206) {
      throw new HubError(`${file}: ${url} answered HTTP ${res.status}${res.status === 404 ? ' (no such file, repo or revision)' : ''}`);
    }
    const resumed = res.status === 206;
    const start = resumed ? have : 0; // a 200 to a Range request means the server restarts from byte 0
    const total = totalBytes(res, start);
    const fh = await open(partial, resumed ? 'a' : 'w');
    let received = start;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        await fh.write(chunk);
        received += chunk.length;
        onProgress?.({ file, received, total });
      }
    } catch (e) {
      if (attempt < retries) continue;
      throw new HubError(`${file}: download interrupted at ${received} bytes after ${attempt + 1} attempts (${(e as Error).message}); run again to resume`);
    } finally {
      await fh.close();
    }
    if (total !== null && received !== total) {
      if (attempt < retries) continue;
      throw new HubError(`${file}: got ${received} of ${total} bytes after ${attempt + 1} attempts; run again to resume`);
    }
    await rename(partial, path);
    return true;
  }
}

function totalBytes(res: Response, start: number): number | null {
  const range = res.headers.get('content-range'); // "bytes 100-199/200"
  const m = range?.match(/\/(\d+)$/);
  if (m) return Number(m[1]);
  const len = res.headers.get('content-length');
  return len === null ? null : start + Number(len);
}
