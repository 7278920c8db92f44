// A checkpoint read in place from a Hugging Face Hub repository (or a mirror with the same layout: the
// endpoint is `hubUrl`, as HF_ENDPOINT sets it). The revision is resolved to its commit sha first, and every
// file is then read at that sha, so a `main` that moves mid-conversion cannot mix files of two commits.
// @huggingface/hub does the Hub API (the revision's sha, the file listing with sizes); the bytes are read by
// range through fetch-byte-source.ts, so the weights stream into the converter and are never stored whole.
// Browser-safe (fetch only).

import { HubApiError, listFiles, modelInfo } from '@huggingface/hub';
import type { ByteSource, CheckpointFiles } from './byte-source.ts';
import { fetchByteSource } from './fetch-byte-source.ts';
import { HubError, HubFileNotFoundError, RepoAccessError, RepoNotFoundError } from './hub-errors.ts';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

export interface HubOptions {
  /** "owner/name" or "owner/name@revision" (revision defaults to main). */
  repo: string;
  hubUrl?: string;
  /** For gated or private repositories ("hf_…"). */
  accessToken?: string;
  fetch?: typeof fetch;
  /** Per range read (fetch-byte-source.ts). */
  retries?: number;
  backoffMs?: number;
  stallMs?: number;
}

export interface HubRepo extends CheckpointFiles {
  repo: string;
  /** The revision as asked (a branch, tag or sha). */
  revision: string;
  /** The commit it resolved to; every file is read at this sha. */
  sha: string;
  /** Every file of the repository at `sha` with its size in bytes, from the listing. */
  sizes: ReadonlyMap<string, number>;
}

export function parseRepo(spec: string): { repo: string; revision: string } {
  const [repo, revision = 'main'] = spec.split('@');
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo) || !revision) throw new HubError(`--from-hub ${JSON.stringify(spec)}: expected owner/name or owner/name@revision`);
  return { repo, revision };
}

export function resolveUrl(hubUrl: string, repo: string, revision: string, file: string): string {
  return `${hubUrl.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** Resolves the revision to a commit and lists the repository; fails with a named HubError. */
export async function openHubRepo(opts: HubOptions): Promise<HubRepo> {
  const { repo, revision } = parseRepo(opts.repo);
  const hubUrl = (opts.hubUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
  const common = { hubUrl, accessToken: opts.accessToken, fetch: opts.fetch };
  const named = (what: string) => (e: unknown): never => {
    if (e instanceof HubApiError) {
      if (e.statusCode === 404) throw new RepoNotFoundError(`${repo}@${revision}: not found on ${hubUrl} (${what}: HTTP 404; check the repository name and revision)`);
      if (e.statusCode === 401 || e.statusCode === 403) {
        throw new RepoAccessError(`${repo}: HTTP ${e.statusCode} from ${hubUrl} (${what}): gated or private; accept its licence on the Hub and give an access token`, e.statusCode);
      }
      throw new HubError(`${repo}@${revision}: ${what} failed with HTTP ${e.statusCode} (${e.message})`);
    }
    if (e instanceof TypeError) throw new HubError(`${repo}: cannot reach ${hubUrl} for the ${what} (${e.message}; offline, or a CORS or redirect failure)`);
    throw e;
  };
  const info = await modelInfo({ name: repo, revision, additionalFields: ['sha'], ...common }).catch(named('revision'));
  const sha = (info as { sha?: unknown }).sha;
  if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) throw new HubError(`${repo}@${revision}: the Hub gave no commit sha (${JSON.stringify(sha)})`);
  const sizes = new Map<string, number>();
  try {
    for await (const f of listFiles({ repo, revision: sha, recursive: true, ...common })) if (f.type === 'file') sizes.set(f.path, f.size);
  } catch (e) {
    named('file listing')(e);
  }
  const url = (file: string) => resolveUrl(hubUrl, repo, sha, file);
  const open = (file: string): ByteSource => {
    const size = sizes.get(file);
    if (size === undefined) throw new HubFileNotFoundError(`${repo}@${sha.slice(0, 12)}: no file ${file} in the repository listing`);
    return fetchByteSource({ url: url(file), size, commit: sha, accessToken: opts.accessToken, fetch: opts.fetch, retries: opts.retries, backoffMs: opts.backoffMs, stallMs: opts.stallMs });
  };
  return {
    repo,
    revision,
    sha,
    sizes,
    label: `${repo}@${sha}`,
    commit: sha,
    where: url,
    has: (file) => sizes.has(file),
    open: async (file) => open(file),
    text: async (file) => {
      const src = open(file);
      return new TextDecoder().decode(await src.read(0, src.size));
    },
  };
}
